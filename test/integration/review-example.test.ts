// The shipped example flow (examples/human-review.json) deploys and works in a real Node-RED:
// a large change waits for a person, a small verified one is auto-approved, and the
// "approve the oldest open review" button decides through a msg.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { NodeRedProcess } from '../helpers/nodered';
import { waitFor } from '../helpers/ports';
import { reviewRuntime } from '../helpers/review-flow';

const EXAMPLE = path.resolve(__dirname, '../../examples/human-review.json');

describe('Human Review example flow', function () {
  this.timeout(60_000);
  const example = JSON.parse(fs.readFileSync(EXAMPLE, 'utf8')) as { id: string; type: string; name?: string; url?: string; z?: string }[];
  const byName = (name: string) => example.find((n) => n.name === name)!.id;
  let red: NodeRedProcess;

  const pending = async () => (await red.request('GET', '/llmops-review/pending')).json as { total: number; items: { payload: { flowLpm: number } }[] };
  // 404 until the deployed flow has started.
  const press = (id: string) => waitFor(`inject ${id}`, async () => (await red.request('POST', `/inject/${id}`)).status === 200, 10_000);

  before(async () => {
    // The example's admin-API URL names the default port; point it at this runtime.
    red = reviewRuntime();
    await red.start();
    const flows = [{ id: 'example-tab', type: 'tab', label: 'example' }, ...example.map((n) => ({ ...n, z: 'example-tab', ...(n.url ? { url: n.url.replace('http://127.0.0.1:1880', red.url) } : {}) }))];
    await red.deploy(flows);
  });

  after(async () => {
    await red?.dispose();
  });

  it('opens a review for the 8 % flow change', async () => {
    await press(byName('Raise CDU-1 flow to 330 L/min'));
    const p = await waitFor('the review', async () => ((await pending()).total === 1 ? pending() : undefined), 10_000);
    assert.equal(p.items[0].payload.flowLpm, 330);
  });

  it('auto-approves the 1.6 % flow change instead of opening a review', async () => {
    await press(byName('Nudge CDU-1 flow to 310 L/min'));
    // A later msg on the same path is handled after it: once its review is open, the nudge
    // has been handled too.
    await press(byName('Raise CDU-1 flow to 330 L/min'));
    const p = await waitFor('the second review', async () => ((await pending()).total >= 2 ? pending() : undefined), 10_000);
    assert.deepEqual(p.items.map((i) => i.payload.flowLpm), [330, 330]);
  });

  it('approves the open review with a decision msg from the flow', async () => {
    await press(byName('Approve the oldest open review'));
    await waitFor('the oldest review to be approved', async () => (await pending()).total === 1, 10_000);
  });
});

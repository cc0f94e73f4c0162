// The shipped example flow (examples/human-review.json) deploys and works in a real Node-RED:
// a large change waits for a person, a small verified one is auto-approved, and the
// "approve the oldest open review" button decides through a msg.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { makeUserDir, NodeRed, waitFor } from '../unit/review/node-red-process';

const EXAMPLE = path.resolve(__dirname, '../../examples/human-review.json');

describe('Human Review example flow', function () {
  this.timeout(60_000);
  const example = JSON.parse(fs.readFileSync(EXAMPLE, 'utf8')) as { id: string; type: string; name?: string; url?: string; z?: string }[];
  const byName = (name: string) => example.find((n) => n.name === name)!.id;
  let red: NodeRed;

  const pending = async () => ((await (await red.fetch('/llmops-review/pending')).json()) as { total: number; items: { payload: { flowLpm: number } }[] });
  // 404 until the deployed flow has started.
  const press = (id: string) =>
    waitFor(async () => ((await red.fetch(`/inject/${id}`, { method: 'POST' })).status === 200 ? true : undefined), 10_000, `inject ${id}`);

  before(async () => {
    // The example's admin-API URL names the default port; point it at this runtime.
    red = new NodeRed(makeUserDir({ flows: [] }));
    await red.start();
    const flows = [{ id: 'example-tab', type: 'tab', label: 'example' }, ...example.map((n) => ({ ...n, z: 'example-tab', ...(n.url ? { url: n.url.replace('http://127.0.0.1:1880', red.url) } : {}) }))];
    const res = await red.fetch('/flows', { method: 'POST', body: JSON.stringify(flows), headers: { 'Node-RED-Deployment-Type': 'full' } });
    assert.equal(res.status, 204);
  });

  after(async () => {
    await red.stop();
    fs.rmSync(red.userDir, { recursive: true, force: true });
  });

  it('opens a review for the 8 % flow change', async () => {
    await press(byName('Raise CDU-1 flow to 330 L/min'));
    const p = await waitFor(async () => ((await pending()).total === 1 ? pending() : undefined), 10_000, 'the review');
    assert.equal(p.items[0].payload.flowLpm, 330);
  });

  it('auto-approves the 1.6 % flow change instead of opening a review', async () => {
    await press(byName('Nudge CDU-1 flow to 310 L/min'));
    // A later msg on the same path is handled after it: once its review is open, the nudge
    // has been handled too.
    await press(byName('Raise CDU-1 flow to 330 L/min'));
    const p = await waitFor(async () => ((await pending()).total >= 2 ? pending() : undefined), 10_000, 'the second review');
    assert.deepEqual(p.items.map((i) => i.payload.flowLpm), [330, 330]);
  });

  it('approves the open review with a decision msg from the flow', async () => {
    await press(byName('Approve the oldest open review'));
    await waitFor(async () => ((await pending()).total === 1 ? true : undefined), 10_000, 'the oldest review to be approved');
  });
});

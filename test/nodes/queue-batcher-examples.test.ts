// The Energy example flows (Queue Batcher, GPU DVFS, Cluster Scaler) deploy as Node-RED imports
// them and do what their comment node says. Core inject/debug nodes are replaced by test probes:
// the injects' payloads are sent straight to the node they are wired to.
import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import { helper, nodeModule } from '../helpers/helper';
import { waitFor } from '../helpers/ports';

const modules = [nodeModule('facility/facility.js'), nodeModule('queue-batcher/queue-batcher.js'), nodeModule('gpu-dvfs/gpu-dvfs.js'), nodeModule('cluster-scaler/cluster-scaler.js')];

function load(name: string) {
  const nodes: any[] = JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', 'examples', name), 'utf8'));
  const runnable = nodes
    .filter((n) => n.type !== 'comment' && n.type !== 'inject')
    .map((n) => (n.type === 'debug' ? { id: n.id, type: 'helper', z: n.z, name: n.name } : n));
  const byName = (name: string) => nodes.find((n) => n.name === name);
  /** Sends an inject's payload (and topic) to the node it is wired to. */
  const press = (injectName: string) => {
    const i = byName(injectName);
    helper.getNode(i.wires[0][0]).receive({ payload: i.payload === '""' ? '' : JSON.parse(i.payload), topic: i.topic || undefined });
  };
  const probe = (debugName: string) => {
    const seen: any[] = [];
    helper.getNode(byName(debugName).id).on('input', (m: any) => seen.push(m));
    return seen;
  };
  return { nodes, runnable, press, probe };
}

for (const file of ['queue-batcher.json', 'gpu-dvfs.json', 'cluster-scaler.json']) {
  describe(`example flow ${file}`, () => {
    it('opens with a comment node that explains it', () => {
      const { nodes } = load(file);
      const comment = nodes.find((n) => n.type === 'comment');
      assert.ok(comment && comment.info.length > 300);
      assert.equal(nodes.filter((n) => n.type !== 'tab')[0].type, 'comment');
    });
  });
}

describe('example flows of the Energy nodes at work', function () {
  this.timeout(30000);
  afterEach(async () => {
    await helper.unload();
  });

  it('queue-batcher.json: three short requests leave as one SS batch; the long one leaves on slack', async () => {
    const ex = load('queue-batcher.json');
    await helper.load(modules, ex.runnable);
    const batches = ex.probe('batches');
    ex.press('short requests');
    ex.press('one long request');
    await waitFor('two batches', () => (batches.length >= 2 ? batches : undefined), 5000, 20);
    assert.equal(batches[0].pool, 'SS');
    assert.equal(batches[0].batch.reason, 'size');
    assert.equal(batches[1].pool, 'LM');
    assert.equal(batches[1].batch.reason, 'slack');
  });

  it('queue-batcher.json: after the completions, short prompts are predicted long answers', async () => {
    const ex = load('queue-batcher.json');
    await helper.load(modules, ex.runnable);
    const stats = ex.probe('pool statistics');
    ex.press('short requests');
    ex.press('completions');
    ex.press('statistics');
    const s = await waitFor('statistics', () => stats[0]);
    assert.equal(s.payload.predictor.completions, 3);
    assert.ok(s.payload.predictor.perInputClass[0] >= 350);
  });

  it('gpu-dvfs.json: the message-only node answers the manual telemetry with a clock to apply', async () => {
    const ex = load('gpu-dvfs.json');
    await helper.load(modules, ex.runnable);
    const out = ex.probe('clock to apply');
    const feed = setInterval(() => ex.press('manual telemetry'), 300);
    try {
      const m = await waitFor('a decision', () => out[0], 15000);
      assert.equal(m.payload.instance, 'gpu-node-7');
      assert.ok(m.payload.frequencyMHz >= 1200 && m.payload.frequencyMHz <= 1980);
    } finally {
      clearInterval(feed);
    }
  });

  it('cluster-scaler.json: the message-only scaler sizes the cluster for the load by hand', async () => {
    const ex = load('cluster-scaler.json');
    await helper.load(modules, ex.runnable);
    const out = ex.probe('servers to run');
    ex.press('load by hand');
    const m = await waitFor('a decision', () => out[0]);
    assert.equal(m.payload.current, 10);
    assert.ok(m.payload.target > 4, `target ${m.payload.target}`);
  });

  it('cluster-scaler.json: the twin scaler sends decisions read from the twin', async () => {
    const ex = load('cluster-scaler.json');
    await helper.load(modules, ex.runnable);
    const out = ex.probe('scale decisions');
    const m = await waitFor('a decision', () => out[0], 20000);
    assert.ok(Number.isInteger(m.payload.target) && m.payload.target >= 1);
  });
});

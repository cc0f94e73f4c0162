// llmops-gpu-dvfs: telemetry in, clock decisions out, applied to the facility twin or sent only;
// bad telemetry refused with a sentence; fed nothing, instances go to the highest clock.
import assert from 'node:assert/strict';
import { helper, nodeModule } from '../helpers/helper';
import { waitFor } from '../helpers/ports';

const dvfs = nodeModule('gpu-dvfs/gpu-dvfs.js');
const facility = nodeModule('facility/facility.js');

type AnyNode = any;

function twinFlow(props: Record<string, unknown> = {}) {
  return [
    // A light load on 2 servers: every instance has slack for a lower clock.
    { id: 'fac', type: 'llmops-facility', workload: 'constant', ratePerS: 2, seed: 3, servers: 2, speed: 1, timestamps: 'simulated' },
    { id: 'd1', type: 'llmops-gpu-dvfs', source: 'msg', actuator: 'twin', facility: 'fac', periodS: 1, holdS: 0, wires: [['out']], ...props },
    { id: 'out', type: 'helper' },
  ];
}

function messageFlow(props: Record<string, unknown> = {}) {
  return [
    { id: 'd1', type: 'llmops-gpu-dvfs', source: 'msg', actuator: 'message', periodS: 1, holdS: 0, wires: [['out']], ...props },
    { id: 'out', type: 'helper' },
  ];
}

/** Sends a msg and resolves with the error passed to done, or undefined. */
function receive(node: AnyNode, msg: Record<string, unknown>): Promise<Error | undefined> {
  return new Promise((resolve) => {
    const onCall = (call: any) => {
      node.removeListener('call:error', onCall);
      resolve(call.args[0] instanceof Error ? call.args[0] : new Error(String(call.args[0])));
    };
    node.on('call:error', onCall);
    node.receive(msg);
    setTimeout(() => {
      node.removeListener('call:error', onCall);
      resolve(undefined);
    }, 300);
  });
}

describe('llmops-gpu-dvfs', function () {
  this.timeout(20000);
  afterEach(async () => {
    await helper.unload();
  });

  it('lowers an idle instance of the twin and the twin runs at the clock it sent', async () => {
    await helper.load([dvfs, facility], twinFlow());
    const fac: AnyNode = helper.getNode('fac');
    const out: AnyNode = helper.getNode('out');
    const seen: any[] = [];
    out.on('input', (m: any) => seen.push(m.payload));
    const id = fac.instances()[0].id;
    const feed = setInterval(() => helper.getNode('d1').receive({ payload: { instance: id, tp: 8, queuedTokens: 0, running: 0, prefillTokensPerS: 100, requestsPerS: 0.1, meanInputTokens: 1000 } }), 200);
    try {
      const d = await waitFor('a lower clock', () => seen.find((p) => p.instance === id && p.frequencyMHz < p.previousMHz));
      assert.equal(d.reason, 'predicted-slack');
      assert.equal(fac.instances().find((i: any) => i.id === id).freqMHz, seen.filter((p) => p.instance === id).at(-1).frequencyMHz);
    } finally {
      clearInterval(feed);
    }
  });

  it('sends every instance\'s unchanged clock each period when set to report every clock', async () => {
    await helper.load([dvfs], messageFlow({ report: 'every' }));
    const seen: any[] = [];
    helper.getNode('out').on('input', (m: any) => seen.push(m));
    const feed = setInterval(() => helper.getNode('d1').receive({ payload: { instance: 'gpu-a', load: 0.05, queueDepth: 0 } }), 200);
    try {
      const m = await waitFor('an unchanged clock', () => seen.find((x) => x.payload.reason === 'unchanged'));
      const decided = seen.filter((x) => x.payload.reason !== 'unchanged' && seen.indexOf(x) < seen.indexOf(m)).at(-1);
      assert.equal(m.topic, 'gpu-a');
      assert.equal(m.payload.frequencyMHz, decided.payload.frequencyMHz);
      assert.equal(m.payload.previousMHz, m.payload.frequencyMHz);
      for (const k of ['ttftMs', 'tbtMs', 'powerW']) assert.equal(typeof m.payload.predicted[k], 'number', k);
    } finally {
      clearInterval(feed);
    }
  });

  it('sends only clock decisions by default', async () => {
    await helper.load([dvfs], messageFlow());
    const seen: any[] = [];
    helper.getNode('out').on('input', (m: any) => seen.push(m));
    const feed = setInterval(() => helper.getNode('d1').receive({ payload: { instance: 'gpu-a', load: 0.05, queueDepth: 0 } }), 200);
    try {
      await waitFor('a decision', () => seen[0]);
      // Three decision periods (1 s each) with a steady load.
      await new Promise((r) => setTimeout(r, 3200));
      assert.deepEqual(seen.filter((x) => x.payload.reason === 'unchanged'), []);
    } finally {
      clearInterval(feed);
    }
  });

  it('sends decisions with the contract fields', async () => {
    await helper.load([dvfs], messageFlow());
    const out: AnyNode = helper.getNode('out');
    const seen: any[] = [];
    out.on('input', (m: any) => seen.push(m));
    const feed = setInterval(() => helper.getNode('d1').receive({ payload: { instance: 'gpu-a', load: 0.05, queueDepth: 0 } }), 200);
    try {
      const m = await waitFor('a decision', () => seen[0]);
      assert.equal(m.topic, 'gpu-a');
      for (const k of ['instance', 'frequencyMHz', 'previousMHz', 'slackMs', 'reason', 'predicted']) assert.ok(k in m.payload, k);
      for (const k of ['ttftMs', 'tbtMs', 'powerW']) assert.equal(typeof m.payload.predicted[k], 'number', k);
    } finally {
      clearInterval(feed);
    }
  });

  it('steps up at once when observed latency eats the slack', async () => {
    await helper.load([dvfs], messageFlow({ minMHz: 1200, maxMHz: 1980 }));
    const node: AnyNode = helper.getNode('d1');
    const out: AnyNode = helper.getNode('out');
    const seen: any[] = [];
    out.on('input', (m: any) => seen.push(m.payload));
    node.receive({ payload: { instance: 'gpu-a', frequencyMHz: 1200, load: 0.1 } });
    // Two requests each at 98 % of their TTFT objective (250 ms floor).
    node.receive({ payload: [{ instance: 'gpu-a', ttftMs: 245, inputTokens: 200 }, { instance: 'gpu-a', ttftMs: 245, inputTokens: 200 }] });
    const d = await waitFor('a step up', () => seen.find((p) => p.reason === 'slack-eaten'));
    assert.equal(d.frequencyMHz, 1980);
    assert.equal(d.previousMHz, 1200);
  });

  it('puts an instance fed nothing back at the highest clock of its range', async () => {
    await helper.load([dvfs], messageFlow({ maxMHz: 1800, staleS: 1 }));
    const out: AnyNode = helper.getNode('out');
    const seen: any[] = [];
    out.on('input', (m: any) => seen.push(m.payload));
    helper.getNode('d1').receive({ payload: { instance: 'gpu-a', frequencyMHz: 1200, load: 0.1 } });
    const d = await waitFor('the safe clock', () => seen.find((p) => p.reason === 'stale-safe'), 6000);
    assert.equal(d.frequencyMHz, 1800);
  });

  it('resets every twin instance to the highest clock when it closes', async () => {
    await helper.load([dvfs, facility], twinFlow());
    const fac: AnyNode = helper.getNode('fac');
    const twin = fac.twin();
    const id = fac.instances()[0].id;
    helper.getNode('d1').receive({ payload: { instance: id, load: 0 } });
    twin.setFrequency(id, 1200);
    await helper.getNode('d1').close();
    twin.advance(twin.timeS + 1);
    assert.equal(twin.instances().find((i: any) => i.id === id).freqMHz, 1980);
  });

  it('refuses telemetry for an instance the twin does not have', async () => {
    await helper.load([dvfs, facility], twinFlow());
    const err = await receive(helper.getNode('d1'), { payload: { instance: 'S99.I7', load: 0.2 } });
    assert.match(String(err?.message), /unknown instance "S99\.I7"/);
  });

  it('refuses telemetry without an instance id', async () => {
    await helper.load([dvfs], messageFlow());
    const err = await receive(helper.getNode('d1'), { payload: { load: 0.2 } });
    assert.match(String(err?.message), /needs an id/);
  });

  it('refuses negative telemetry, naming the field', async () => {
    await helper.load([dvfs], messageFlow());
    const err = await receive(helper.getNode('d1'), { payload: { instance: 'gpu-a', queueDepth: -3 } });
    assert.match(String(err?.message), /gpu-a: queueDepth must be a finite number ≥ 0, got -3/);
  });

  it('refuses a reported clock the GPU does not have', async () => {
    await helper.load([dvfs], messageFlow());
    const err = await receive(helper.getNode('d1'), { payload: { instance: 'gpu-a', frequencyMHz: 2500 } });
    assert.match(String(err?.message), /2500 MHz is not one of the clocks/);
  });

  it('reports a clock range outside the GPU on its status and refuses input', async () => {
    await helper.load([dvfs], messageFlow({ minMHz: 600, maxMHz: 2200 }));
    const node: AnyNode = helper.getNode('d1');
    const err = await receive(node, { payload: { instance: 'gpu-a', load: 0.2 } });
    assert.match(String(err?.message), /clock range 600–2200 MHz lies outside the GPU's clocks/);
  });
});

// llmops-cluster-scaler: cluster load in, {target, current, delta, reason} out, applied to the
// facility twin or sent only; bad load refused with a sentence naming the field.
import assert from 'node:assert/strict';
import { helper, nodeModule } from '../helpers/helper';
import { waitFor } from '../helpers/ports';

const scaler = nodeModule('cluster-scaler/cluster-scaler.js');
const facility = nodeModule('facility/facility.js');

type AnyNode = any;

function messageFlow(props: Record<string, unknown> = {}) {
  return [
    { id: 'c1', type: 'llmops-cluster-scaler', source: 'msg', actuator: 'message', minServers: 1, maxServers: 20, wires: [['out']], ...props },
    { id: 'out', type: 'helper' },
  ];
}

function collect(): any[] {
  const seen: any[] = [];
  helper.getNode('out').on('input', (m: any) => seen.push(m.payload));
  return seen;
}

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

describe('llmops-cluster-scaler', function () {
  this.timeout(20000);
  afterEach(async () => {
    await helper.unload();
  });

  it('scales out at once for a load the servers cannot carry', async () => {
    await helper.load([scaler], messageFlow());
    const seen = collect();
    // 60k prompt tokens/s need several TP8 servers at 16k tokens/s each.
    helper.getNode('c1').receive({ payload: { requestsPerSec: 60, tokensPerSec: 60000, activeServers: 2 } });
    const d = await waitFor('a decision', () => seen[0]);
    assert.equal(d.current, 2);
    assert.ok(d.target > 4, `target ${d.target}`);
    assert.equal(d.delta, d.target - 2);
    assert.equal(d.reason, 'scale-out');
  });

  it('never plans above its maximum', async () => {
    await helper.load([scaler], messageFlow({ maxServers: 3 }));
    const seen = collect();
    helper.getNode('c1').receive({ payload: { requestsPerSec: 200, tokensPerSec: 200000, activeServers: 2 } });
    const d = await waitFor('a decision', () => seen[0]);
    assert.equal(d.target, 3);
  });

  it('powers the twin servers it decides on', async () => {
    await helper.load([scaler, facility], [
      { id: 'fac', type: 'llmops-facility', workload: 'constant', ratePerS: 2, seed: 3, servers: 6, speed: 1, timestamps: 'simulated' },
      ...messageFlow({ actuator: 'twin', facility: 'fac', maxServers: 6 }),
    ]);
    const seen = collect();
    const fac: AnyNode = helper.getNode('fac');
    fac.setServerCount(2);
    helper.getNode('c1').receive({ payload: { requestsPerSec: 60, tokensPerSec: 60000, activeServers: 2 } });
    const d = await waitFor('a decision', () => seen[0]);
    const powered = fac.servers().filter((s: any) => s.state === 'on' || s.state === 'booting').length;
    assert.equal(powered, d.target);
    assert.ok(d.target > 2);
  });

  it('holds the current count for a load of zero instead of scaling to zero', async () => {
    await helper.load([scaler], messageFlow({ minServers: 1 }));
    const seen = collect();
    helper.getNode('c1').receive({ payload: { requestsPerSec: 0, tokensPerSec: 0, activeServers: 5 } });
    const d = await waitFor('a decision', () => seen[0]);
    // In by one server per cooldown at most, never straight to zero.
    assert.ok(d.target >= 4, `target ${d.target}`);
  });

  it('refuses a negative request rate, naming the field', async () => {
    await helper.load([scaler], messageFlow());
    const err = await receive(helper.getNode('c1'), { payload: { requestsPerSec: -1, activeServers: 3 } });
    assert.match(String(err?.message), /requestsPerSec must be a finite number ≥ 0, got -1/);
  });

  it('refuses a load without the active server count', async () => {
    await helper.load([scaler], messageFlow());
    const err = await receive(helper.getNode('c1'), { payload: { requestsPerSec: 4 } });
    assert.match(String(err?.message), /activeServers must be a finite number ≥ 0, got nothing/);
  });

  it('refuses a fractional server count', async () => {
    await helper.load([scaler], messageFlow());
    const err = await receive(helper.getNode('c1'), { payload: { requestsPerSec: 4, activeServers: 2.5 } });
    assert.match(String(err?.message), /activeServers must be a whole number, got 2.5/);
  });

  it('shows a configuration error when the twin actuator has no facility', async () => {
    await helper.load([scaler], messageFlow({ actuator: 'twin' }));
    const err = await receive(helper.getNode('c1'), { payload: { requestsPerSec: 4, activeServers: 2 } });
    assert.match(String(err?.message), /needs a facility/);
  });
});

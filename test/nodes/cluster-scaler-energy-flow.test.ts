// Acceptance 2 of the energy issue: the three Energy nodes wired in one Node-RED flow to the
// facility twin, reading it and commanding it. The twin's powered servers follow the Cluster
// Scaler's targets, its SM clocks follow the GPU DVFS decisions, and its arrivals go through
// the Queue Batcher's router, which learns from its completions.
import assert from 'node:assert/strict';
import { helper, nodeModule } from '../helpers/helper';
import { waitFor } from '../helpers/ports';

const facility = nodeModule('facility/facility.js');
const batcher = nodeModule('queue-batcher/queue-batcher.js');
const dvfs = nodeModule('gpu-dvfs/gpu-dvfs.js');
const scaler = nodeModule('cluster-scaler/cluster-scaler.js');

type AnyNode = any;

const FLOW = [
  // A light constant load on 4 servers, 30 simulated seconds per wall second: room to scale in and slow down.
  { id: 'fac', type: 'llmops-facility', workload: 'constant', ratePerS: 3, seed: 5, servers: 4, speed: 30, timestamps: 'simulated' },
  { id: 'qb', type: 'llmops-queue-batcher', facility: 'fac', statsS: 0, wires: [[], ['stats']] },
  { id: 'dv', type: 'llmops-gpu-dvfs', source: 'twin', actuator: 'twin', facility: 'fac', periodS: 5, holdS: 10, wires: [['clocks']] },
  { id: 'cs', type: 'llmops-cluster-scaler', source: 'twin', actuator: 'twin', facility: 'fac', minServers: 1, maxServers: 4, cooldownS: 30, periodS: 5, wires: [['servers']] },
  { id: 'stats', type: 'helper' },
  { id: 'clocks', type: 'helper' },
  { id: 'servers', type: 'helper' },
];

describe('Energy nodes in one flow with the facility twin', function () {
  this.timeout(40000);
  afterEach(async () => {
    await helper.unload();
  });

  it('the twin powers the servers the Cluster Scaler targets', async () => {
    await helper.load([facility, batcher, dvfs, scaler], FLOW);
    const fac: AnyNode = helper.getNode('fac');
    const targets: any[] = [];
    helper.getNode('servers').on('input', (m: any) => targets.push(m.payload));
    await waitFor('a scale-in', () => targets.find((d) => d.reason === 'scale-in'), 30000);
    // Booting or serving servers are the ones the twin keeps; draining ones are leaving.
    const kept = () => fac.servers().filter((s: any) => s.state === 'on' || s.state === 'booting').length;
    await waitFor('the twin at the last target', () => kept() === targets.at(-1).target || undefined, 5000, 20);
    assert.ok(kept() < 4);
  });

  it('the twin instances run at the clocks the GPU DVFS sets', async () => {
    await helper.load([facility, batcher, dvfs, scaler], FLOW);
    const fac: AnyNode = helper.getNode('fac');
    const clocks = new Map<string, number>();
    helper.getNode('clocks').on('input', (m: any) => clocks.set(m.payload.instance, m.payload.frequencyMHz));
    await waitFor('a lowered clock', () => [...clocks.values()].some((mhz) => mhz < 1980) || undefined, 30000);
    // Every instance the DVFS steered that still serves runs at (or is switching to) its last clock.
    await waitFor('the twin at the commanded clocks', () => {
      const on = new Set(fac.servers().filter((s: any) => s.state === 'on').map((s: any) => s.id));
      const serving = fac.instances().filter((i: any) => on.has(i.serverId) && clocks.has(i.id));
      return serving.length > 0 && serving.every((i: any) => i.freqMHz === clocks.get(i.id)) ? serving : undefined;
    }, 5000, 20);
  });

  it('the twin routes its arrivals through the Queue Batcher, which learns output lengths', async () => {
    await helper.load([facility, batcher, dvfs, scaler], FLOW);
    const stats: any[] = [];
    helper.getNode('stats').on('input', (m: any) => stats.push(m.payload));
    await waitFor('completions learned', async () => {
      helper.getNode('qb').receive({ topic: 'stats' });
      await new Promise((r) => setTimeout(r, 200));
      return stats.at(-1)?.predictor.completions > 50 ? stats.at(-1) : undefined;
    }, 20000, 300);
    const s = stats.at(-1);
    assert.ok(s.pools.some((p: any) => p.arrivalsPerS > 0 && p.instances.length > 0), 'pools routed to instance groups');
  });
});

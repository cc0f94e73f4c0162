// llmops-cluster-scaler on the facility twin at start-up: it has seen no load yet, and a decision
// on nothing (or on a few seconds) would drain the cluster while its load is still to come;
// servers take minutes to boot again. It observes a full load window first, leaving the twin's
// servers as they are, and its first decision starts from the servers really powered.
import assert from 'node:assert/strict';
import { helper, nodeModule } from '../helpers/helper';
import { waitFor } from '../helpers/ports';

const scaler = nodeModule('cluster-scaler/cluster-scaler.js');
const facility = nodeModule('facility/facility.js');

type AnyNode = any;

const FLOW = [
  // A light load on 4 servers that, once seen, needs fewer: the scaler will want to scale in.
  { id: 'fac', type: 'llmops-facility', workload: 'constant', ratePerS: 1, seed: 2, servers: 4, speed: 30, timestamps: 'simulated' },
  { id: 'cs', type: 'llmops-cluster-scaler', source: 'twin', actuator: 'twin', facility: 'fac', minServers: 1, maxServers: 4, cooldownS: 30, periodS: 5, wires: [['servers']] },
  { id: 'servers', type: 'helper' },
];

describe('llmops-cluster-scaler at start-up on the twin', function () {
  this.timeout(30000);
  afterEach(async () => {
    await helper.unload();
  });

  it('leaves the twin servers alone until it has seen a full minute of load, then starts from them', async () => {
    await helper.load([scaler, facility], FLOW);
    const fac: AnyNode = helper.getNode('fac');
    const powered = () => fac.servers().filter((s: any) => s.state === 'on' || s.state === 'booting').length;
    const decisions: Array<{ d: any; simulatedS: number }> = [];
    helper.getNode('servers').on('input', (m: any) => decisions.push({ d: m.payload, simulatedS: fac.twin().timeS }));
    // When the scaler changes the fleet (the only way servers go off here), in simulated s. The
    // decision msg arrives a moment after the change, so the poll below stops watching at the change.
    const changedAtS: number[] = [];
    const setServerCount = fac.setServerCount.bind(fac);
    fac.setServerCount = (n: number) => {
      changedAtS.push(fac.twin().timeS);
      return setServerCount(n);
    };
    let fewest = powered();
    const first = await waitFor(
      'the first decision',
      () => {
        if (changedAtS.length === 0) fewest = Math.min(fewest, powered());
        return decisions[0];
      },
      20000,
      10,
    );
    assert.equal(fewest, 4, 'servers were switched off before the first decision');
    assert.ok(changedAtS.every((t) => t >= 60), `the fleet changed at ${changedAtS.join(', ')} simulated s`);
    assert.equal(first.d.current, 4);
    assert.ok(first.simulatedS >= 60, `first decision at ${first.simulatedS} simulated s`);
  });
});

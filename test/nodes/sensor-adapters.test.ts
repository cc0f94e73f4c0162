// The Sensor's real-infrastructure sources, chosen in its dialog: nvidia-smi on this host and a
// Prometheus / DCGM exporter endpoint, against their protocol-faithful stand-ins.
import assert from 'node:assert/strict';
import { helper, nodeModule } from '../helpers/helper';
import { FakeDcgmExporter } from '../helpers/fake-dcgm-exporter';
import { FakeNvidiaSmi } from '../helpers/fake-nvidia-smi';

const sensor = nodeModule('sensor/sensor.js');

function nextMsg(id: string, ms = 10000): Promise<any> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error('no msg')), ms);
    helper.getNode(id).once('input', (msg: any) => {
      clearTimeout(t);
      resolve(msg);
    });
  });
}

describe('llmops-sensor with infrastructure sources', function () {
  this.timeout(20000);
  let fake: FakeNvidiaSmi | undefined;
  let exporter: FakeDcgmExporter | undefined;
  const added = ['FAKE_NVIDIA_SMI_STATE', 'FAKE_NVIDIA_SMI_LOG'];
  afterEach(async () => {
    await helper.unload();
    fake?.dispose();
    fake = undefined;
    await exporter?.stop();
    exporter = undefined;
    // Restore in place: replacing process.env would cut later tests off from the real environment.
    for (const k of added) delete process.env[k];
  });

  it('reads this host’s GPUs through nvidia-smi on a poll tick', async () => {
    fake = new FakeNvidiaSmi();
    // The stand-in finds its state through the environment the node's child process inherits.
    Object.assign(process.env, { FAKE_NVIDIA_SMI_STATE: fake.statePath, FAKE_NVIDIA_SMI_LOG: fake.logPath });
    await helper.load(sensor, [
      { id: 's1', type: 'llmops-sensor', source: 'nvidia-smi', smiPath: fake.bin, gpus: '0-1', interval: 0, tags: '{"server":"gpu-node-07"}', wires: [['out']] },
      { id: 'out', type: 'helper' },
    ]);
    const got = nextMsg('out');
    helper.getNode('s1').receive({ payload: 'tick' });
    const msg = await got;
    assert.equal(msg.topic, 'nvidia-smi');
    const gpus = new Set(msg.payload.map((r: any) => r.tags.gpu));
    assert.deepEqual([...gpus].sort(), ['0', '1']);
    assert.ok(msg.payload.some((r: any) => r.metric === 'gpu.temperature' && r.unit === '°C'));
    assert.equal(msg.payload[0].tags.server, 'gpu-node-07');
    assert.match(msg.text, /GPU temperature, GPU 0/);
    assert.deepEqual(fake.calls()[0].slice(0, 2), ['-i', '0,1']);
  });

  it('scrapes a DCGM exporter with the default mapping', async () => {
    exporter = new FakeDcgmExporter();
    const url = await exporter.start();
    await helper.load(sensor, [
      { id: 's1', type: 'llmops-sensor', source: 'prometheus', url, interval: 0, wires: [['out']] },
      { id: 'out', type: 'helper' },
    ]);
    const got = nextMsg('out');
    helper.getNode('s1').receive({ payload: 'tick' });
    const msg = await got;
    assert.equal(msg.topic, 'prometheus');
    const metrics = new Set(msg.payload.map((r: any) => r.metric));
    for (const m of ['gpu.power', 'gpu.temperature', 'hbm.temperature', 'gpu.clock']) assert.ok(metrics.has(m), m);
    assert.ok(msg.payload.every((r: any) => r.tags.server === 'gpu-node-07'));
  });

  it('shows a red status and logs why when the mapping is not JSON, without crashing', async () => {
    await helper.load(sensor, [
      { id: 's1', type: 'llmops-sensor', source: 'prometheus', url: 'http://127.0.0.1:9/metrics', mappings: '[{bad json', interval: 0, wires: [[]] },
    ]);
    const s1: any = helper.getNode('s1');
    const errors = s1.error.args.map((a: any[]) => String(a[0]));
    assert.ok(errors.some((e: string) => /metric mapping is not valid JSON/.test(e)), errors.join('\n'));
    const statuses = s1.status.args.map((a: any[]) => a[0]);
    assert.ok(statuses.some((st: any) => st.fill === 'red'), JSON.stringify(statuses));
  });
});

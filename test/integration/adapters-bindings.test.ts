// The node-facing wrappers (Sensor sources, DVFS clocks table, Kubernetes fleet) fed with dialog
// values, against the nvidia-smi, DCGM exporter and Kubernetes API STAND-INS.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { KubernetesFleet, NvidiaSmiClocks } from '../../core/adapters/actuators';
import { AdapterError } from '../../core/adapters/errors';
import type { ScaleState } from '../../core/adapters/kubernetes';
import { nvidiaSmiSource, prometheusSource, type SourceSink, type SourceTone } from '../../core/adapters/sources';
import type { Reading } from '../../core/telemetry/catalogue';
import { FakeDcgmExporter } from '../helpers/fake-dcgm-exporter';
import { FakeKubeApi } from '../helpers/fake-kube-api';
import { FakeNvidiaSmi } from '../helpers/fake-nvidia-smi';

function recordingSink() {
  const out = { msgs: [] as Array<{ readings: Reading[]; topic: string }>, states: [] as Array<[SourceTone, string]>, errors: [] as string[] };
  let wake: (() => void) | undefined;
  const sink: SourceSink = {
    emit: (readings, topic) => {
      out.msgs.push({ readings, topic });
      wake?.();
    },
    state: (tone, text) => {
      out.states.push([tone, text]);
      wake?.();
    },
    error: (m) => out.errors.push(m),
  };
  const until = async (check: () => boolean) => {
    while (!check()) await new Promise<void>((r) => (wake = r));
  };
  return { sink, out, until };
}

describe('Sensor sources from dialog values', function () {
  this.timeout(20000);

  it('nvidia-smi: sends one msg of readings for the configured GPUs and a status with the hottest GPU', async () => {
    const fake = new FakeNvidiaSmi();
    const { sink, out, until } = recordingSink();
    const src = nvidiaSmiSource({ gpus: '0', intervalS: '0', env: fake.env(), tags: { server: 'gpu-node-07' } }, sink);
    try {
      await until(() => out.msgs.length > 0);
      assert.equal(out.msgs[0].topic, 'nvidia-smi');
      assert.deepEqual([...new Set(out.msgs[0].readings.map((r) => r.tags.gpu))], ['0']);
      assert.equal(out.msgs[0].readings[0].tags.server, 'gpu-node-07');
      assert.deepEqual(out.states.at(-1), ['ok', 'nvidia-smi · 1 GPU · 78 °C max · thermal throttling']);
      assert.deepEqual(fake.calls()[0].slice(0, 2), ['-i', '0']);
    } finally {
      await src.close();
      fake.dispose();
    }
  });

  it('nvidia-smi: shows a short error state and logs the full message', async () => {
    const fake = new FakeNvidiaSmi({ mode: 'no-driver' });
    const { sink, out, until } = recordingSink();
    const src = nvidiaSmiSource({ intervalS: 0, env: fake.env() }, sink);
    try {
      await until(() => out.states.length > 0);
      assert.deepEqual(out.states[0], ['error', 'nvidia-smi: unsupported']);
      assert.match(out.errors[0], /couldn't communicate with the NVIDIA driver/);
    } finally {
      await src.close();
      fake.dispose();
    }
  });

  it('nvidia-smi: refuses a GPU list it cannot read', () => {
    assert.throws(() => nvidiaSmiSource({ gpus: 'all of them' }, recordingSink().sink), (e: unknown) => e instanceof AdapterError && e.code === 'ERR_BAD_CONFIG');
  });

  it('prometheus: uses the DCGM defaults when the mapping table is empty', async () => {
    const exporter = new FakeDcgmExporter();
    await exporter.start();
    const { sink, out, until } = recordingSink();
    const src = prometheusSource({ url: exporter.url, intervalS: 0, mappings: [{ name: '', metric: '' }], labelTags: '' }, sink);
    try {
      await until(() => out.msgs.length > 0);
      const power = out.msgs[0].readings.find((r) => r.metric === 'gpu.power' && r.tags.gpu === '0');
      assert.equal(power?.value, 612.474);
      assert.equal(power?.tags.server, 'gpu-node-07');
    } finally {
      await src.close();
      await exporter.stop();
    }
  });

  it('prometheus: names the rows of a user mapping that the endpoint does not expose', async () => {
    const exporter = new FakeDcgmExporter();
    await exporter.start();
    const { sink, out, until } = recordingSink();
    const src = prometheusSource({ url: exporter.url, intervalS: 0, mappings: [{ name: 'DCGM_FI_DEV_GPU_TEMP', metric: 'gpu.temperature' }, { name: 'DCGM_FI_DEV_FAN_SPEED', metric: 'server.fan' }], labelTags: '{"gpu":"gpu"}' }, sink);
    try {
      await until(() => out.states.length > 0);
      assert.match(out.states[0][1], /2 readings · missing DCGM_FI_DEV_FAN_SPEED$/);
      assert.deepEqual(out.msgs[0].readings[0].tags, { gpu: '0' });
    } finally {
      await src.close();
      await exporter.stop();
    }
  });

  it('prometheus: refuses label tags that are not JSON', () => {
    assert.throws(() => prometheusSource({ url: 'http://127.0.0.1:9400/metrics', labelTags: '{gpu:gpu}' }, recordingSink().sink), /must be JSON/);
  });
});

describe('GPU DVFS nvidia-smi actuator from a dialog table', function () {
  this.timeout(20000);
  let fake: FakeNvidiaSmi;
  beforeEach(() => {
    fake = new FakeNvidiaSmi();
  });
  afterEach(() => fake.dispose());

  it('locks the GPUs of the instance a decision names', async () => {
    const clocks = new NvidiaSmiClocks({ instanceGpus: [{ instance: 'llama-0', gpus: '0' }, { instance: 'llama-1', gpus: '1' }], env: fake.env() });
    await clocks.apply('llama-1', 1305);
    assert.deepEqual(fake.setCalls(), [['-i', '1', '-lgc', '1305,1305']]);
    await clocks.close();
  });

  it('resets every instance it locked on close, and only those', async () => {
    const clocks = new NvidiaSmiClocks({ instanceGpus: [{ instance: 'llama-0', gpus: '0' }, { instance: 'llama-1', gpus: '1' }], env: fake.env() });
    await clocks.apply('llama-0', 1305);
    fake.clearLog();
    await clocks.close();
    assert.deepEqual(fake.setCalls(), [['-i', '0', '-rgc']]);
  });

  it('refuses a decision for an instance without GPUs in the table', async () => {
    const clocks = new NvidiaSmiClocks({ instanceGpus: [{ instance: 'llama-0', gpus: '0-1' }], env: fake.env() });
    await assert.rejects(clocks.apply('llama-9', 1305), /add a row for it/);
  });

  it('refuses one GPU in two instances', () => {
    assert.throws(() => new NvidiaSmiClocks({ instanceGpus: [{ instance: 'a', gpus: '0-1' }, { instance: 'b', gpus: '1' }] }), /GPU 1 is listed for both "a" and "b"/);
  });

  it('refuses an empty table', () => {
    assert.throws(() => new NvidiaSmiClocks({ instanceGpus: [{ instance: '', gpus: '' }] }), /at least one instance/);
  });
});

describe('Cluster Scaler Kubernetes actuator from dialog values', function () {
  this.timeout(20000);
  let api: FakeKubeApi;
  let dir: string;
  let kubeconfigPath: string;

  beforeEach(async () => {
    api = new FakeKubeApi();
    const port = await api.start();
    api.addToken('tok', 'system:serviceaccount:llm:node-red');
    api.addWorkload('Deployment', 'llm', 'vllm', 2);
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fleet-'));
    kubeconfigPath = path.join(dir, 'config');
    fs.writeFileSync(
      kubeconfigPath,
      `apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster: {server: "http://127.0.0.1:${port}", insecure-skip-tls-verify: true}\nusers:\n- name: u\n  user: {token: tok}\ncontexts:\n- name: x\n  context: {cluster: c, user: u}\ncurrent-context: x\n`,
    );
  });
  afterEach(async () => {
    await api.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('scales the workload and reports its ready replicas as they come up', async () => {
    const ready: ScaleState[] = [];
    const fleet = new KubernetesFleet({ kind: 'Deployment', name: 'vllm', namespace: 'llm', auth: 'kubeconfig', kubeconfigPath, context: '', readIntervalS: '0' }, { ready: (s) => ready.push(s), error: (e) => assert.fail(e.message) });
    try {
      await fleet.apply(4);
      api.settle();
      await fleet.refresh();
      assert.deepEqual(
        ready.map((s) => [s.desired, s.ready]),
        [
          [4, 2],
          [4, 4],
        ],
      );
    } finally {
      fleet.close();
    }
  });

  it('reports a read that fails through the error hook', async () => {
    const errors: AdapterError[] = [];
    const fleet = new KubernetesFleet({ kind: 'Deployment', name: 'vllm-gone', namespace: 'llm', auth: 'kubeconfig', kubeconfigPath, readIntervalS: 0 }, { ready: () => undefined, error: (e) => errors.push(e) });
    await fleet.refresh();
    fleet.close();
    assert.equal(errors[0].code, 'ERR_MISSING');
  });

  it('leaves the replica count alone on close', async () => {
    const fleet = new KubernetesFleet({ kind: 'Deployment', name: 'vllm', namespace: 'llm', auth: 'kubeconfig', kubeconfigPath, readIntervalS: 0 }, { ready: () => undefined, error: () => undefined });
    await fleet.apply(3);
    fleet.close();
    assert.equal(api.workloads.get('deployments/llm/vllm')!.replicas, 3);
    await assert.rejects(fleet.apply(1), /closed/);
  });

  it('refuses a kind other than Deployment or StatefulSet', () => {
    assert.throws(() => new KubernetesFleet({ kind: 'DaemonSet', name: 'vllm', auth: 'kubeconfig', kubeconfigPath }, { ready: () => undefined, error: () => undefined }), /Deployment or StatefulSet/);
  });
});

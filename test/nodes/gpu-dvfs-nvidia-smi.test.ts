// llmops-gpu-dvfs with the nvidia-smi actuator chosen in its dialog: the same decisions, applied
// to this host's GPUs through the recording nvidia-smi STAND-IN (test/helpers/fake-nvidia-smi).
import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import { helper, nodeModule } from '../helpers/helper';
import { FakeNvidiaSmi } from '../helpers/fake-nvidia-smi';
import { waitFor } from '../helpers/ports';

const dvfs = nodeModule('gpu-dvfs/gpu-dvfs.js');

type AnyNode = any;

const TABLE = [
  { instance: 'llama-0', gpus: '0' },
  { instance: 'llama-1', gpus: '1' },
];

function smiFlow(fake: FakeNvidiaSmi, props: Record<string, unknown> = {}) {
  return [
    // periodS 60: only the immediate step-up decisions below, no periodic one in between.
    { id: 'd1', type: 'llmops-gpu-dvfs', source: 'msg', actuator: 'nvidia-smi', smiPath: fake.bin, instanceGpus: TABLE, timeoutS: 5, minMHz: 1200, maxMHz: 1980, periodS: 60, wires: [['out']], ...props },
    { id: 'out', type: 'helper' },
  ];
}

/** Telemetry that makes the controller step llama-0 (or `instance`) up to 1980 MHz at once: latency ate the slack. */
function stepUp(node: AnyNode, instance = 'llama-0') {
  node.receive({ payload: { instance, frequencyMHz: 1200, load: 0.1 } });
  node.receive({ payload: [{ instance, ttftMs: 245, inputTokens: 200 }, { instance, ttftMs: 245, inputTokens: 200 }] });
}

/** Puts the environment back in place (a new object would no longer reach child processes' or libuv's view). */
function restoreEnv(saved: NodeJS.ProcessEnv): void {
  for (const k of Object.keys(process.env)) if (!(k in saved)) delete process.env[k];
  Object.assign(process.env, saved);
}

function statuses(node: AnyNode): Array<{ fill?: string; text?: string }> {
  return node.status.args.map((a: any[]) => a[0]);
}

function errors(node: AnyNode): string[] {
  return node.error.args.map((a: any[]) => String(a[0]));
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

describe('llmops-gpu-dvfs with the nvidia-smi actuator', function () {
  this.timeout(30000);
  let fake: FakeNvidiaSmi;
  const saved = { ...process.env };
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown) => unhandled.push(reason);

  beforeEach(() => {
    fake = new FakeNvidiaSmi();
    // The stand-in finds its state and log through the environment the node's child inherits.
    Object.assign(process.env, { FAKE_NVIDIA_SMI_STATE: fake.statePath, FAKE_NVIDIA_SMI_LOG: fake.logPath });
    unhandled.length = 0;
    process.on('unhandledRejection', onUnhandled);
  });
  afterEach(async () => {
    await helper.unload();
    process.removeListener('unhandledRejection', onUnhandled);
    restoreEnv(saved);
    fake.dispose();
  });

  it('locks the instance’s GPUs with nvidia-smi -lgc for a decision and still sends the decision', async () => {
    await helper.load([dvfs], smiFlow(fake));
    const seen: any[] = [];
    helper.getNode('out').on('input', (m: any) => seen.push(m.payload));
    stepUp(helper.getNode('d1'));
    const d = await waitFor('the step-up decision', () => seen.find((p) => p.reason === 'slack-eaten'));
    assert.equal(d.instance, 'llama-0');
    await waitFor('the lock', () => fake.setCalls().length > 0);
    assert.deepEqual(fake.setCalls(), [['-i', '0', '-lgc', '1980,1980']]);
  });

  it('shows the clock nvidia-smi applied on its status', async () => {
    await helper.load([dvfs], smiFlow(fake));
    const node = helper.getNode('d1');
    stepUp(node);
    const st = await waitFor('a locked status', () => statuses(node).find((s) => /locked/.test(s.text ?? '')));
    assert.match(st.text!, /^llama-0 locked at 1980 MHz/);
  });

  it('resets the clocks of every instance it locked, and only those, when it closes', async () => {
    await helper.load([dvfs], smiFlow(fake));
    const node = helper.getNode('d1');
    stepUp(node, 'llama-1');
    await waitFor('the lock', () => fake.setCalls().length > 0);
    await helper.unload();
    assert.deepEqual(fake.setCalls(), [
      ['-i', '1', '-lgc', '1980,1980'],
      ['-i', '1', '-rgc'],
    ]);
    assert.equal(fake.state().gpus[1].locked, undefined);
  });

  it('resets the clocks when the node is removed from the flow', async () => {
    await helper.load([dvfs], smiFlow(fake));
    const node = helper.getNode('d1');
    stepUp(node);
    await waitFor('the lock', () => fake.setCalls().length > 0);
    await node.close(true);
    assert.deepEqual(fake.setCalls().at(-1), ['-i', '0', '-rgc']);
  });

  it('turns the status red and logs what to do when locking is not permitted, without crashing', async () => {
    fake.update((s) => {
      s.mode = 'permission';
    });
    await helper.load([dvfs], smiFlow(fake));
    const node = helper.getNode('d1');
    const seen: any[] = [];
    helper.getNode('out').on('input', (m: any) => seen.push(m.payload));
    stepUp(node);
    const err = await waitFor('the error', () => errors(node).find((e) => /permission/.test(e)));
    assert.match(err, /could not lock the clock of llama-0 at 1980 MHz/);
    assert.match(err, /SYS_ADMIN/);
    assert.equal(node.error.args.find((a: any[]) => String(a[0]) === err)[1].code, 'ERR_PERMISSION');
    const st = statuses(node).at(-1)!;
    assert.equal(st.fill, 'red');
    assert.match(st.text!, /no permission/);
    assert.equal(seen.length, 1, 'the decision msg still goes out');
    // Nothing was locked, so nothing is reset.
    await helper.unload();
    assert.deepEqual(fake.setCalls(), [['-i', '0', '-lgc', '1980,1980']]);
    assert.deepEqual(unhandled, []);
  });

  it('refuses telemetry of an instance that is not in its table, naming the listed ones', async () => {
    await helper.load([dvfs], smiFlow(fake));
    const err = await receive(helper.getNode('d1'), { payload: { instance: 'llama-9', load: 0.2 } });
    assert.match(String(err?.message), /instance "llama-9" has no GPUs in the nvidia-smi table \(listed: llama-0, llama-1\)/);
    assert.deepEqual(fake.setCalls(), []);
  });

  it('takes an instance’s tensor parallelism from its GPU count', async () => {
    await helper.load([dvfs], smiFlow(fake, { instanceGpus: [{ instance: 'llama-0', gpus: '0-1' }] }));
    const seen: any[] = [];
    helper.getNode('out').on('input', (m: any) => seen.push(m.payload));
    stepUp(helper.getNode('d1'));
    await waitFor('the lock', () => fake.setCalls().length > 0);
    assert.deepEqual(fake.setCalls()[0], ['-i', '0,1', '-lgc', '1980,1980']);
    // TP 2 at 1980 MHz draws less than TP 8 would: the prediction used the table's TP.
    const tp8 = seen[0].predicted.powerW;
    await helper.unload();
    await helper.load([dvfs], smiFlow(fake, { instanceGpus: [{ instance: 'llama-0', gpus: '0-1' }] }));
    const again: any[] = [];
    helper.getNode('out').on('input', (m: any) => again.push(m.payload));
    const node = helper.getNode('d1');
    node.receive({ payload: { instance: 'llama-0', tp: 8, frequencyMHz: 1200, load: 0.1 } });
    node.receive({ payload: [{ instance: 'llama-0', ttftMs: 245, inputTokens: 200 }, { instance: 'llama-0', ttftMs: 245, inputTokens: 200 }] });
    await waitFor('the decision', () => again[0]);
    assert.ok(tp8 < again[0].predicted.powerW, `${tp8} < ${again[0].predicted.powerW}`);
  });

  it('shows a configuration error for one GPU listed under two instances', async () => {
    await helper.load([dvfs], smiFlow(fake, { instanceGpus: [{ instance: 'a', gpus: '0-1' }, { instance: 'b', gpus: '1' }] }));
    const node = helper.getNode('d1');
    assert.ok(errors(node).some((e) => /GPU 1 is listed for both "a" and "b"/.test(e)), errors(node).join('\n'));
    assert.equal(statuses(node).at(-1)!.fill, 'red');
    const err = await receive(node, { payload: { instance: 'a', load: 0.1 } });
    assert.match(String(err?.message), /GPU 1 is listed for both/);
  });

  it('refuses the twin as telemetry source for real GPUs', async () => {
    await helper.load([dvfs], smiFlow(fake, { source: 'twin' }));
    assert.ok(errors(helper.getNode('d1')).some((e) => /takes telemetry in msg.payload/.test(e)));
  });

  it('ends its close when nvidia-smi hangs, logging that the reset failed', async () => {
    fake.update((s) => {
      s.mode = 'hang';
    });
    await helper.load([dvfs], smiFlow(fake, { timeoutS: 0.3 }));
    const node = helper.getNode('d1');
    stepUp(node);
    await waitFor('the timeout', () => errors(node).find((e) => /did not finish within 300 ms/.test(e)));
    await node.close(true);
    assert.ok(errors(node).some((e) => /could not reset the GPU clocks/.test(e)), errors(node).join('\n'));
    assert.deepEqual(fake.setCalls().at(-1), ['-i', '0', '-rgc']);
    assert.deepEqual(unhandled, []);
  });
});

describe('example flow gpu-dvfs-nvidia-smi.json', function () {
  this.timeout(30000);
  const file = path.join(__dirname, '..', '..', 'examples', 'gpu-dvfs-nvidia-smi.json');
  let fake: FakeNvidiaSmi;
  const saved = { ...process.env };
  beforeEach(() => {
    fake = new FakeNvidiaSmi();
    Object.assign(process.env, { FAKE_NVIDIA_SMI_STATE: fake.statePath, FAKE_NVIDIA_SMI_LOG: fake.logPath });
  });
  afterEach(async () => {
    await helper.unload();
    restoreEnv(saved);
    fake.dispose();
  });

  it('opens with a comment node that explains it', () => {
    const nodes: any[] = JSON.parse(fs.readFileSync(file, 'utf8'));
    assert.equal(nodes.filter((n) => n.type !== 'tab')[0].type, 'comment');
    assert.ok(nodes[1].info.length > 300);
  });

  it('locks the GPUs of the instance its inject reports as slow', async () => {
    const nodes: any[] = JSON.parse(fs.readFileSync(file, 'utf8'));
    // As shipped, nvidia-smi comes from the PATH; here the stand-in stands at that path.
    const runnable = nodes
      .filter((n) => !['comment', 'inject', 'catch'].includes(n.type))
      .map((n) => (n.type === 'debug' ? { id: n.id, type: 'helper', z: n.z, name: n.name } : n.type === 'llmops-gpu-dvfs' ? { ...n, smiPath: fake.bin } : n));
    await helper.load([dvfs], runnable);
    const dvfsNode = nodes.find((n) => n.type === 'llmops-gpu-dvfs');
    for (const name of ['llama-0 telemetry', 'llama-0 slow requests']) {
      const inject = nodes.find((n) => n.type === 'inject' && n.name === name);
      assert.equal(inject.wires[0][0], dvfsNode.id);
      helper.getNode(dvfsNode.id).receive({ payload: JSON.parse(inject.payload) });
    }
    await waitFor('the lock', () => fake.setCalls().length > 0);
    assert.deepEqual(fake.setCalls()[0], ['-i', '0,1,2,3', '-lgc', '1980,1980']);
  });
});

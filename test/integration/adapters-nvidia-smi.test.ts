// The nvidia-smi adapter and clock actuator against the recording nvidia-smi STAND-IN
// (test/helpers/fake-nvidia-smi.cjs), found on PATH like the real program.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import path from 'node:path';
import { AdapterError } from '../../core/adapters/errors';
import { GpuClockActuator } from '../../core/adapters/gpu-clocks';
import { NvidiaSmi } from '../../core/adapters/nvidia-smi';
import { FakeNvidiaSmi } from '../helpers/fake-nvidia-smi';

const QUERY = '--query-gpu=index,uuid,power.draw,clocks.sm,clocks.max.sm,temperature.gpu,temperature.memory,utilization.gpu,clocks_event_reasons.active,name';
const FORMAT = '--format=csv,noheader,nounits';

function isCode(code: string) {
  return (e: unknown) => e instanceof AdapterError && e.code === code;
}

describe('nvidia-smi adapter (stand-in nvidia-smi on PATH)', function () {
  this.timeout(20000);
  let fake: FakeNvidiaSmi;
  let smi: NvidiaSmi;

  beforeEach(() => {
    fake = new FakeNvidiaSmi();
    smi = new NvidiaSmi({ env: fake.env(), now: () => 42 });
  });
  afterEach(() => fake.dispose());

  it('queries all GPUs with one CSV call', async () => {
    await smi.query();
    assert.deepEqual(fake.calls(), [[QUERY, FORMAT]]);
  });

  it('queries only the listed GPUs with -i', async () => {
    const samples = await smi.query([1]);
    assert.deepEqual(fake.calls(), [['-i', '1', QUERY, FORMAT]]);
    assert.deepEqual(
      samples.map((s) => s.index),
      [1],
    );
  });

  it('turns the query into readings for every GPU', async () => {
    const rs = await smi.readings();
    assert.equal(rs.filter((r) => r.tags.gpu === '0').length, 6);
    assert.equal(rs.find((r) => r.metric === 'gpu.power' && r.tags.gpu === '0')?.value, 612.47);
    assert.equal(rs[0].ts, 42);
  });

  it('finds nvidia-smi on the PATH of this process by default', async () => {
    const saved = { PATH: process.env.PATH, S: process.env.FAKE_NVIDIA_SMI_STATE, L: process.env.FAKE_NVIDIA_SMI_LOG };
    const env = fake.env();
    process.env.PATH = env.PATH;
    process.env.FAKE_NVIDIA_SMI_STATE = env.FAKE_NVIDIA_SMI_STATE;
    process.env.FAKE_NVIDIA_SMI_LOG = env.FAKE_NVIDIA_SMI_LOG;
    try {
      const samples = await new NvidiaSmi().query();
      assert.equal(samples.length, 2);
    } finally {
      process.env.PATH = saved.PATH;
      if (saved.S === undefined) delete process.env.FAKE_NVIDIA_SMI_STATE;
      else process.env.FAKE_NVIDIA_SMI_STATE = saved.S;
      if (saved.L === undefined) delete process.env.FAKE_NVIDIA_SMI_LOG;
      else process.env.FAKE_NVIDIA_SMI_LOG = saved.L;
    }
  });

  it('runs the configured binary path', async () => {
    const viaPath = new NvidiaSmi({ binary: fake.bin, env: { ...fake.env(), PATH: '/usr/bin:/bin' } });
    assert.equal((await viaPath.query()).length, 2);
  });

  it('falls back to clocks_throttle_reasons on drivers before R535, once', async () => {
    fake.update((s) => {
      s.mode = 'old-driver';
    });
    const [s0] = await smi.query();
    await smi.query();
    const calls = fake.calls().map((a) => a[0]);
    assert.deepEqual(calls, [QUERY, QUERY.replace('clocks_event_reasons', 'clocks_throttle_reasons'), QUERY.replace('clocks_event_reasons', 'clocks_throttle_reasons')]);
    assert.deepEqual(s0.reasons, ['sw_power_cap', 'sw_thermal_slowdown']);
  });

  it('locks the SM clock of the listed GPUs with -i ids -lgc f,f', async () => {
    await smi.lockClocks([0, 1], 1410);
    assert.deepEqual(fake.setCalls(), [['-i', '0,1', '-lgc', '1410,1410']]);
  });

  it('resets the clocks with -i ids -rgc', async () => {
    await smi.resetClocks([0, 1]);
    assert.deepEqual(fake.setCalls(), [['-i', '0,1', '-rgc']]);
  });

  it('refuses to lock without GPU indices', async () => {
    await assert.rejects(smi.lockClocks([], 1410), isCode('ERR_BAD_CONFIG'));
    assert.deepEqual(fake.calls(), []);
  });

  it('explains the permission refusal of a non-root or unprivileged-container call', async () => {
    fake.update((s) => {
      s.mode = 'permission';
    });
    const err = await smi.lockClocks([0], 1200).then(
      () => assert.fail('locking should have failed'),
      (e: AdapterError) => e,
    );
    assert.equal(err.code, 'ERR_PERMISSION');
    assert.equal(err.status, 4);
    assert.match(err.message, /does not have permission to change clocks for GPU 00000000:18:00\.0/);
    assert.match(err.message, /root/);
    assert.match(err.message, /SYS_ADMIN/);
    assert.doesNotMatch(err.message, /Terminating early/);
  });

  it('says where it looked when nvidia-smi is missing', async () => {
    const missing = new NvidiaSmi({ binary: path.join(fake.dir, 'nope', 'nvidia-smi') });
    await assert.rejects(missing.query(), (e: unknown) => isCode('ERR_NOT_FOUND')(e) && /nope\/nvidia-smi/.test((e as Error).message));
  });

  it('stops a call that hangs after its time limit', async () => {
    fake.update((s) => {
      s.mode = 'hang';
    });
    const quick = new NvidiaSmi({ env: fake.env(), timeoutMs: 500 });
    await assert.rejects(quick.query(), isCode('ERR_TIMEOUT'));
  });

  it('reports a missing driver with nvidia-smi\'s own words', async () => {
    fake.update((s) => {
      s.mode = 'no-driver';
    });
    await assert.rejects(smi.query(), (e: unknown) => isCode('ERR_UNSUPPORTED')(e) && /couldn't communicate with the NVIDIA driver/.test((e as Error).message));
  });

  it('reports an unknown GPU index as missing', async () => {
    await assert.rejects(smi.lockClocks([7], 1200), isCode('ERR_MISSING'));
  });

  it('never runs two calls on the same GPU at once', async () => {
    fake.update((s) => {
      s.delayMs = 150;
    });
    await Promise.all([smi.lockClocks([0], 1200), smi.query([0]), smi.lockClocks([0, 1], 1300), smi.resetClocks([0])]);
    let running = 0;
    for (const e of fake.events()) {
      running += e.event === 'start' ? 1 : -1;
      assert.ok(running <= 1, 'a call on GPU 0 started while another ran');
    }
  });

  it('lets calls on different GPUs run side by side', async () => {
    fake.update((s) => {
      s.delayMs = 1500;
    });
    await Promise.all([smi.lockClocks([0], 1200), smi.lockClocks([1], 1300)]);
    const order = fake.events().map((e) => e.event);
    assert.deepEqual(order, ['start', 'start', 'end', 'end']);
  });
});

describe('GPU clock actuator (stand-in nvidia-smi)', function () {
  this.timeout(20000);
  let fake: FakeNvidiaSmi;
  let smi: NvidiaSmi;

  beforeEach(() => {
    fake = new FakeNvidiaSmi();
    smi = new NvidiaSmi({ env: fake.env() });
  });
  afterEach(() => fake.dispose());

  it('applies a clock to all GPUs of the instance', async () => {
    const act = new GpuClockActuator(smi, [0, 1]);
    assert.equal(await act.set(1200), 1200);
    assert.deepEqual(fake.setCalls(), [['-i', '0,1', '-lgc', '1200,1200']]);
    await act.close();
  });

  it('shows the locked clock in the next query', async () => {
    const act = new GpuClockActuator(smi, [0]);
    await act.set(1110);
    const [s] = await act.observe();
    assert.equal(s.smClockMHz, 1110);
    await act.close();
  });

  it('makes no call for the clock already in force', async () => {
    const act = new GpuClockActuator(smi, [0]);
    await act.set(1200);
    await act.set(1200);
    assert.equal(fake.setCalls().length, 1);
    await act.close();
  });

  it('applies only the newest of decisions made while a call runs', async () => {
    fake.update((s) => {
      s.delayMs = 200;
    });
    const act = new GpuClockActuator(smi, [0]);
    const results = await Promise.all([act.set(1200), act.set(1300), act.set(1400)]);
    assert.deepEqual(fake.setCalls(), [
      ['-i', '0', '-lgc', '1200,1200'],
      ['-i', '0', '-lgc', '1400,1400'],
    ]);
    assert.deepEqual(results, [1400, 1400, 1400]);
    await act.close();
  });

  it('resets the clocks on close', async () => {
    const act = new GpuClockActuator(smi, [0, 1]);
    await act.set(1200);
    fake.clearLog();
    await act.close();
    assert.deepEqual(fake.setCalls(), [['-i', '0,1', '-rgc']]);
    assert.equal(fake.state().gpus[0].locked, undefined);
  });

  it('waits for a lock in flight before resetting on close', async () => {
    fake.update((s) => {
      s.delayMs = 200;
    });
    const act = new GpuClockActuator(smi, [0]);
    const pending = act.set(1200);
    await act.close();
    await pending;
    assert.deepEqual(fake.setCalls(), [
      ['-i', '0', '-lgc', '1200,1200'],
      ['-i', '0', '-rgc'],
    ]);
  });

  it('leaves the clocks alone on close when it never locked them', async () => {
    const act = new GpuClockActuator(smi, [0]);
    await act.close();
    assert.deepEqual(fake.setCalls(), []);
  });

  it('does not try to reset after locking was refused', async () => {
    fake.update((s) => {
      s.mode = 'permission';
    });
    const act = new GpuClockActuator(smi, [0]);
    await assert.rejects(act.set(1200), isCode('ERR_PERMISSION'));
    await act.close();
    assert.deepEqual(fake.setCalls(), [['-i', '0', '-lgc', '1200,1200']]);
  });

  it('keeps the clocks on close when told to', async () => {
    const act = new GpuClockActuator(smi, [0], { resetOnClose: false });
    await act.set(1200);
    await act.close();
    assert.equal(fake.setCalls().length, 1);
  });

  it('takes no requests after close', async () => {
    const act = new GpuClockActuator(smi, [0]);
    await act.close();
    await assert.rejects(act.set(1200), isCode('ERR_BAD_CONFIG'));
  });
});

describe('device check script (test/device/gpu-check.sh) against the stand-in', function () {
  this.timeout(60000);

  it('queries, locks to a lower clock, observes it and resets', async () => {
    const fake = new FakeNvidiaSmi();
    try {
      const out = await new Promise<string>((resolve, reject) => {
        execFile('bash', [path.join(__dirname, '../device/gpu-check.sh'), '0'], { env: { ...fake.env(), NVIDIA_SMI: fake.bin }, encoding: 'utf8' }, (err, stdout) =>
          err ? reject(new Error(`${err.message}\n${stdout}`)) : resolve(stdout),
        );
      });
      const result = JSON.parse(/^RESULT (.*)$/m.exec(out)![1]);
      assert.deepEqual([result.query, result.lock, result.reset, result.lockObserved], ['ok', 'ok', 'ok', true]);
      assert.deepEqual(
        fake.setCalls().map((a) => a[2]),
        ['-lgc', '-rgc'],
      );
    } finally {
      fake.dispose();
    }
  });

  it('passes and says so when locking clocks is not permitted', async () => {
    const fake = new FakeNvidiaSmi({ mode: 'permission' });
    try {
      const out = await new Promise<string>((resolve, reject) => {
        execFile('bash', [path.join(__dirname, '../device/gpu-check.sh'), '0'], { env: { ...fake.env(), NVIDIA_SMI: fake.bin }, encoding: 'utf8' }, (err, stdout) =>
          err ? reject(new Error(`${err.message}\n${stdout}`)) : resolve(stdout),
        );
      });
      assert.match(out, /LOCK NOT PERMITTED/);
      assert.equal(JSON.parse(/^RESULT (.*)$/m.exec(out)![1]).lock, 'not-permitted');
    } finally {
      fake.dispose();
    }
  });
});

import assert from 'node:assert/strict';
import { DvfsController, type InstanceTelemetry } from '../../../core/energy/dvfs';
import { EnergyInputError } from '../../../core/energy/errors';
import { predict, profileFromTwinLaws } from '../../../core/energy/profile';
import { DEFAULT_SLO } from '../../../core/energy/slo';
import { twinParams } from '../../../core/twin/params';

const profile = profileFromTwinLaws(twinParams());
const light: InstanceTelemetry = { instance: 'S01.I0', tp: 8, prefillTokensPerS: 500, requestsPerS: 1, meanInputTokens: 500, running: 4, queuedTokens: 0 };
const heavy: InstanceTelemetry = { instance: 'S01.I0', tp: 8, prefillTokensPerS: 4000, requestsPerS: 4, meanInputTokens: 1000, running: 40, queuedTokens: 0 };

/** Feeds the same sample every second from `from` to `to` and returns the periodic decisions. */
function drive(c: DvfsController, t: InstanceTelemetry, from: number, to: number, every = 5) {
  const out = [];
  for (let s = from; s <= to; s++) {
    const up = c.observe(t, s);
    if (up) out.push(up);
    if (s % every === 0) out.push(...c.decide(s));
  }
  return out;
}

describe('GPU DVFS controller', () => {
  it('chooses the lowest clock whose predicted TTFT and TBT keep the margin', () => {
    const c = new DvfsController(profile, { holdS: 10, learn: false });
    const d = drive(c, heavy, 0, 30);
    const chosen = d[d.length - 1].frequencyMHz;
    const m = 0.8;
    const ok = (f: number) => {
      const p = predict(profile, DEFAULT_SLO, { tp: 8, prefillTokensPerS: 4000, requestsPerS: 4, meanInputTokens: 1000, running: 40, queuedTokens: 0 }, f);
      return p.ttftMs <= m * p.ttftSloMs && p.tbtMs <= m * DEFAULT_SLO.tbtMs;
    };
    assert.ok(ok(chosen), `${chosen} MHz must be predicted safe`);
    const lower = profile.clocksMHz.filter((f) => f < chosen);
    assert.ok(lower.every((f) => !ok(f)), 'no lower clock may be predicted safe');
    assert.equal(chosen, 1400);
  });

  it('runs a lightly loaded instance at the lowest clock', () => {
    const c = new DvfsController(profile, { holdS: 10, learn: false });
    assert.equal(drive(c, light, 0, 30).pop()?.frequencyMHz, 800);
  });

  it('steps down only after the lower clock has looked safe for the hold time', () => {
    const c = new DvfsController(profile, { holdS: 20, learn: false });
    assert.deepEqual(drive(c, light, 0, 15), []);
    const later = drive(c, light, 16, 25);
    assert.equal(later.length, 1);
    assert.equal(later[0].reason, 'predicted-slack');
    assert.equal(later[0].previousMHz, 1980);
  });

  it('steps up at once when observed latencies eat the slack', () => {
    const c = new DvfsController(profile, { holdS: 5, learn: false });
    drive(c, light, 0, 20);
    assert.equal(c.clockOf('S01.I0'), 800);
    assert.equal(c.observe({ instance: 'S01.I0', ttftMs: 240, inputTokens: 500 }, 21), null, 'one slow request is not a trend');
    const up = c.observe({ instance: 'S01.I0', ttftMs: 260, inputTokens: 500 }, 21.5);
    assert.equal(up?.reason, 'slack-eaten');
    assert.equal(up?.frequencyMHz, 1980);
  });

  it('steps up at once when the queue would break the TTFT objective', () => {
    const c = new DvfsController(profile, { holdS: 5, learn: false });
    drive(c, light, 0, 20);
    const up = c.observe({ ...light, queuedTokens: 3000 }, 21);
    assert.equal(up?.reason, 'queue-building');
    assert.ok(up!.frequencyMHz > 800);
  });

  it('never leaves the configured clock range', () => {
    const c = new DvfsController(profile, { minMHz: 1200, maxMHz: 1800, holdS: 5, learn: false });
    const d = drive(c, light, 0, 30);
    assert.equal(d.pop()?.frequencyMHz, 1200);
    c.observe({ instance: 'S01.I0', ttftMs: 900, inputTokens: 500 }, 31);
    const up = c.observe({ instance: 'S01.I0', ttftMs: 900, inputTokens: 500 }, 31.1);
    assert.equal(up?.frequencyMHz, 1800);
  });

  it('puts an instance without telemetry back at its highest clock', () => {
    const c = new DvfsController(profile, { holdS: 5, staleS: 30, learn: false });
    drive(c, light, 0, 20);
    const d = c.decide(60);
    assert.equal(d[0].reason, 'stale-safe');
    assert.equal(d[0].frequencyMHz, 1980);
  });

  it('resets every instance to its highest clock', () => {
    const c = new DvfsController(profile, { holdS: 5, learn: false });
    drive(c, light, 0, 20);
    drive(c, { ...light, instance: 'S02.I0' }, 0, 20);
    assert.deepEqual(c.reset().map((d) => [d.instance, d.frequencyMHz, d.reason]), [
      ['S01.I0', 1980, 'reset'],
      ['S02.I0', 1980, 'reset'],
    ]);
  });

  it('rejects a clock range outside the clock set', () => {
    assert.throws(() => new DvfsController(profile, { minMHz: 2100, maxMHz: 2500 }), (e: EnergyInputError) => e.code === 'ERR_CLOCK_RANGE');
  });

  it('rejects a reported clock that is not in the clock set', () => {
    const c = new DvfsController(profile);
    assert.throws(() => c.observe({ instance: 'S01.I0', frequencyMHz: 1234 }, 0), (e: EnergyInputError) => e.code === 'ERR_CLOCK_RANGE');
  });

  it('rejects telemetry of an unknown instance in strict mode', () => {
    const c = new DvfsController(profile, { strictInstances: true });
    c.setInstances([{ id: 'S01.I0', tp: 8 }]);
    assert.throws(() => c.observe({ instance: 'S09.I3' }, 0), (e: EnergyInputError) => e.code === 'ERR_UNKNOWN_INSTANCE' && /S09\.I3/.test(e.message));
  });

  it('rejects telemetry without an instance id and negative values', () => {
    const c = new DvfsController(profile);
    assert.throws(() => c.observe({ load: 0.5 } as never, 0), (e: EnergyInputError) => e.code === 'ERR_MISSING_ID');
    assert.throws(() => c.observe({ instance: 'a', queueDepth: -1 }, 0), (e: EnergyInputError) => e.code === 'ERR_BAD_TELEMETRY');
  });

  it('learns a latency correction from observed latencies', () => {
    const c = new DvfsController(profile, { holdS: 5 });
    for (let s = 0; s < 50; s++) c.observe({ ...heavy, tbtMs: 70 }, s);
    assert.ok(c.correction.factors('TP8').tbt > 1.2);
  });
});

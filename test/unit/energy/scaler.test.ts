import assert from 'node:assert/strict';
import { EnergyInputError } from '../../../core/energy/errors';
import { profileFromTwinLaws } from '../../../core/energy/profile';
import { ClusterScaler, type ScaleDecision } from '../../../core/energy/scaler';
import { twinParams } from '../../../core/twin/params';

const profile = profileFromTwinLaws(twinParams());

/** A scaler fed every 5 s by `load(t)`, with the twin-like plant: powered = last target. */
function simulate(load: (t: number) => number, untilS: number, opts: Partial<ConstructorParameters<typeof ClusterScaler>[1]> = {}, start = 4) {
  const s = new ClusterScaler(profile, { maxServers: 30, adapt: false, ...opts });
  let powered = start;
  const log: Array<{ t: number; d: ScaleDecision }> = [];
  for (let t = 5; t <= untilS; t += 5) {
    s.observe({ requestsPerSec: load(t) / 1000, tokensPerSec: load(t), outputTokensPerSec: 0, activeServers: powered, sloAttainmentPct: 99.9 }, t);
    const d = s.decide(t);
    powered = d.target;
    log.push({ t, d });
  }
  return { s, log, powered };
}

describe('cluster scaler', () => {
  it('sizes the cluster for the load at the planned busy share', () => {
    const s = new ClusterScaler(profile, { maxServers: 30, targetBusy: 0.5, headroom: 0 });
    assert.equal(s.serversFor(40_000, 0), 5); // 40k / (16k × 0.5)
  });

  it('scales out on a load step within its burst window, to what the new load needs', () => {
    const { log, s } = simulate((t) => (t < 600 ? 20_000 : 60_000), 660);
    const before = log.find((x) => x.t === 595)!.d.target;
    const outs = log.filter((x) => x.t >= 600 && x.d.delta > 0);
    assert.ok(outs.length > 0 && outs.every((x) => x.d.reason.startsWith('scale-out')));
    assert.ok(log[log.length - 1].d.target >= s.serversFor(60_000, 0));
    assert.ok(log[log.length - 1].d.target > before);
  });

  it('scales out ahead of a ramp by the start-up time', () => {
    const ramp = (t: number) => 20_000 + 40 * t; // +40 tokens/s every second
    const { log } = simulate(ramp, 1200, { bootS: 180, headroom: 0 });
    const s = new ClusterScaler(profile, { maxServers: 30, headroom: 0 });
    const at900 = log.find((x) => x.t === 900)!.d;
    assert.ok(at900.forecastTokensPerS > ramp(900) + 0.8 * 40 * 180, `forecast ${at900.forecastTokensPerS}`);
    assert.ok(at900.target >= s.serversFor(ramp(900 + 150), 0), 'servers for the load 150 s ahead are already ordered');
  });

  it('scales in one server a step, only after the cooldown', () => {
    const { log } = simulate((t) => (t < 600 ? 80_000 : 10_000), 1200, { cooldownS: 60 }, 12);
    const ins = log.filter((x) => x.d.delta < 0);
    assert.ok(ins.length >= 2);
    assert.ok(ins.every((x) => x.d.delta === -1));
    for (let k = 1; k < ins.length; k++) assert.ok(ins[k].t - ins[k - 1].t >= 60);
    // The load drop must leave the trend window's peak before the first step in.
    assert.ok(ins[0].t >= 600 + 60);
  });

  it('respects the minimum and maximum server counts', () => {
    assert.equal(simulate(() => 10, 900, { minServers: 2 }).powered, 2);
    assert.equal(simulate(() => 10_000_000, 60, { maxServers: 9 }).powered, 9);
  });

  it('holds the current count when fed nothing', () => {
    const s = new ClusterScaler(profile, { maxServers: 30, staleS: 60 });
    s.observe({ requestsPerSec: 0, tokensPerSec: 0, activeServers: 7 }, 0);
    const d = s.decide(300);
    assert.equal(d.reason, 'stale-hold');
    assert.equal(d.target, 7);
  });

  it('never scales to zero, even on zero load', () => {
    assert.ok(simulate(() => 0, 1800).powered >= 1);
    assert.throws(() => new ClusterScaler(profile, { maxServers: 4, minServers: 0 }), (e: EnergyInputError) => e.code === 'ERR_BAD_CONFIG');
  });

  it('with square-root staffing, keeps spare capacity growing with the root of the load, not the load', () => {
    const s = new ClusterScaler(profile, { maxServers: 100, staffing: 'sqrt', beta: 1, targetBusy: 0.5, headroom: 0 });
    // R = load / 8k: R + √R.
    assert.equal(s.serversFor(32_000, 0), 6); // 4 + 2
    assert.equal(s.serversFor(128_000, 0), 20); // 16 + 4
  });

  it('with square-root staffing, widens its margin when the attainment falls below target', () => {
    const s = new ClusterScaler(profile, { maxServers: 100, staffing: 'sqrt', beta: 1, sloTargetPct: 99, breachPts: 100 });
    for (let t = 5; t <= 600; t += 5) {
      s.observe({ requestsPerSec: 10, tokensPerSec: 40_000, activeServers: 10, sloAttainmentPct: 97 }, t);
      s.decide(t);
    }
    assert.ok(s.qosBeta > 1, `β ${s.qosBeta}`);
  });

  it('sizes for the mean of the last burst span when asked, not the peak of the trend window', () => {
    const load = (t: number) => (t < 100 ? 120_000 : 20_000);
    const peak = simulate(load, 200, { level: 'peak', cooldownS: 0 });
    const mean = simulate(load, 200, { level: 'mean', cooldownS: 0 });
    assert.ok(mean.log.at(-1)!.d.needed < peak.log.at(-1)!.d.needed);
  });

  it('adds a server when the observed attainment falls below target', () => {
    const s = new ClusterScaler(profile, { maxServers: 30 });
    for (let t = 5; t <= 300; t += 5) s.observe({ requestsPerSec: 10, tokensPerSec: 10_000, activeServers: 6, sloAttainmentPct: 90 }, t);
    const d = s.decide(300);
    assert.equal(d.reason, 'slo-breach');
    assert.equal(d.target, 7);
  });

  it('rejects negative load and fractional server counts', () => {
    const s = new ClusterScaler(profile, { maxServers: 30 });
    assert.throws(() => s.observe({ requestsPerSec: -1, activeServers: 3 }, 0), (e: EnergyInputError) => e.code === 'ERR_BAD_LOAD');
    assert.throws(() => s.observe({ requestsPerSec: 1, activeServers: 2.5 }, 0), (e: EnergyInputError) => e.code === 'ERR_BAD_LOAD');
  });
});

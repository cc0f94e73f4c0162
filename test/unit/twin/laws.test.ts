import assert from 'node:assert/strict';
import {
  chillerCop,
  decodeStepSeconds,
  decodeUtilisation,
  gpuPower,
  isolatedTtftSeconds,
  prefillRate,
  pumpPowerKW,
  pumpSpeed,
  tbtSloSeconds,
  ttftSloSeconds,
  waterRiseK,
} from '../../../core/twin/laws';
import { DEFAULT_PARAMS as P, twinParams } from '../../../core/twin/params';

const close = (actual: number, expected: number, tol = 1e-9) =>
  assert.ok(Math.abs(actual - expected) <= tol * Math.max(1, Math.abs(expected)), `${actual} ≠ ${expected}`);

describe('twin laws (twin.md §1, §3)', () => {
  describe('GPU power', () => {
    it('is the static 120 W when idle at any clock', () => {
      for (const f of P.cluster.clockSetMHz) close(gpuPower(P, f, 0), 120);
    });
    it('is the 700 W TDP at full utilisation and 1980 MHz', () => {
      close(gpuPower(P, 1980, 1), 700);
    });
    it('scales the dynamic part with (f / 1980)^2.4 at every clock of the set', () => {
      // Computed independently: 120 + 580 · (f / 1980)^2.4, rounded to 0.01 W.
      const expected: Record<number, number> = { 800: 185.89, 1000: 232.57, 1200: 294.37, 1400: 372.43, 1600: 467.79, 1800: 581.41, 1980: 700 };
      for (const f of P.cluster.clockSetMHz) assert.ok(Math.abs(gpuPower(P, f, 1) - expected[f]) < 0.01, `${f} MHz`);
    });
    it('is linear in utilisation', () => {
      close(gpuPower(P, 1600, 0.5) - 120, (gpuPower(P, 1600, 1) - 120) / 2);
    });
    it('uses decode utilisation 0.25 + 0.25·min(1, b/128)', () => {
      close(decodeUtilisation(P, 0), 0.25);
      close(decodeUtilisation(P, 64), 0.375);
      close(decodeUtilisation(P, 128), 0.5);
      close(decodeUtilisation(P, 256), 0.5);
    });
  });

  describe('timing', () => {
    it('prefills 16,000 tokens/s on TP8 at 1980 MHz, proportional to the clock', () => {
      close(prefillRate(P, 8, 1980), 16000);
      close(prefillRate(P, 8, 990), 8000);
    });
    it('prefills at half rate on TP4 and a quarter on TP2', () => {
      close(prefillRate(P, 4, 1980), 8000);
      close(prefillRate(P, 2, 1980), 4000);
    });
    it('takes (15 + 0.15·b) ms per decode step at 1980 MHz on TP8', () => {
      close(decodeStepSeconds(P, 8, 1980, 1), 0.01515);
      close(decodeStepSeconds(P, 8, 1980, 100), 0.030);
    });
    it('slows the decode step by (0.7 + 0.3·1980/f) at lower clocks', () => {
      close(decodeStepSeconds(P, 8, 990, 0), 0.015 * 1.3);
    });
    it('multiplies the step by 1.6 on TP4 and 2.6 on TP2', () => {
      close(decodeStepSeconds(P, 4, 1980, 10), 0.0165 * 1.6);
      close(decodeStepSeconds(P, 2, 1980, 10), 0.0165 * 2.6);
    });
  });

  describe('SLO', () => {
    it('has a 250 ms TTFT floor for short prompts', () => {
      close(ttftSloSeconds(P, 100), 0.25);
    });
    it('allows 5× the isolated TTFT for long prompts', () => {
      close(isolatedTtftSeconds(P, 8000), 0.5);
      close(ttftSloSeconds(P, 8000), 2.5);
    });
    it('allows a mean TBT of 5 × 15.15 ms', () => {
      close(tbtSloSeconds(P), 0.07575);
    });
  });

  describe('cooling', () => {
    it('follows the pump cube law: 5 kW at 500 L/min, 5/8 kW at 250', () => {
      close(pumpPowerKW(P, 500), 5);
      close(pumpPowerKW(P, 250), 0.625);
    });
    it('floors the pump at 15 % speed', () => {
      close(pumpSpeed(P, 50), 0.15);
      close(pumpPowerKW(P, 50), 5 * 0.15 ** 3);
      close(pumpPowerKW(P, 10), pumpPowerKW(P, 75));
    });
    it('has chiller COP 5 at 30 °C supply, +2.5 % per K', () => {
      close(chillerCop(P, 30), 5);
      close(chillerCop(P, 40), 6.25);
      close(chillerCop(P, 18), 3.5);
    });
    it('carries 0.0694 kW per (L/min · K) of water', () => {
      close(waterRiseK(P, 69.4, 100), 10);
    });
  });

  it('parameter overrides replace only the named numbers', () => {
    const p = twinParams({ power: { staticW: 100 } });
    assert.equal(p.power.staticW, 100);
    assert.equal(p.power.dynamicW, 580);
    assert.equal(P.power.staticW, 120);
  });
});

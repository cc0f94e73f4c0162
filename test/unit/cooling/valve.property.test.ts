// Acceptance 4: whatever arrives (NaN, huge, negative, stale, garbage), the valve never writes a
// value outside the limits or changes one faster than the ramp allows.
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { CoolantValve, type ValveMode } from '../../../core/cooling/valve';

const weird = fc.oneof(
  fc.double({ noNaN: false }),
  fc.constantFrom(Number.NaN, Infinity, -Infinity, -1, 0, 1e308, -1e308, 83, 500, 18, 45),
  fc.double({ min: -100, max: 600, noNaN: true }),
  fc.constant(undefined),
  fc.constant(null),
  fc.string(),
  fc.boolean(),
);

const forecastArb = fc.oneof(
  fc.constant(null),
  fc.record({
    t: fc.oneof(weird, fc.constant('now')),
    ready: fc.oneof(fc.boolean(), weird),
    predicted: weird,
    interval: fc.oneof(fc.constant(null), fc.record({ high: weird })),
    assumedSupplyC: weird,
    assumedCoolantOffsetK: weird,
  }),
);

const overrideArb = fc.oneof(
  fc.constant(undefined),
  fc.constant('release'),
  fc.constant(false),
  fc.record({ flowLpm: weird, supplyC: weird }),
  weird,
);

const step = fc.record({
  dt: fc.oneof(fc.double({ min: 0, max: 600, noNaN: true }), fc.constantFrom(0, 1, 10, -5, Number.NaN)),
  forecastAge: fc.oneof(fc.double({ min: -100, max: 1000, noNaN: true }), weird),
  forecast: forecastArb,
  heatKW: weird,
  heatComingKW: weird,
  flowLpm: weird,
  supplyC: weird,
  dewPointC: fc.oneof(fc.constant(undefined), fc.double({ min: -20, max: 40, noNaN: true }), weird),
  override: overrideArb,
  mode: fc.constantFrom<ValveMode>('auto', 'advisory', 'manual'),
});

describe('Coolant Valve safety (property)', () => {
  it('never writes outside the limits or faster than the ramp, whatever the inputs', () => {
    fc.assert(
      fc.property(fc.array(step, { minLength: 1, maxLength: 40 }), (steps) => {
        const v = new CoolantValve();
        const lim = v.c.limits;
        let t = 1000;
        let prev: { flow: number; supply: number; t: number } | null = null;
        for (const s of steps) {
          const dt = Number.isFinite(s.dt) && s.dt > 0 ? s.dt : 0;
          t += dt;
          const forecast = s.forecast === null ? null : { ...s.forecast, t: typeof s.forecastAge === 'number' && Number.isFinite(s.forecastAge) ? t - s.forecastAge : s.forecast.t };
          const out = v.step({ tS: t, forecast, heatKW: s.heatKW, heatComingKW: s.heatComingKW, flowLpm: s.flowLpm, supplyC: s.supplyC, dewPointC: s.dewPointC, override: s.override }, s.mode);
          assert.ok(Number.isFinite(out.flowLpm) && Number.isFinite(out.supplyTempC), 'finite');
          assert.ok(out.flowLpm >= lim.flowMinLpm && out.flowLpm <= lim.flowMaxLpm, `flow ${out.flowLpm}`);
          const floor = v.supplyFloor(s.dewPointC);
          assert.ok(out.supplyTempC >= floor - 1e-9 && out.supplyTempC <= lim.supplyMaxC, `supply ${out.supplyTempC} floor ${floor}`);
          if (s.mode === 'advisory') continue;
          if (prev) {
            const minutes = (t - prev.t) / 60;
            assert.ok(Math.abs(out.flowLpm - prev.flow) <= lim.flowRampLpmPerMin * minutes + 1e-6, `flow ramp ${prev.flow} → ${out.flowLpm} in ${minutes} min`);
            // The dew-point floor may lift the supply faster than the ramp (limits come first).
            const lifted = out.supplyTempC === floor && prev.supply < floor;
            if (!lifted) assert.ok(Math.abs(out.supplyTempC - prev.supply) <= lim.supplyRampCPerMin * minutes + 1e-6, `supply ramp ${prev.supply} → ${out.supplyTempC} in ${minutes} min`);
          }
          prev = { flow: out.flowLpm, supply: out.supplyTempC, t };
        }
      }),
      { numRuns: 2000, seed: 20261126 },
    );
  });
});

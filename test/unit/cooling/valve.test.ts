import assert from 'node:assert/strict';
import { feedForwardFlow, DEFAULT_LIMITS, DEFAULT_PLANT } from '../../../core/cooling/plant';
import { chooseSetpoints, type SetpointInput } from '../../../core/cooling/setpoints';
import { CoolantValve, type ForecastIn, type ValveInput } from '../../../core/cooling/valve';

/** A fresh forecast: hottest GPU `gpuC` at the supply 40 °C and a 2 K coolant offset. */
function forecast(t: number, gpuC: number, high = gpuC + 1): ForecastIn {
  return { target: 'gpuMaxC', t, ready: true, predicted: gpuC, interval: { high }, assumedSupplyC: 40, assumedCoolantOffsetK: 2 };
}

function input(t: number, f: ForecastIn | null, extra: Partial<ValveInput> = {}): ValveInput {
  return { tS: t, forecast: f, heatKW: 40, flowLpm: 150, supplyC: 40, ...extra };
}

/** A valve that has written 150 L/min and 40 °C at t = 0. */
function seeded(config = {}): CoolantValve {
  const v = new CoolantValve(config);
  v.seed(150, 40, 0);
  return v;
}

describe('Coolant Valve core', () => {
  describe('setpoints', () => {
    it('warms the supply when the forecast leaves headroom', () => {
      const out = seeded().step(input(600, forecast(600, 70)));
      assert.equal(out.reason, 'optimised');
      assert.ok(out.supplyTempC > 40);
    });

    it('cools the supply when the forecast is above the target', () => {
      const out = seeded().step(input(600, forecast(600, 88)));
      assert.ok(out.supplyTempC < 40);
    });

    it('aims the forecast upper bound at the target minus the margin (at the forecast flow)', () => {
      const v = seeded({ marginK: 2, limits: { flowMinLpm: 150, flowMaxLpm: 150 } as never });
      const out = v.step(input(600, forecast(600, 76, 79)));
      // 79 at 40 °C supply → 81 at 42 °C.
      assert.ok(Math.abs(out.aim.supplyC - 42) < 1e-9, String(out.aim.supplyC));
    });

    it('a fixed ΔT gives the feed-forward flow Q = 0.0694 · flow · ΔT', () => {
      const v = seeded({ deltaTK: 5 });
      const out = v.step(input(600, forecast(600, 70), { heatKW: 34.7 }));
      assert.ok(Math.abs(out.aim.flowLpm - 100) < 1e-9);
      assert.ok(Math.abs(feedForwardFlow(DEFAULT_PLANT, 34.7, 5) - 100) < 1e-9);
    });

    it('prefers a warmer supply and more flow when the chiller saves more than the pump costs', () => {
      const out = seeded().step(input(6000, forecast(6000, 80, 81)));
      assert.ok(out.aim.flowLpm > 50);
      assert.ok(out.predictedPowerKW !== null && out.predictedPowerKW > 0);
    });

    describe('within what the ramps can write now', () => {
      // Hottest GPU forecast 78 °C (upper bound) at 40 °C supply, 150 L/min, 2 K coolant offset, 40 kW.
      const inp: SetpointInput = { predictedGpuC: 78, assumedSupplyC: 40, assumedFlowLpm: 150, heatKW: 40, heatNowKW: 40, coolantOffsetK: 2 };
      const goal = { gpuTargetC: 81, deltaTK: null, supplyFloorC: 18 };
      const gpuAt = (flow: number, supply: number) => supply + (78 - 40 - 2) + (2 * 150) / flow;

      it('while the supply is still climbing, less flow does: the colder supply already keeps the bound', () => {
        const blind = chooseSetpoints(inp, goal, DEFAULT_LIMITS, DEFAULT_PLANT);
        // From 38 °C the supply may rise 1/3 K in this 10 s step; the flow from 150 by 60 L/min either way.
        const reach = { flowLpm: [90, 210] as [number, number], supplyC: [38 - 1 / 3, 38 + 1 / 3] as [number, number] };
        const aware = chooseSetpoints(inp, { ...goal, reach }, DEFAULT_LIMITS, DEFAULT_PLANT);
        assert.ok(blind.supplyC > 38.5, `the aim is warmer than the ramp allows now: ${blind.supplyC}`);
        assert.ok(aware.flowLpm < blind.flowLpm, `${aware.flowLpm} vs ${blind.flowLpm}`);
        assert.equal(aware.flowLpm, 90);
        // The bound holds at what is written now (supply ramped from 38), not only at the aim.
        assert.ok(gpuAt(aware.flowLpm, Math.min(aware.supplyC, 38 + 1 / 3)) <= 81 + 1e-9);
      });

      it('when nothing it can write keeps the bound, it chooses as without the ramps', () => {
        const hot = { ...inp, predictedGpuC: 90 };
        const reach = { flowLpm: [140, 160] as [number, number], supplyC: [40 - 1 / 3, 40 + 1 / 3] as [number, number] };
        assert.deepEqual(chooseSetpoints(hot, { ...goal, reach }, DEFAULT_LIMITS, DEFAULT_PLANT), chooseSetpoints(hot, goal, DEFAULT_LIMITS, DEFAULT_PLANT));
      });

      it('any choice within reach keeps the bound at the setpoints written', () => {
        for (let i = 0; i < 200; i++) {
          const from = { flow: 60 + ((i * 37) % 400), supply: 20 + ((i * 13) % 25) };
          const reach = { flowLpm: [from.flow - 10, from.flow + 10] as [number, number], supplyC: [from.supply - 1 / 3, from.supply + 1 / 3] as [number, number] };
          const c = chooseSetpoints(inp, { ...goal, reach }, DEFAULT_LIMITS, DEFAULT_PLANT);
          const written = Math.min(Math.max(c.supplyC, from.supply - 1 / 3), from.supply + 1 / 3);
          const inReach = c.flowLpm >= from.flow - 10 - 1e-9 && c.flowLpm <= from.flow + 10 + 1e-9;
          if (inReach) assert.ok(gpuAt(c.flowLpm, written) <= 81 + 1e-9, `from ${JSON.stringify(from)}: ${JSON.stringify(c)}`);
        }
      });

      it('the valve writes less flow while its supply climbs back than a ramp-blind one', () => {
        const run = (rampAware: boolean) => {
          const v = new CoolantValve({ rampAware });
          v.seed(150, 36, 0);
          // A minute after the write: flow 90–210 L/min and supply 34–38 °C can be written.
          return v.step(input(60, forecast(60, 76, 80), { supplyC: 36 }));
        };
        const aware = run(true);
        const blind = run(false);
        assert.ok(aware.flowLpm < blind.flowLpm, `${aware.flowLpm} vs ${blind.flowLpm}`);
        assert.equal(aware.supplyTempC, blind.supplyTempC);
      });
    });

    it('reports the loop ΔT of the setpoints it writes', () => {
      const out = seeded().step(input(600, forecast(600, 70)));
      assert.ok(out.deltaTC !== null && Math.abs(out.deltaTC - 40 / (0.0694 * out.flowLpm)) < 1e-9);
    });
  });

  describe('safety chain', () => {
    it('never writes outside the limits', () => {
      const v = seeded();
      const out = v.step(input(1e6, forecast(1e6, 10)));
      assert.equal(out.supplyTempC, 45);
      assert.equal(out.clamped, true);
      const cold = seeded().step(input(1e6, forecast(1e6, 200)));
      assert.ok(cold.supplyTempC >= 18 && cold.flowLpm <= 500);
    });

    it('keeps the supply a margin above the dew point', () => {
      const out = seeded().step(input(1e6, forecast(1e6, 200), { dewPointC: 30 }));
      assert.equal(out.supplyTempC, 32);
    });

    it('limits the change per minute', () => {
      const v = seeded();
      const out = v.step(input(30, forecast(30, 60)));
      assert.equal(out.rateLimited, true);
      assert.ok(Math.abs(out.supplyTempC - 40) <= 1 + 1e-9, 'supply 2 °C/min for 30 s');
      assert.ok(Math.abs(out.flowLpm - 150) <= 30 + 1e-9, 'flow 60 L/min/min for 30 s');
    });

    it('a manual override wins until it is released', () => {
      const v = seeded();
      v.step(input(60, forecast(60, 70), { override: { flowLpm: 300, supplyC: 30 } }));
      const held = v.step(input(6000, forecast(6000, 70)));
      assert.equal(held.reason, 'override');
      assert.deepEqual([held.flowLpm, held.supplyTempC], [300, 30]);
      const back = v.step(input(6060, forecast(6060, 70), { override: 'release' }));
      assert.equal(back.reason, 'optimised');
      assert.equal(back.overrideActive, false);
    });

    it('an override outside the limits is clamped, not obeyed', () => {
      const out = seeded().step(input(6000, null, { override: { flowLpm: 900, supplyC: 5 } }));
      assert.deepEqual([out.flowLpm, out.supplyTempC], [500, 18]);
    });

    it('a stale forecast sends the valve to the safe setpoint, never less cooling', () => {
      const v = seeded({ safe: { flowLpm: 400, supplyC: 25 } });
      const out = v.step(input(6000, forecast(5000, 60)));
      assert.equal(out.reason, 'stale');
      assert.deepEqual([out.flowLpm, out.supplyTempC], [400, 25]);
    });

    it('without a forecast it keeps cooling that is already stronger than safe', () => {
      const v = new CoolantValve({ safe: { flowLpm: 200, supplyC: 30 } });
      v.seed(450, 20, 0);
      const out = v.step(input(6000, null));
      assert.equal(out.reason, 'missing');
      assert.deepEqual([out.flowLpm, out.supplyTempC], [450, 20]);
    });

    it('a forecast that is still learning is not acted on', () => {
      const out = seeded().step(input(600, { ready: false, t: 600, predicted: null }));
      assert.equal(out.reason, 'not-ready');
    });

    it('missing heat falls back to safe', () => {
      const out = seeded().step(input(600, forecast(600, 70), { heatKW: Number.NaN }));
      assert.equal(out.reason, 'missing-heat');
    });

    it('advisory mode computes but does not move the ramp origin', () => {
      const v = seeded();
      const a = v.step(input(600, forecast(600, 60)), 'advisory');
      assert.equal(a.mode, 'advisory');
      assert.deepEqual(v.lastWritten, { flowLpm: 150, supplyC: 40, tS: 0 });
    });

    it('manual mode without an override holds what was written', () => {
      const out = seeded().step(input(600, forecast(600, 60)), 'manual');
      assert.equal(out.reason, 'hold');
      assert.deepEqual([out.flowLpm, out.supplyTempC], [150, 40]);
    });

    it('keeps its state (last write, override) across a restart', () => {
      const v = seeded();
      v.step(input(60, null, { override: { flowLpm: 250, supplyC: 35 } }));
      const again = new CoolantValve({}, JSON.parse(JSON.stringify(v.toJSON())));
      assert.equal(again.step(input(6000, forecast(6000, 70))).reason, 'override');
    });
  });
});

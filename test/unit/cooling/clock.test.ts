import assert from 'node:assert/strict';
import { CoolantValve, DataClock, type ForecastIn } from '../../../core/cooling/valve';

/** A fresh forecast of a hot GPU made at `t` (the valve wants much more cooling). */
function hot(t: number): ForecastIn {
  return { target: 'gpuMaxC', t, ready: true, predicted: 95, interval: { high: 96 }, assumedSupplyC: 40, assumedCoolantOffsetK: 2 };
}

describe('Coolant Valve clock', () => {
  it('ramps per minute of its own clock when the input carries no time', () => {
    let now = 0;
    const v = new CoolantValve({}, undefined, () => now);
    v.seed(150, 40);
    now = 30;
    const out = v.step({ forecast: hot(30), heatKW: 40, flowLpm: 150, supplyC: 40 });
    // 2 °C/min over half a virtual minute.
    assert.ok(Math.abs(out.supplyTempC - 39) < 1e-9, String(out.supplyTempC));
  });

  it('judges staleness on its own clock', () => {
    let now = 0;
    const v = new CoolantValve({ staleAfterS: 60 }, undefined, () => now);
    v.seed(150, 40);
    now = 61;
    assert.equal(v.step({ forecast: hot(0), heatKW: 40 }).reason, 'stale');
  });

  it('an accelerated virtual clock moves the setpoints as far as that many virtual minutes allow', () => {
    let virtual = 1000;
    const v = new CoolantValve({}, undefined, () => virtual);
    v.seed(150, 40);
    virtual += 120; // two twin minutes, whatever the wall clock did meanwhile
    const out = v.step({ forecast: hot(virtual), heatKW: 40, flowLpm: 150, supplyC: 40 });
    assert.ok(Math.abs(out.supplyTempC - 36) < 1e-9, String(out.supplyTempC));
  });

  it('an explicit tS wins over the clock', () => {
    const v = new CoolantValve({}, undefined, () => 1e9);
    v.seed(150, 40, 0);
    const out = v.step({ tS: 60, forecast: hot(60), heatKW: 40, flowLpm: 150, supplyC: 40 });
    assert.ok(Math.abs(out.supplyTempC - 38) < 1e-9, String(out.supplyTempC));
  });

  it('defaults to the wall clock', () => {
    const v = new CoolantValve();
    assert.ok(Math.abs(v.now() - Date.now() / 1000) < 5);
  });

  describe('DataClock', () => {
    it('is not started before the first timestamp', () => {
      assert.ok(Number.isNaN(new DataClock(() => 0).now()));
    });

    it('jumps to a later data timestamp', () => {
      let wall = 0;
      const c = new DataClock(() => wall);
      c.advance(5000);
      wall = 1;
      c.advance(5100); // a twin 100× faster than real time
      assert.equal(c.now(), 5100);
    });

    it('never goes backwards', () => {
      const c = new DataClock(() => 0);
      c.advance(5000);
      c.advance(4000);
      c.advance(Number.NaN);
      assert.equal(c.now(), 5000);
    });

    it('runs on at wall pace when the data stops, so a forecast still goes stale', () => {
      let wall = 0;
      const c = new DataClock(() => wall);
      c.advance(5000);
      const v = new CoolantValve({ staleAfterS: 60 }, undefined, c.now);
      v.seed(150, 40);
      wall = 61;
      assert.equal(c.now(), 5061);
      const out = v.step({ forecast: hot(5000), heatKW: 40 });
      assert.equal(out.reason, 'stale');
      assert.ok(out.flowLpm > 150, 'heads for more cooling at the ramp pace');
    });
  });
});

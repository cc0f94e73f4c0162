import assert from 'node:assert/strict';
import { Server } from '../../../core/twin/cluster';
import { Facility } from '../../../core/twin/facility';
import { twinParams, type TwinParamOverrides } from '../../../core/twin/params';
import { BmsWriteError, Cdu, relax, stepGpuThermal } from '../../../core/twin/thermal';
import { constantRate, type Workload } from '../../../core/twin/workload';

const P = twinParams();
const idle: Workload = { name: 'idle', startEpochMs: 0, durationS: 3600, requests: [] };

function facility(over: TwinParamOverrides = {}, w: Workload = idle): Facility {
  return new Facility(twinParams(over), w, 1);
}

/** A server whose GPUs sit at `startC` and are driven toward `targetC` (coolant 40 °C). */
function hotServer(startC: number, targetC: number) {
  const s = new Server(0, 'S01', 0, 8, P);
  s.gpuC.fill(startC);
  s.gpuPowerW.fill((targetC - 40) / P.thermal.gpuKPerW);
  return s;
}

describe('twin thermal and cooling (twin.md §3)', () => {
  describe('GPU temperature', () => {
    it('relaxes toward coolant + 0.06 K/W · P with a 15 s lag', () => {
      const s = hotServer(40, 70);
      for (let t = 0; t < 15; t++) stepGpuThermal(P, s, 40, 1);
      const expected = 70 - 30 * Math.exp(-1);
      assert.ok(Math.abs(s.gpuC[0] - expected) < 1e-9, `${s.gpuC[0]} vs ${expected}`);
    });

    it('puts HBM at coolant + 0.05 K/W · P + 4 K in steady state', () => {
      const s = hotServer(40, 70);
      for (let t = 0; t < 600; t++) stepGpuThermal(P, s, 40, 1);
      assert.ok(Math.abs(s.hbmC[0] - (40 + 0.05 * 500 + 4)) < 1e-6);
    });

    it('lowers the clock cap by 200 MHz per 5 s above 87 °C', () => {
      const s = hotServer(88, 88);
      const caps: number[] = [];
      for (let t = 0; t < 11; t++) {
        stepGpuThermal(P, s, 40, 1);
        caps.push(s.capMHz[0]);
      }
      assert.deepEqual(caps, [1780, 1780, 1780, 1780, 1780, 1580, 1580, 1580, 1580, 1580, 1380]);
      assert.equal(s.instances.length, 0);
    });

    it('counts one throttle event per GPU that starts throttling', () => {
      const s = hotServer(88, 88);
      const first = stepGpuThermal(P, s, 40, 1);
      const second = stepGpuThermal(P, s, 40, 1);
      assert.equal(first.throttleStarts, 8);
      assert.equal(second.throttleStarts, 0);
    });

    it('caps the clock at 800 MHz above 89 °C', () => {
      const s = hotServer(90, 90);
      stepGpuThermal(P, s, 40, 1);
      assert.equal(s.capMHz[0], 800);
    });

    it('does not throttle at 87 °C or below, and recovers once cool', () => {
      const s = hotServer(86.9, 86.9);
      stepGpuThermal(P, s, 40, 1);
      assert.equal(s.capMHz[0], 1980);
      s.capMHz.fill(1580);
      for (let t = 0; t < 10; t++) stepGpuThermal(P, s, 40, 1);
      assert.equal(s.capMHz[0], 1980);
    });

    it('slows an instance down to its hottest GPU’s cap', () => {
      // Back-to-back prefill (one-token answers) at 700 W on 45 °C water with minimum flow.
      const f = facility({ cluster: { servers: 1, initialActiveServers: 1 }, cooling: { localSupplyC: 45, localFlowLpm: 50 } },
        constantRate(40, { durationS: 400, seed: 1, lengths: { inputTokens: 2000, outputTokens: 1 } }));
      let slowest = Infinity;
      f.onInterval((x) => (slowest = Math.min(slowest, ...Object.keys(x.frequencyHistogram).map(Number))));
      f.advance(400);
      const s = f.summary();
      assert.ok(s.peakGpuC > 87, `peak ${s.peakGpuC}`);
      assert.ok(s.throttleEvents > 0);
      assert.ok(slowest <= 1780, `slowest ${slowest}`);
    });
  });

  describe('coolant loop', () => {
    it('return − supply = Q_liquid / (0.0694 · flow) at steady state', () => {
      const f = facility();
      f.writeHeartbeat(1);
      f.writeFlowSetpoint(100);
      for (let t = 10; t <= 900; t += 10) {
        f.advance(t);
        f.writeHeartbeat(t);
      }
      const bms = f.bmsRead();
      const rackKW = Object.entries(bms).filter(([k]) => /^Rack\d+\.Power$/.test(k)).reduce((a, [, v]) => a + (v as number), 0);
      const q = 0.8 * rackKW;
      assert.equal(bms['CDU1.Flow'], 100);
      const rise = (bms['CDU1.ReturnTemperature'] as number) - (bms['CDU1.SupplyTemperature'] as number);
      assert.ok(Math.abs(rise - q / (0.0694 * 100)) < 1e-6, `${rise} vs ${q / 6.94}`);
    });

    it('ramps the flow by at most 60 L/min per minute', () => {
      const f = facility();
      f.writeFlowSetpoint(200);
      for (let t = 0; t < 60; t += 10) {
        f.writeHeartbeat(t);
        f.advance(t + 10);
      }
      assert.ok(Math.abs((f.bmsRead()['CDU1.Flow'] as number) - 340) < 1e-9);
    });

    it('moves the supply temperature toward its setpoint with a 60 s lag', () => {
      const f = facility();
      f.writeSupplySetpoint(35);
      for (let t = 0; t < 60; t += 10) {
        f.writeHeartbeat(t);
        f.advance(t + 10);
      }
      const expected = 35 - 10 * Math.exp(-1);
      assert.ok(Math.abs((f.bmsRead()['CDU1.SupplyTemperature'] as number) - expected) < 1e-9);
    });

    it('delays the return temperature by the 80 s transport lag', () => {
      const c = new Cdu(P);
      for (let t = 1; t <= 80; t++) c.step(t, 1, 0);
      for (let t = 81; t <= 160; t++) {
        c.step(t, 1, 69.4);
        assert.equal(c.returnC, 25);
      }
      c.step(161, 1, 69.4);
      assert.ok(Math.abs(c.returnC - (25 + 69.4 / (0.0694 * 400))) < 1e-9);
    });

    it('computes chiller power as Q / COP and pump power by the cube law', () => {
      const c = new Cdu(P);
      const out = c.step(1, 1, 100);
      assert.ok(Math.abs(out.chillerKW - 100 / (5 * (1 + 0.025 * (25 - 30)))) < 1e-9);
      assert.ok(Math.abs(out.pumpKW - 5 * 0.8 ** 3) < 1e-9);
    });

    it('raises LowFlowAlarm when the flow is too low for the heat', () => {
      const c = new Cdu(P);
      c.writeHeartbeat(1, 0);
      c.writeFlowSetpoint(50);
      for (let t = 1; t <= 500; t++) {
        c.writeHeartbeat(t, t);
        c.step(t, 1, 80);
      }
      assert.equal(c.lowFlowAlarm, true);
    });

    it('keeps rack inlet air at 24 °C + 0.004 K/W of air-side heat in steady state', () => {
      const f = facility({ cluster: { servers: 2, initialActiveServers: 2 } });
      f.advance(2000);
      const air = 2 * 0.2 * (1200 + 8 * 120);
      assert.ok(Math.abs((f.bmsRead()['Rack01.InletAirTemperature'] as number) - (24 + 0.004 * air)) < 1e-6);
    });
  });

  describe('BMS heartbeat fail-safe', () => {
    it('follows remote setpoints while the heartbeat is fresh', () => {
      const f = facility();
      f.writeFlowSetpoint(300);
      for (let t = 0; t <= 120; t += 10) {
        f.writeHeartbeat(t);
        f.advance(t + 10);
      }
      const bms = f.bmsRead();
      assert.equal(bms['CDU1.ControlMode'], 'Remote');
      assert.equal(bms['CDU1.RemoteTimeout'], false);
      assert.equal(bms['CDU1.Flow'], 300);
    });

    it('reverts to 400 L/min and 25 °C with RemoteTimeout after 30 s without heartbeat', () => {
      const f = facility();
      f.writeHeartbeat(1);
      f.writeFlowSetpoint(300);
      f.writeSupplySetpoint(35);
      f.advance(30);
      assert.equal(f.bmsRead()['CDU1.RemoteTimeout'], false);
      f.advance(31);
      let bms = f.bmsRead();
      assert.equal(bms['CDU1.RemoteTimeout'], true);
      assert.equal(bms['CDU1.ControlMode'], 'Local');
      f.advance(600);
      bms = f.bmsRead();
      assert.equal(bms['CDU1.Flow'], 400);
      assert.ok(Math.abs((bms['CDU1.SupplyTemperature'] as number) - 25) < 0.01);
      assert.equal(bms['CDU1.FlowSetpoint'], 300, 'the remote register keeps the written value');
    });

    it('reverts to local setpoints when remote writes are disabled', () => {
      const f = facility();
      f.writeHeartbeat(1);
      f.setRemoteWritesEnabled(false);
      assert.equal(f.bmsRead()['CDU1.RemoteTimeout'], true);
      assert.throws(() => f.writeFlowSetpoint(200), (e: unknown) => e instanceof BmsWriteError && e.code === 'BadNotWritable');
    });

    it('rejects an out-of-range flow setpoint with BadOutOfRange and keeps the old value', () => {
      const f = facility();
      f.bmsWrite('CDU1.FlowSetpoint', 300);
      assert.throws(() => f.bmsWrite('CDU1.FlowSetpoint', 900), (e: unknown) => e instanceof BmsWriteError && e.code === 'BadOutOfRange');
      assert.throws(() => f.bmsWrite('CDU1.FlowSetpoint', 49), BmsWriteError);
      assert.equal(f.bmsRead()['CDU1.FlowSetpoint'], 300);
    });

    it('rejects a supply setpoint outside 18–45 °C', () => {
      const f = facility();
      assert.throws(() => f.bmsWrite('CDU1.SupplyTemperatureSetpoint', 17.9), (e: unknown) => e instanceof BmsWriteError && e.code === 'BadOutOfRange');
      assert.throws(() => f.bmsWrite('CDU1.SupplyTemperatureSetpoint', 45.1), BmsWriteError);
      f.bmsWrite('CDU1.SupplyTemperatureSetpoint', 18);
      assert.equal(f.bmsRead()['CDU1.SupplyTemperatureSetpoint'], 18);
    });

    it('rejects writes to read-only and unknown points', () => {
      const f = facility();
      assert.throws(() => f.bmsWrite('CDU1.Flow', 100), (e: unknown) => e instanceof BmsWriteError && e.code === 'BadNotWritable');
      assert.throws(() => f.bmsWrite('CDU9.Flow', 100), (e: unknown) => e instanceof BmsWriteError && e.code === 'BadNodeIdUnknown');
    });

    it('rejects a non-numeric setpoint with BadTypeMismatch', () => {
      const f = facility();
      assert.throws(() => f.bmsWrite('CDU1.FlowSetpoint', 'fast'), (e: unknown) => e instanceof BmsWriteError && e.code === 'BadTypeMismatch');
    });
  });

  it('relax is the exact first-order step', () => {
    assert.ok(Math.abs(relax(0, 1, 10, 10) - (1 - Math.exp(-1))) < 1e-12);
  });
});

describe('twin CDU manual mode', () => {
  it('follows the panel setpoints in Manual mode whatever the BMS writes', () => {
    const f = new Facility(twinParams(), { name: 'idle', startEpochMs: 0, durationS: 600, requests: [] }, 1);
    f.setManualOverride({ flowLpm: 250, supplyC: 30 });
    f.writeFlowSetpoint(100);
    for (let t = 0; t < 300; t += 10) {
      f.writeHeartbeat(t);
      f.advance(t + 10);
    }
    assert.equal(f.bmsRead()['CDU1.ControlMode'], 'Manual');
    assert.equal(f.bmsRead()['CDU1.Flow'], 250);
  });
});

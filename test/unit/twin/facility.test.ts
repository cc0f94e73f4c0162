import assert from 'node:assert/strict';
import { LAYERS, METRICS } from '../../../core/telemetry/catalogue';
import { Facility, type IntervalSample } from '../../../core/twin/facility';
import { twinParams } from '../../../core/twin/params';
import { constantRate, rateScale, sineRate } from '../../../core/twin/workload';

function twin(seed = 3, servers = 2) {
  const p = twinParams({ cluster: { servers, initialActiveServers: servers } });
  const base = sineRate(3, 2, 600, { durationS: 600, seed, startEpochMs: Date.UTC(2024, 5, 1) });
  return new Facility(p, rateScale(base, 1.5, seed), seed);
}

describe('twin facility', () => {
  it('is bit-identical for the same seed and workload', () => {
    const a = twin(5);
    const b = twin(5);
    a.advance(600);
    b.advance(600);
    assert.deepEqual(a.summary(), b.summary());
  });

  it('gives the same result whether advanced in one call or in many small ones', () => {
    const a = twin(5);
    const b = twin(5);
    a.advance(300);
    for (let t = 0.25; t <= 300; t += 0.25) b.advance(t);
    assert.deepEqual(a.summary(), b.summary());
  });

  it('meters IT energy as GPUs + hosts and cooling as pump + chiller, separately', () => {
    const f = twin();
    let it = 0;
    let cooling = 0;
    f.onInterval((s) => {
      it += s.itKW / 3600;
      cooling += s.coolingKW / 3600;
    });
    f.advance(600);
    const e = f.summary().energy;
    assert.ok(Math.abs(e.itKWh - (e.gpuKWh + e.hostKWh)) < 1e-12);
    assert.ok(Math.abs(e.coolingKWh - (e.pumpKWh + e.chillerKWh)) < 1e-12);
    assert.ok(Math.abs(e.itKWh - it) < 1e-9);
    assert.ok(Math.abs(e.coolingKWh - cooling) < 1e-9);
    assert.ok(Math.abs(e.hostKWh - (2 * 1.2 * 600) / 3600) < 1e-9);
  });

  it('uses more GPU energy under load than idle', () => {
    const busy = twin();
    const idle = new Facility(twinParams({ cluster: { servers: 2, initialActiveServers: 2 } }), { name: 'idle', startEpochMs: 0, durationS: 600, requests: [] });
    busy.advance(600);
    idle.advance(600);
    assert.ok(busy.summary().energy.gpuKWh > idle.summary().energy.gpuKWh);
    assert.ok(Math.abs(idle.summary().energy.gpuKWh - (16 * 0.12 * 600) / 3600) < 1e-9);
  });

  it('summarises requests, SLO attainment, latencies and temperatures', () => {
    const f = twin();
    f.advance(700);
    const s = f.summary();
    assert.equal(s.requests.arrived, f.workload.requests.length);
    assert.equal(s.requests.finished, s.requests.arrived);
    assert.ok(s.requests.sloAttainmentPct > 90 && s.requests.sloAttainmentPct <= 100);
    assert.ok(s.ttftS.p50 > 0 && s.ttftS.p50 <= s.ttftS.p99);
    assert.ok(s.tbtS.p50 >= 0.01515 && s.tbtS.p50 <= s.tbtS.p99);
    assert.ok(s.peakGpuC > 30 && s.peakGpuC < 90);
    assert.equal(s.meanActiveServers, 2);
    assert.equal(s.frequencySeconds[1980], 2 * 700);
  });

  it('counts an unfinished request whose TTFT objective has passed as a miss', () => {
    const p = twinParams({ cluster: { servers: 1, initialActiveServers: 0 } });
    const f = new Facility(p, { name: 'x', startEpochMs: 0, durationS: 10, requests: [{ id: 0, arrivalS: 1, inputTokens: 10, outputTokens: 5 }] });
    f.advance(10);
    const s = f.summary();
    assert.equal(s.requests.counted, 1);
    assert.equal(s.requests.sloAttainmentPct, 0);
  });

  it('publishes readings of all five layers with catalogue metrics, units and timestamps', () => {
    const f = twin();
    f.advance(120);
    const readings = f.telemetry();
    assert.deepEqual([...new Set(readings.map((r) => r.layer))].sort(), [...LAYERS].sort());
    for (const r of readings) {
      const m = METRICS[r.metric];
      assert.ok(m, `unknown metric ${r.metric}`);
      assert.equal(r.layer, m.layer);
      assert.equal(r.unit, m.unit);
      assert.ok(Number.isFinite(r.value), `${r.metric} = ${r.value}`);
      assert.equal(r.ts, Date.UTC(2024, 5, 1) + 120_000);
    }
    const names = new Set(readings.map((r) => r.metric));
    for (const metric of Object.keys(METRICS)) assert.ok(names.has(metric), `missing ${metric}`);
  });

  it('reports one GPU-layer reading set per GPU, or per instance when asked', () => {
    const f = twin();
    f.advance(10);
    assert.equal(f.telemetry().filter((r) => r.metric === 'gpu.temperature').length, 16);
    assert.equal(f.telemetry({ perGpu: false }).filter((r) => r.metric === 'gpu.temperature').length, 2);
  });

  it('reports the clock set by setFrequency in telemetry after the pause', () => {
    const f = twin();
    f.setFrequency('S01.I0', 1400);
    f.advance(5);
    const clock = f.telemetry().find((r) => r.metric === 'gpu.clock' && r.tags.instance === 'S01.I0');
    assert.equal(clock?.value, 1400);
  });

  it('lower clocks save GPU energy on the same workload', () => {
    const run = (mhz: number) => {
      const p = twinParams({ cluster: { servers: 1, initialActiveServers: 1 } });
      const f = new Facility(p, constantRate(3, { durationS: 600, seed: 2 }));
      f.setFrequency('S01.I0', mhz);
      f.advance(600);
      return f.summary().energy.gpuKWh;
    };
    assert.ok(run(1400) < run(1980));
  });

  it('calls interval observers once per thermal step with cluster power and a frequency histogram', () => {
    const f = twin();
    const samples: IntervalSample[] = [];
    const off = f.onInterval((s) => samples.push(s));
    f.advance(10);
    off();
    f.advance(20);
    assert.deepEqual(samples.map((s) => s.t), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    assert.deepEqual(samples[9].frequencyHistogram, { 1980: 2 });
    assert.ok(samples[9].itKW > 4);
  });

  it('exposes BMS points named as in twin.md §5 for every rack', () => {
    const f = new Facility(twinParams({ cluster: { servers: 4, initialActiveServers: 4, serversPerRack: 2 } }), { name: 'i', startEpochMs: 0, durationS: 1, requests: [] });
    const keys = Object.keys(f.bmsRead());
    for (const k of [
      'CDU1.SupplyTemperature', 'CDU1.ReturnTemperature', 'CDU1.Flow', 'CDU1.FlowSetpoint', 'CDU1.SupplyTemperatureSetpoint',
      'CDU1.PumpSpeed', 'CDU1.ValvePosition', 'CDU1.Heartbeat', 'CDU1.RemoteTimeout', 'CDU1.LowFlowAlarm', 'CDU1.ControlMode',
      'Rack01.InletAirTemperature', 'Rack01.Power', 'Rack01.GpuTemperatureMax', 'Rack02.GpuTemperatureMax',
    ]) assert.ok(keys.includes(k), k);
    assert.ok(!keys.includes('Rack03.Power'));
  });
});

describe('twin BMS point list', () => {
  it('lists exactly the points bmsRead returns, with writable ranges on the setpoints', () => {
    const f = new Facility(twinParams({ cluster: { servers: 4, initialActiveServers: 4, serversPerRack: 2 } }), { name: 'i', startEpochMs: 0, durationS: 1, requests: [] });
    const points = f.bmsPoints();
    assert.deepEqual(points.map((p) => p.nodeId).sort(), Object.keys(f.bmsRead()).sort());
    assert.deepEqual(points.find((p) => p.nodeId === 'CDU1.FlowSetpoint')?.range, { min: 50, max: 500 });
    assert.deepEqual(points.find((p) => p.nodeId === 'CDU1.SupplyTemperatureSetpoint')?.range, { min: 18, max: 45 });
    for (const p of points) {
      const v = f.bmsRead()[p.nodeId];
      assert.equal(typeof v, p.dataType === 'Double' ? 'number' : p.dataType === 'Boolean' ? 'boolean' : 'string', p.nodeId);
    }
  });
});

describe('twin completions', () => {
  it('reports each finished request once, with its true output length, after it finishes', () => {
    const p = twinParams({ cluster: { servers: 1, initialActiveServers: 1 } });
    const f = new Facility(p, { name: 'c', startEpochMs: 0, durationS: 5, requests: [{ id: 0, arrivalS: 0, inputTokens: 1600, outputTokens: 11 }] });
    const seen: Array<{ id: number; outputTokens: number; finishS: number; sloMet: boolean; instanceId: string }> = [];
    f.onCompletion((c) => seen.push({ id: c.id, outputTokens: c.outputTokens, finishS: c.finishS, sloMet: c.sloMet, instanceId: c.instanceId }));
    f.advance(0.2);
    assert.equal(seen.length, 0);
    f.advance(5);
    assert.deepEqual(seen.map((c) => [c.id, c.outputTokens, c.sloMet, c.instanceId]), [[0, 11, true, 'S01.I0']]);
    assert.ok(Math.abs(seen[0].finishS - (0.1 + 10 * 0.01515)) < 1e-9);
  });
});

// Telemetry readings for the cooling tests, shaped as the twin and the Sensor send them.
import { METRICS, type Reading } from '../../../core/telemetry/catalogue';

export function reading(metric: string, value: number, tags: Record<string, string> = {}, ts = 0): Reading {
  const m = METRICS[metric];
  return { layer: m.layer, metric, value, unit: m.unit, ts, tags };
}

export interface Plant {
  queueTokens: number;
  plannedServers?: number;
  gpuMaxC: number;
  supplyC: number;
  serverDeltaTK?: number;
  returnC?: number;
  gpuPowerW?: number;
  rackInletC?: number;
}

/** One sample of a small plant: the five layers, cluster-wide and per device. */
export function sample(p: Plant): Reading[] {
  return [
    reading('queue.tokens', p.queueTokens),
    reading('queue.tokens', p.queueTokens / 2, { instance: 'S01.I0' }),
    reading('plan.servers', p.plannedServers ?? 4),
    reading('throughput.tokens', 1000),
    reading('gpu.power', p.gpuPowerW ?? 400, { instance: 'S01.I0', server: 'S01', rack: 'Rack01' }),
    reading('gpu.temperature', p.gpuMaxC, { instance: 'S01.I0', server: 'S01', rack: 'Rack01' }),
    reading('gpu.temperature', p.gpuMaxC - 5, { instance: 'S02.I0', server: 'S02', rack: 'Rack01' }),
    reading('server.coolantDeltaT', p.serverDeltaTK ?? 4, { server: 'S01', rack: 'Rack01' }),
    reading('rack.inletAir', p.rackInletC ?? 27, { rack: 'Rack01' }),
    reading('cdu.supplyTemperature', p.supplyC, { cdu: 'CDU1' }),
    reading('cdu.returnTemperature', p.returnC ?? p.supplyC + 8, { cdu: 'CDU1' }),
    reading('cdu.flow', 200, { cdu: 'CDU1' }),
  ];
}

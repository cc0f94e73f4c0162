// The "human cognitive rules" of the Sensing stage: every metric the suite knows has a layer
// (the five layers of the proactive-cooling diagram, twin.md §4), a unit, a name a person
// reads, and the range an operator calls normal. Everything that emits or displays telemetry
// (Sensor node, twin, dashboards) uses these names so that a reading means the same everywhere.

/** The five telemetry layers, from most proactive (job schedule) to reactive (floor/rack). */
export const LAYERS = ['schedule', 'workload', 'gpu', 'server', 'rack'] as const;
export type Layer = (typeof LAYERS)[number];

export const LAYER_NAMES: Record<Layer, string> = {
  schedule: 'Job schedule',
  workload: 'LLM workload',
  gpu: 'GPU / HBM',
  server: 'Server internal',
  rack: 'Floor & rack',
};

/** A normalised telemetry reading: the public shape of `msg.payload` items from the Sensor. */
export interface Reading {
  layer: Layer;
  metric: string;
  value: number;
  unit: string;
  /** Milliseconds since the Unix epoch. */
  ts: number;
  tags: Record<string, string>;
}

/** What a person considers normal. `target` is the soft limit an operator aims under. */
export interface NormalRange {
  min?: number;
  max?: number;
  /** "target ≤ X": above it is a warning, above `max` an alarm. */
  target?: number;
}

export interface MetricInfo {
  layer: Layer;
  name: string;
  unit: string;
  range?: NormalRange;
  decimals?: number;
}

/** Metric names are `<thing>.<quantity>`; the twin, the Sensor and the dashboards share them. */
export const METRICS: Record<string, MetricInfo> = {
  // 1. Job schedule (most proactive)
  'queue.requests': { layer: 'schedule', name: 'Queued requests', unit: 'count', decimals: 0 },
  'queue.tokens': { layer: 'schedule', name: 'Queued input tokens', unit: 'tokens', decimals: 0 },
  'plan.servers': { layer: 'schedule', name: 'Planned servers', unit: 'count', decimals: 0 },
  'plan.frequency': { layer: 'schedule', name: 'Planned SM clock', unit: 'MHz', range: { min: 800, max: 1980 }, decimals: 0 },
  'headroom.thermal': { layer: 'schedule', name: 'Thermal headroom', unit: 'K', range: { min: 0 }, decimals: 1 },
  // 2. LLM workload
  'gpu.utilization': { layer: 'workload', name: 'GPU utilisation', unit: '%', range: { min: 0, max: 100 }, decimals: 0 },
  'throughput.tokens': { layer: 'workload', name: 'Token throughput', unit: 'tokens/s', decimals: 0 },
  'throughput.requests': { layer: 'workload', name: 'Request rate', unit: 'requests/s', decimals: 1 },
  'servers.active': { layer: 'workload', name: 'Active servers', unit: 'count', decimals: 0 },
  'slo.attainment': { layer: 'workload', name: 'SLO attainment', unit: '%', range: { min: 99 }, decimals: 2 },
  // 3. GPU / HBM
  'gpu.power': { layer: 'gpu', name: 'GPU power', unit: 'W', range: { max: 700 }, decimals: 0 },
  'gpu.clock': { layer: 'gpu', name: 'SM clock', unit: 'MHz', range: { min: 800, max: 1980 }, decimals: 0 },
  'gpu.temperature': { layer: 'gpu', name: 'GPU temperature', unit: '°C', range: { target: 83, max: 87 }, decimals: 1 },
  'hbm.temperature': { layer: 'gpu', name: 'HBM temperature', unit: '°C', range: { target: 90, max: 95 }, decimals: 1 },
  'gpu.throttle': { layer: 'gpu', name: 'Thermal throttling', unit: 'bool', range: { max: 0 }, decimals: 0 },
  // 4. Server internal
  'server.junctionMax': { layer: 'server', name: 'Hottest junction', unit: '°C', range: { target: 83, max: 87 }, decimals: 1 },
  'server.fan': { layer: 'server', name: 'Fan speed', unit: '%', range: { min: 0, max: 100 }, decimals: 0 },
  'server.coolantDeltaT': { layer: 'server', name: 'Coolant ΔT (out − in)', unit: 'K', decimals: 1 },
  'server.power': { layer: 'server', name: 'Server power', unit: 'kW', range: { max: 10.2 }, decimals: 2 },
  // 5. Floor & rack (reactive)
  'rack.inletAir': { layer: 'rack', name: 'Rack inlet air', unit: '°C', range: { target: 27, max: 32 }, decimals: 1 },
  'rack.power': { layer: 'rack', name: 'Rack power', unit: 'kW', decimals: 1 },
  'cdu.supplyTemperature': { layer: 'rack', name: 'CDU supply', unit: '°C', range: { min: 18, max: 45 }, decimals: 1 },
  'cdu.returnTemperature': { layer: 'rack', name: 'CDU return', unit: '°C', range: { max: 60 }, decimals: 1 },
  'cdu.flow': { layer: 'rack', name: 'CDU flow', unit: 'L/min', range: { min: 50, max: 500 }, decimals: 0 },
  'cdu.flowSetpoint': { layer: 'rack', name: 'CDU flow setpoint', unit: 'L/min', range: { min: 50, max: 500 }, decimals: 0 },
  'cdu.supplySetpoint': { layer: 'rack', name: 'CDU supply setpoint', unit: '°C', range: { min: 18, max: 45 }, decimals: 1 },
  'cdu.remoteTimeout': { layer: 'rack', name: 'CDU remote timeout (fell back to local setpoints)', unit: 'bool', range: { max: 0 }, decimals: 0 },
  'cdu.lowFlowAlarm': { layer: 'rack', name: 'CDU low-flow alarm', unit: 'bool', range: { max: 0 }, decimals: 0 },
  'cdu.pumpPower': { layer: 'rack', name: 'CDU pump power', unit: 'kW', decimals: 2 },
  'cooling.power': { layer: 'rack', name: 'Cooling power (pump + chiller)', unit: 'kW', decimals: 1 },
};

/** Tag keys that name where a reading comes from, in the order a person reads them. */
export const LOCATION_TAGS: Array<{ key: string; label: (v: string) => string }> = [
  { key: 'pool', label: (v) => `pool ${v}` },
  { key: 'instance', label: (v) => `instance ${v}` },
  { key: 'gpu', label: (v) => `GPU ${v}` },
  { key: 'server', label: (v) => `server ${v}` },
  { key: 'rack', label: (v) => `rack ${v}` },
  { key: 'cdu', label: (v) => v },
];

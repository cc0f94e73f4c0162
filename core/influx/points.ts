// How a reading is stored: one point per reading, measurement = layer (optionally prefixed),
// tags = the reading's tags plus metric and unit, one field "value". Same series and same
// timestamp means the same reading, which InfluxDB then keeps once.
import type { IPoint } from 'influx';
import type { Reading } from '../telemetry/catalogue';

export function readingToPoint(r: Reading, measurementPrefix = ''): IPoint {
  return {
    measurement: measurementPrefix + r.layer,
    tags: { ...r.tags, metric: r.metric, unit: r.unit },
    fields: { value: r.value },
    timestamp: r.ts,
  };
}

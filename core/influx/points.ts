// How a reading is stored: one point per reading, measurement = layer (optionally prefixed),
// tags = the reading's tags plus metric and unit, one field "value". Same series and same
// timestamp means the same reading, which InfluxDB then keeps once.
import type { IPoint } from 'influx';
import type { Reading } from '../telemetry/catalogue';

export function readingToPoint(r: Reading, measurementPrefix = ''): IPoint {
  const tags: Record<string, string> = {};
  for (const k in r.tags) tags[k] = r.tags[k];
  tags.metric = r.metric;
  tags.unit = r.unit;
  return { measurement: measurementPrefix + r.layer, tags, fields: { value: r.value }, timestamp: r.ts };
}

// Node `llmops-sensor`: the Sensing stage. Normalises readings (from msg now; the facility twin
// and OPC UA subscriptions are further sources), renders them as text a person reads, and
// optionally stores them in InfluxDB through the shared writer of an `llmops-influxdb` node.
import type { Node, NodeAPI, NodeDef, NodeMessageInFlow } from 'node-red';
import { Layer, Reading } from '../../core/telemetry/catalogue';
import { describeReadings, RangeOverrides } from '../../core/telemetry/describe';
import { describeRejected, normaliseReadings } from '../../core/telemetry/normalise';
import { readingToPoint } from '../../core/influx/points';
import type { InfluxConfigNode } from '../influxdb/influxdb';
import { compact, messageOf, StatusLine } from '../shared/status';

interface RangeRow {
  metric: string;
  min?: string | number;
  target?: string | number;
  max?: string | number;
}

interface SensorDef extends NodeDef {
  source: 'msg';
  metric: string;
  layer: Layer | '';
  unit: string;
  tags: string;
  ranges: RangeRow[];
  influx: string;
  measurementPrefix: string;
  textLines: string | number;
}

type SensorMsg = NodeMessageInFlow & { text?: string };

function optionalNumber(v: unknown): number | undefined {
  if (v === '' || v === undefined || v === null) return undefined;
  const n = Number(v);
  return Number.isFinite(n) ? n : undefined;
}

export function parseRanges(rows: RangeRow[] | undefined): RangeOverrides {
  const out: RangeOverrides = {};
  for (const row of rows ?? []) {
    if (!row || !row.metric) continue;
    out[row.metric] = { min: optionalNumber(row.min), target: optionalNumber(row.target), max: optionalNumber(row.max) };
  }
  return out;
}

export default function register(RED: NodeAPI) {
  function Sensor(this: Node, def: SensorDef) {
    RED.nodes.createNode(this, def);
    const node = this;
    const status = new StatusLine(node);
    const ranges = parseRanges(def.ranges);
    const textLines = Math.max(1, Number(def.textLines) || 50);
    let defaultTags: Record<string, string> | undefined;
    try {
      defaultTags = def.tags ? JSON.parse(def.tags) : undefined;
    } catch {
      status.error(RED._('sensor.status.bad-tags'));
      node.error(RED._('sensor.errors.bad-tags'));
    }
    const influx = def.influx ? (RED.nodes.getNode(def.influx) as InfluxConfigNode | null) : null;
    if (def.influx && !influx) status.error(RED._('sensor.status.no-influx'));
    let count = 0;
    let rejectedTotal = 0;
    const influxNote = () => {
      if (!influx) return '';
      const s = influx.stats();
      if (s.state === 'buffering') return ' · ' + RED._('sensor.status.buffering', { n: compact(s.buffered) });
      if (s.state === 'dropping') return ' · ' + RED._('sensor.status.dropping', { n: compact(s.dropped) });
      return ' · InfluxDB';
    };
    const showStatus = () => {
      const text = RED._('sensor.status.readings', { n: compact(count) }) + (rejectedTotal ? ' · ' + RED._('sensor.status.rejected', { n: compact(rejectedTotal) }) : '') + influxNote();
      const s = influx?.stats().state;
      if (s === 'dropping') status.error(text);
      else if (s === 'buffering' || rejectedTotal) status.warn(text);
      else status.ok(text);
    };
    const unsubscribe = influx?.onState(() => showStatus());

    node.on('input', (msg: SensorMsg, send, done) => {
      try {
        if (msg.payload === undefined || msg.payload === null) {
          done(new Error(RED._('sensor.errors.no-payload')));
          return;
        }
        const { readings, rejected } = normaliseReadings(msg.payload, {
          metric: def.metric || undefined,
          layer: def.layer || undefined,
          unit: def.unit || undefined,
          tags: defaultTags,
          now: Date.now(),
        });
        const total = Array.isArray(msg.payload) ? msg.payload.length : 1;
        count += readings.length;
        rejectedTotal += rejected.length;
        if (readings.length > 0) {
          if (influx) influx.writePoints(toPoints(readings, def.measurementPrefix || ''));
          msg.payload = readings;
          msg.text = describeReadings(readings, ranges, textLines);
          send(msg);
        }
        showStatus();
        if (rejected.length > 0) done(new Error(describeRejected(rejected, total)));
        else done();
      } catch (err) {
        status.error(messageOf(err));
        done(err instanceof Error ? err : new Error(messageOf(err)));
      }
    });

    node.on('close', (_removed: boolean, done: () => void) => {
      unsubscribe?.();
      status.dispose();
      done();
    });
  }

  RED.nodes.registerType('llmops-sensor', Sensor);
}

function toPoints(readings: Reading[], prefix: string) {
  const points = new Array(readings.length);
  for (let i = 0; i < readings.length; i++) points[i] = readingToPoint(readings[i], prefix);
  return points;
}

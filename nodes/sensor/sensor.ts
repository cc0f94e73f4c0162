// Node `llmops-sensor`: the Sensing stage. Normalises readings from its source (msg, the facility
// twin's five layers, or an OPC UA subscription: see sources.ts), renders them as text a person
// reads, and optionally stores them in InfluxDB through the shared writer of an `llmops-influxdb` node.
import type { Node, NodeAPI, NodeDef, NodeMessageInFlow } from 'node-red';
import { Layer, Reading } from '../../core/telemetry/catalogue';
import { describeReadings, RangeOverrides } from '../../core/telemetry/describe';
import { describeRejected, normaliseReadings } from '../../core/telemetry/normalise';
import { readingToPoint } from '../../core/influx/points';
import type { InfluxConfigNode } from '../influxdb/influxdb';
import { compact, messageOf, StatusLine, type Tone } from '../shared/status';
import { opcuaSource, twinSource, type OpcuaItemRow, type Source } from './sources';
import { nvidiaSmiSource, prometheusSource } from '../../core/adapters/sources';
import { defineLazy, filterReadings, parseMetricFilter, perReadingMsgs, type MetricSelector } from './output';

interface RangeRow {
  metric: string;
  min?: string | number;
  target?: string | number;
  max?: string | number;
}

interface SensorDef extends NodeDef {
  source: 'msg' | 'twin' | 'opcua' | 'nvidia-smi' | 'prometheus';
  /** nvidia-smi: the binary (empty: on PATH) and the GPUs ("0-3", empty: all). */
  smiPath?: string;
  gpus?: string;
  /** prometheus: the scrape URL, metric mapping rows (JSON; empty: DCGM defaults), label → tag map (JSON). */
  url?: string;
  mappings?: string;
  labelTags?: string;
  /** nvidia-smi / prometheus: the limit for one call or scrape, s (empty: 10 s / 5 s). */
  timeoutS?: string | number;
  /** twin: the llmops-facility node and the seconds between reading sets (0: only on input). */
  facility?: string;
  interval?: string | number;
  /** opcua: the llmops-opcua-endpoint node, the items, and the subscription's timing. */
  endpoint?: string;
  items?: OpcuaItemRow[];
  samplingInterval?: string | number;
  publishingInterval?: string | number;
  metric: string;
  layer: Layer | '';
  unit: string;
  tags: string;
  ranges: RangeRow[];
  influx: string;
  measurementPrefix: string;
  textLines: string | number;
  /** 'batch' (default): one msg with all readings and their text; 'reading': one msg per reading. */
  output?: 'batch' | 'reading';
  /** Metrics to send (names, optionally with {tag=value}); empty: all. Storage keeps every reading. */
  metrics?: string;
  /** One msg per reading: decimals of msg.payload (empty: the value as measured). */
  decimals?: string | number;
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
    const perReading = def.output === 'reading';
    const decimalsSet = optionalNumber(def.decimals);
    const decimals = decimalsSet === undefined ? undefined : Math.min(10, Math.max(0, Math.round(decimalsSet)));
    let filter: MetricSelector[] = [];
    try {
      filter = parseMetricFilter(def.metrics);
    } catch (err) {
      status.error(RED._('sensor.status.bad-metrics'));
      node.error(RED._('sensor.errors.bad-metrics', { reason: messageOf(err) }));
    }
    const influx = def.influx ? (RED.nodes.getNode(def.influx) as InfluxConfigNode | null) : null;
    if (def.influx && !influx) status.error(RED._('sensor.status.no-influx'));
    let count = 0;
    let rejectedTotal = 0;
    const SOURCES = ['twin', 'opcua', 'nvidia-smi', 'prometheus'] as const;
    const source = (SOURCES as readonly string[]).includes(def.source) ? def.source : 'msg';
    let sourceTone: Tone | undefined;
    let sourceText = '';
    const influxNote = () => {
      if (!influx) return '';
      const s = influx.stats();
      if (s.state === 'buffering') return ' · ' + RED._('sensor.status.buffering', { n: compact(s.buffered) });
      if (s.state === 'dropping') return ' · ' + RED._('sensor.status.dropping', { n: compact(s.dropped) });
      return ' · InfluxDB';
    };
    const showStatus = () => {
      const counts = RED._('sensor.status.readings', { n: compact(count) }) + (rejectedTotal ? ' · ' + RED._('sensor.status.rejected', { n: compact(rejectedTotal) }) : '') + influxNote();
      // A live source leads with its own state (twin clock, OPC UA outage); its problems outrank ours.
      // The twin's status is long already (clock, servers, IT and cooling kW): counts only when something is off.
      const text = !sourceText ? counts : source === 'twin' && sourceTone === 'ok' && !rejectedTotal ? sourceText + twinInfluxNote() : sourceText + ' · ' + counts;
      const s = influx?.stats().state;
      if (sourceTone === 'error' || s === 'dropping') status.error(text);
      else if (sourceTone === 'busy' || sourceTone === 'idle') status.set(sourceTone, text);
      else if (sourceTone === 'warn' || s === 'buffering' || rejectedTotal) status.warn(text);
      else status.ok(text);
    };
    const twinInfluxNote = () => {
      const s = influx?.stats().state;
      return s === 'buffering' || s === 'dropping' ? influxNote() : '';
    };
    const unsubscribe = influx?.onState(() => showStatus());
    /** Whether the output goes anywhere (the runtime keeps `wires` on the node; unknown counts as wired). */
    const wired = () => {
      const wires = (node as unknown as { wires?: string[][] }).wires;
      return !Array.isArray(wires) || wires.some((w) => Array.isArray(w) && w.length > 0);
    };

    let lastRejection = '';
    /** Sends readings that came from a live source (not from an input msg). */
    const emit = (items: unknown[], topic: string, trusted: boolean) => {
      let readings: Reading[];
      let rejected: Array<{ index: number; reason: string }> = [];
      if (trusted) {
        readings = items as Reading[];
      } else {
        ({ readings, rejected } = normaliseReadings(items, { tags: defaultTags, now: Date.now() }));
      }
      count += readings.length;
      rejectedTotal += rejected.length;
      if (readings.length > 0) {
        if (influx) influx.writePoints(toPoints(readings, def.measurementPrefix || ''));
        const shown = filterReadings(readings, filter);
        if (shown.length > 0 && perReading) node.send([perReadingMsgs(shown, decimals)] as unknown as NodeMessageInFlow[]);
        else if (shown.length > 0) node.send({ topic, payload: shown, text: describeReadings(shown, ranges, textLines) } as SensorMsg);
      }
      if (rejected.length > 0) {
        // A live source repeats the same mistake every publish: say it once until it changes.
        const why = describeRejected(rejected, items.length);
        if (why !== lastRejection) node.error(why);
        lastRejection = why;
      }
      showStatus();
    };
    let live: Source | undefined;
    const hooks = {
      emit,
      state: (tone: Tone, text: string) => {
        sourceTone = tone;
        sourceText = text;
        showStatus();
      },
      error: (message: string) => node.error(message),
    };
    if (source === 'twin') {
      live = twinSource(RED, node, def.facility ?? '', Math.max(0, Number(def.interval ?? 5) || 0), hooks);
    } else if (source === 'nvidia-smi' || source === 'prometheus') {
      const interval = def.interval === undefined || def.interval === '' ? undefined : def.interval;
      try {
        live =
          source === 'nvidia-smi'
            ? nvidiaSmiSource({ smiPath: def.smiPath || undefined, gpus: def.gpus, intervalS: interval, timeoutS: def.timeoutS, tags: defaultTags }, hooks)
            : prometheusSource({ url: def.url ?? '', intervalS: interval ?? 15, timeoutS: def.timeoutS, mappings: parseJsonRows(def.mappings), labelTags: def.labelTags, tags: defaultTags }, hooks);
      } catch (err) {
        // A dialog value the adapter cannot use (GPU list, URL, mapping JSON): say which.
        hooks.state('error', messageOf(err));
        node.error(messageOf(err));
      }
    } else if (source === 'opcua') {
      live = opcuaSource(RED, node, def.endpoint ?? '', def.items ?? [], {
        samplingMs: Math.max(10, Number(def.samplingInterval) || 500),
        publishingMs: Math.max(10, Number(def.publishingInterval) || 1000),
      }, hooks);
    }

    node.on('input', (msg: SensorMsg, send, done) => {
      if (live) {
        // With a live source, any input msg is a poll tick: send the current values now.
        live.poll();
        done();
        return;
      }
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
          const shown = filterReadings(readings, filter);
          if (shown.length > 0 && perReading) {
            send([perReadingMsgs(shown, decimals).map((m) => ({ _msgid: msg._msgid, ...m }))] as unknown as NodeMessageInFlow[]);
          } else if (shown.length > 0) {
            msg.payload = shown;
            if (wired()) msg.text = describeReadings(shown, ranges, textLines);
            else defineLazy(msg as unknown as Record<string, unknown>, 'text', () => describeReadings(shown, ranges, textLines));
            send(msg);
          }
        }
        status.throttle(showStatus);
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
      const l = live;
      live = undefined;
      if (!l) return done();
      l.close()
        .catch((err) => node.error(messageOf(err)))
        .finally(done);
    });
  }

  RED.nodes.registerType('llmops-sensor', Sensor);
}

/** The Prometheus mapping rows as the dialog stores them: JSON text of an array (empty: defaults). */
function parseJsonRows(text: string | undefined): unknown[] | undefined {
  if (!text || !text.trim()) return undefined;
  let rows: unknown;
  try {
    rows = JSON.parse(text);
  } catch {
    throw new Error(`the metric mapping is not valid JSON: ${text.slice(0, 60)}`);
  }
  if (!Array.isArray(rows)) throw new Error('the metric mapping must be a JSON array of {name, metric, unit?, layer?, scale?}');
  return rows;
}

function toPoints(readings: Reading[], prefix: string) {
  const points = new Array(readings.length);
  for (let i = 0; i < readings.length; i++) points[i] = readingToPoint(readings[i], prefix);
  return points;
}

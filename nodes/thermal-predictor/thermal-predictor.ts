// Node `llmops-thermal-predictor`: forecasts one temperature (hottest GPU, HBM, CDU return or
// rack inlet) `horizonS` ahead from telemetry of all five layers (core/cooling/predictor.ts
// decides; this file maps config and msgs). Its model state lives in the node context, so a
// restart continues where it stopped; with an InfluxDB config node and no saved state it warms
// up from the last hours of stored telemetry. While it learns it says so and its msgs carry
// `ready: false`, which a Coolant Valve never acts on. With "chart output" set, output 2 carries
// the same forecast as Dashboard 2.0 chart points (see chartPoints).
import type { Node, NodeAPI, NodeDef, NodeMessageInFlow } from 'node-red';
import { HISTORY_LAYERS, historyQuery, samplesFromRows, type HistoryRow } from '../../core/cooling/history';
import { TARGETS, ThermalPredictor, type Forecast, type PredictorOptions, type PredictorState, type TargetName } from '../../core/cooling/predictor';
import type { Reading } from '../../core/telemetry/catalogue';
import type { InfluxConfigNode } from '../influxdb/influxdb';
import { messageOf, StatusLine } from '../shared/status';

interface PredictorDef extends NodeDef {
  target: TargetName;
  horizonS: string | number;
  model: 'linear' | 'polynomial';
  windowS: string | number;
  sampleS: string | number;
  minSamples: string | number;
  intervalPct: string | number;
  pools: string;
  influxdb?: string;
  warmHours: string | number;
  measurementPrefix: string;
  store: string;
  /** Adds output 2 for Dashboard 2.0 charts: one msg per series, `topic` 'current' or 'predicted', a number as payload. */
  chart?: boolean | string;
}

const STATE_KEY = 'llmops-thermal-predictor';
const SAVE_EVERY_MS = 60000;

function num(v: unknown, fallback: number, min: number, max: number): number {
  if (v === '' || v === undefined || v === null) return fallback;
  const n = Number(v);
  return Number.isFinite(n) ? Math.min(max, Math.max(min, n)) : fallback;
}

/** Readings from a msg: the Sensor's array, one reading, or `msg.readings`. */
function readingsOf(msg: NodeMessageInFlow & { readings?: unknown }): Reading[] | null {
  const p = Array.isArray(msg.payload) ? msg.payload : msg.payload && typeof msg.payload === 'object' ? [msg.payload] : Array.isArray(msg.readings) ? msg.readings : null;
  if (!p) return null;
  const out = (p as unknown[]).filter((r): r is Reading => !!r && typeof r === 'object' && typeof (r as Reading).metric === 'string' && typeof (r as Reading).value === 'number');
  return out.length > 0 ? out : null;
}

/**
 * The forecast as Dashboard 2.0 chart points: one msg per series (`topic` names it, `payload` is
 * a number), and no 'predicted' point while the model is not ready (a null would break the line).
 */
export function chartPoints(f: Forecast): Array<{ topic: 'current' | 'predicted'; payload: number }> {
  const out: Array<{ topic: 'current' | 'predicted'; payload: number }> = [];
  if (Number.isFinite(f.current)) out.push({ topic: 'current', payload: f.current });
  if (f.ready && typeof f.predicted === 'number' && Number.isFinite(f.predicted)) out.push({ topic: 'predicted', payload: f.predicted });
  return out;
}

export default function register(RED: NodeAPI) {
  function ThermalPredictorNode(this: Node, def: PredictorDef) {
    RED.nodes.createNode(this, def);
    const node = this;
    const status = new StatusLine(node);
    const options: Partial<PredictorOptions> = {
      target: def.target in TARGETS ? def.target : 'gpuMaxC',
      horizonS: num(def.horizonS, 300, 10, 86400),
      model: def.model === 'polynomial' ? 'polynomial' : 'linear',
      windowS: num(def.windowS, 7200, 600, 7 * 86400),
      sampleS: num(def.sampleS, 10, 1, 3600),
      minSamples: Math.round(num(def.minSamples, 60, 5, 100000)),
      intervalLevel: num(def.intervalPct, 90, 50, 99.9) / 100,
      features: { pools: (def.pools || '').split(',').map((s) => s.trim()).filter(Boolean) },
    };
    const store = def.store || undefined;
    const chart = def.chart === true || def.chart === 'true';
    const context = node.context();
    const influx = def.influxdb ? (RED.nodes.getNode(def.influxdb) as InfluxConfigNode | null) : null;
    let predictor = new ThermalPredictor(options);
    let restored = false;
    let warming: Promise<void> | null = null;
    let lastSave = 0;
    let dirty = false;

    const saved = context.get(STATE_KEY, store) as PredictorState | undefined;
    if (saved) {
      try {
        predictor = ThermalPredictor.fromJSON(saved, options);
        restored = predictor.samples > 0;
      } catch (err) {
        node.warn(RED._('thermal-predictor.errors.bad-state', { error: messageOf(err) }));
      }
    }

    let savedReady = restored;
    /** Saves at most once a minute, and at once when the model first becomes ready. */
    const save = (force = false, ready = false) => {
      if (!dirty && !force) return;
      const now = Date.now();
      const becameReady = ready && !savedReady;
      if (!force && !becameReady && now - lastSave < SAVE_EVERY_MS) return;
      if (ready) savedReady = true;
      lastSave = now;
      dirty = false;
      context.set(STATE_KEY, predictor.toJSON(), store, (err?: Error) => {
        if (err) node.warn(RED._('thermal-predictor.errors.save', { error: messageOf(err) }));
      });
    };

    const label = TARGETS[options.target as TargetName].label;
    const show = (f?: Forecast) => {
      if (warming) return status.busy(RED._('thermal-predictor.status.warming'));
      if (!f) return status.idle(restored ? RED._('thermal-predictor.status.restored', { samples: predictor.samples }) : RED._('thermal-predictor.status.waiting'));
      if (!f.ready) {
        if (f.state === 'learning') return status.warn(RED._('thermal-predictor.status.learning', { samples: f.model.samples, needed: predictor.o.minSamples }));
        return status.warn(RED._('thermal-predictor.status.' + f.state));
      }
      const mae = f.model.mae === null ? '–' : f.model.mae.toFixed(1);
      status.ok(RED._('thermal-predictor.status.ok', { label, predicted: f.predicted!.toFixed(1), horizon: f.horizonS, mae }));
    };

    if (influx && !restored) {
      warming = (async () => {
        try {
          const rowsByLayer: Record<string, HistoryRow[]> = {};
          const hours = num(def.warmHours, 6, 0.1, 24 * 14);
          for (const layer of HISTORY_LAYERS) rowsByLayer[layer] = await influx.query<HistoryRow>(historyQuery(layer, hours, def.measurementPrefix || ''));
          const samples = samplesFromRows(rowsByLayer, predictor.o.sampleS);
          predictor.warmStart(samples);
          dirty = true;
          node.log(RED._('thermal-predictor.log.warm', { samples: samples.length, pairs: predictor.samples }));
        } catch (err) {
          node.warn(RED._('thermal-predictor.errors.warm', { error: messageOf(err) }));
        } finally {
          warming = null;
          show();
        }
      })();
    }
    show();

    node.on('input', async (msg: NodeMessageInFlow & { supplySetpointC?: unknown }, send, done) => {
      try {
        // Inside the try: a msg built by code (a throwing getter, a proxy) must end in done(err).
        const readings = readingsOf(msg);
        if (!readings) {
          done(new Error(RED._('thermal-predictor.errors.no-readings')));
          return;
        }
        if (warming) await warming;
        const latest = readings.reduce((m, r) => (Number.isFinite(r.ts) && r.ts > m ? r.ts : m), 0);
        const tS = (latest > 0 ? latest : Date.now()) / 1000;
        const setpoint = typeof msg.supplySetpointC === 'number' ? msg.supplySetpointC : undefined;
        const f = predictor.observe(readings, tS, setpoint);
        dirty = true;
        save(false, f.ready);
        show(f);
        const forecast = { ...msg, topic: msg.topic ?? `forecast/${f.target}`, payload: f } as NodeMessageInFlow;
        if (chart) send([forecast, chartPoints(f) as NodeMessageInFlow[]] as never);
        else send(forecast);
        done();
      } catch (err) {
        status.error(messageOf(err));
        done(err instanceof Error ? err : new Error(messageOf(err)));
      }
    });

    node.on('close', (_removed: boolean, done: () => void) => {
      status.dispose();
      context.set(STATE_KEY, predictor.toJSON(), store, () => done());
    });
  }

  RED.nodes.registerType('llmops-thermal-predictor', ThermalPredictorNode);
}

// Issue 11, bad input: every node of the suite, fed arbitrary msgs (any JSON, wrong types,
// NaN/Infinity, huge strings and arrays, `__proto__`/`constructor` keys), ends each msg in a
// caught error or a correct output. Never a crash (an exception thrown out of the handler or out
// of a timer), an unhandled rejection, a JavaScript fault dressed as an error ("Cannot read
// properties of undefined"), or a changed Object.prototype.
//
// The nodes run inside Node-RED through node-red-node-test-helper (in-process, fast); each node is
// loaded once and receives every generated msg in turn, so state carried between msgs is tested too.
import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import fc from 'fast-check';
import { helper, nodeModule } from '../helpers/helper';
import { arbitraryMsg, makeMsg, type FieldSpec, type MsgRecipe } from './arbitraries';
import { prototypeSnapshot, prototypesChanged } from './prototypes';

type AnyNode = any;
type Msg = Record<string, unknown>;

/** What one msg led to: outputs (per port), errors, and whether done() was called. */
interface Outcome {
  outputs: Array<{ port: number; msg: any }>;
  errors: unknown[];
  completed: boolean;
}

interface NodeCase {
  type: string;
  /** The built file under dist/nodes (skipped, with a line, while the node does not exist yet). */
  file: string;
  extraFiles?: string[];
  flow: (outs: string[]) => any[];
  ports: number;
  fields: FieldSpec;
  /** Checks an output; returns a reason when it is not a correct output. */
  check: (out: { port: number; msg: any }, input: Msg) => string | undefined;
  /** Nodes that keep a msg (a review waiting for a person) need not complete it. */
  mayHold?: boolean;
  runs?: number;
}

const finite = (v: unknown) => typeof v === 'number' && Number.isFinite(v);

const CASES: NodeCase[] = [
  {
    type: 'llmops-sensor',
    file: 'sensor/sensor.js',
    ports: 1,
    flow: ([o1]) => [{ id: 'n', type: 'llmops-sensor', name: 'sensor', wires: [[o1]] }],
    fields: { metric: 'string', value: 'number', unit: 'string', ts: 'number', layer: 'string', tags: 'object', name: 'string' },
    check: ({ msg }) => {
      if (!Array.isArray(msg.payload) || msg.payload.length === 0) return 'payload is not a non-empty array of readings';
      for (const r of msg.payload) {
        if (typeof r.metric !== 'string' || r.metric === '') return `reading without a metric: ${JSON.stringify(r)}`;
        if (!finite(r.value)) return `reading with a value that is not a finite number: ${String(r.value)}`;
        if (!finite(r.ts)) return `reading with a bad timestamp: ${String(r.ts)}`;
        if (r.tags !== undefined && (typeof r.tags !== 'object' || r.tags === null)) return 'tags not an object';
        if (r.tags) for (const v of Object.values(r.tags)) if (typeof v !== 'string') return `tag value not a string: ${String(v)}`;
      }
      if (typeof msg.text !== 'string') return 'no msg.text';
      return undefined;
    },
  },
  {
    type: 'llmops-io-matcher',
    file: 'io-matcher/io-matcher.js',
    ports: 2,
    flow: ([o1, o2]) => [{ id: 'n', type: 'llmops-io-matcher', name: 'check', inputProperty: 'inputData', rules: [], strict: false, wires: [[o1], [o2]] }],
    fields: { inputData: 'object', matchRules: 'array', matchStrict: 'boolean', product: 'string', quantity: 'number' },
    check: ({ port, msg }) => {
      const v = msg.verification;
      if (!v || typeof v !== 'object') return 'no msg.verification';
      if (typeof v.match !== 'boolean') return 'verification.match is not a boolean';
      if (!Array.isArray(v.fields)) return 'verification.fields is not an array';
      if ((port === 0) !== v.match) return `match=${v.match} left on output ${port + 1}`;
      if (v.match && v.fields.some((f: any) => f.status === 'mismatch')) return 'a mismatching field on the match output';
      return undefined;
    },
  },
  {
    type: 'llmops-human-review',
    file: 'human-review/human-review.js',
    ports: 3,
    mayHold: true,
    flow: ([o1, o2, o3]) => [
      { id: 'n', type: 'llmops-human-review', name: 'gate', store: '', approvals: 1, checklist: [], timeout: 0, timeoutUnit: 's', timeoutOutcome: 'reject', requireReason: false, autoApprove: false, autoMaxChange: 5, autoFields: '', influx: '', wires: [[o1], [o2], [o3]] },
    ],
    fields: { review: 'object', inputData: 'object', verification: 'object', matchRules: 'array', baseline: 'object', id: 'string', decision: 'string' },
    check: ({ msg }) => {
      const r = msg.review;
      if (!r || typeof r !== 'object') return 'released msg without msg.review';
      if (typeof r.id !== 'string' || r.id === '') return 'released msg without a review id';
      if (typeof r.decision !== 'string') return `review.decision ${String(r.decision)}`;
      return undefined;
    },
  },
  {
    type: 'llmops-llm-engine',
    file: 'llm-engine/llm-engine.js',
    extraFiles: ['llm-provider/llm-provider.js'],
    ports: 2,
    flow: ([o1, o2]) => [
      { id: 'p', type: 'llmops-llm-provider', kind: 'offline', timeout: 5 },
      { id: 'n', type: 'llmops-llm-engine', provider: 'p', template: '', schema: '', wires: [[o1], [o2]] },
    ],
    fields: { model: 'string', temperature: 'number', maxTokens: 'number', seed: 'number', product: 'string', quantity: 'number' },
    check: ({ port, msg }) => {
      if (port !== 0) return undefined;
      if (typeof msg.outputText !== 'string') return 'no msg.outputText';
      if (typeof msg.inputText !== 'string') return 'no msg.inputText';
      if (!msg.llm || typeof msg.llm !== 'object') return 'no msg.llm';
      return undefined;
    },
  },
  {
    type: 'llmops-llm-engine (JSON schema)',
    file: 'llm-engine/llm-engine.js',
    extraFiles: ['llm-provider/llm-provider.js'],
    ports: 2,
    flow: ([o1, o2]) => [
      { id: 'p', type: 'llmops-llm-provider', kind: 'offline', timeout: 5 },
      {
        id: 'n',
        type: 'llmops-llm-engine',
        provider: 'p',
        template: 'Order {{payload.product}} x {{payload.quantity}} ({{{payload}}})',
        schema: JSON.stringify({ type: 'object', properties: { product: { type: 'string' }, quantity: { type: 'integer' } } }),
        wires: [[o1], [o2]],
      },
    ],
    fields: { product: 'string', quantity: 'number', model: 'string', temperature: 'number' },
    check: ({ port, msg }) => {
      if (port !== 0) return undefined;
      if (typeof msg.outputText !== 'string') return 'no msg.outputText';
      if (msg.payload === null || typeof msg.payload !== 'object') return 'schema set but payload is not an object';
      return undefined;
    },
  },
  {
    type: 'llmops-queue-batcher',
    file: 'queue-batcher/queue-batcher.js',
    ports: 2,
    flow: ([o1, o2]) => [{ id: 'n', type: 'llmops-queue-batcher', maxBatchSize: 3, statsS: 0, wires: [[o1], [o2]] }],
    fields: { id: 'string', inputTokens: 'number', maxOutputTokens: 'number', arrivedAt: 'number', outputTokens: 'number' },
    check: ({ port, msg }) => {
      if (port === 1) return msg.payload && typeof msg.payload === 'object' ? undefined : 'stats msg without an object payload';
      if (!Array.isArray(msg.payload) || msg.payload.length === 0) return 'batch msg without requests';
      if (typeof msg.pool !== 'string') return 'batch msg without msg.pool';
      if (!msg.batch || !finite(msg.batch.size) || msg.batch.size !== msg.payload.length) return 'msg.batch.size does not match the batch';
      return undefined;
    },
  },
  {
    type: 'llmops-gpu-dvfs',
    file: 'gpu-dvfs/gpu-dvfs.js',
    ports: 1,
    flow: ([o1]) => [{ id: 'n', type: 'llmops-gpu-dvfs', source: 'msg', actuator: 'message', periodS: 1, holdS: 0, minMHz: 800, maxMHz: 1980, wires: [[o1]] }],
    fields: { instance: 'string', load: 'number', queueDepth: 'number', ttftMs: 'number', tbtMs: 'number' },
    check: ({ msg }) => {
      const d = msg.payload;
      if (!d || typeof d !== 'object') return 'no decision object';
      if (!finite(d.frequencyMHz)) return `frequencyMHz ${String(d.frequencyMHz)}`;
      if (d.frequencyMHz < 800 || d.frequencyMHz > 1980) return `frequency ${d.frequencyMHz} MHz outside 800..1980`;
      return undefined;
    },
  },
  {
    type: 'llmops-cluster-scaler',
    file: 'cluster-scaler/cluster-scaler.js',
    ports: 1,
    flow: ([o1]) => [{ id: 'n', type: 'llmops-cluster-scaler', source: 'msg', actuator: 'message', minServers: 1, maxServers: 20, wires: [[o1]] }],
    fields: { requestsPerSec: 'number', tokensPerSec: 'number', activeServers: 'number' },
    check: ({ msg }) => {
      const d = msg.payload;
      if (!d || typeof d !== 'object') return 'no decision object';
      if (!Number.isInteger(d.target)) return `target ${String(d.target)} is not a whole number`;
      if (d.target < 1 || d.target > 20) return `target ${d.target} outside 1..20`;
      return undefined;
    },
  },
  {
    type: 'llmops-thermal-predictor',
    file: 'thermal-predictor/thermal-predictor.js',
    ports: 1,
    flow: ([o1]) => [{ id: 'n', type: 'llmops-thermal-predictor', name: 'gpu', target: 'gpuMaxC', horizonS: 60, model: 'linear', windowS: 600, sampleS: 1, minSamples: 3, intervalPct: 90, pools: '', influxdb: '', warmHours: 0, measurementPrefix: '', store: '', wires: [[o1]] }],
    fields: { metric: 'string', value: 'number', ts: 'number', layer: 'string', unit: 'string', tags: 'object', readings: 'array' },
    check: ({ msg }) => {
      const f = msg.payload;
      if (!f || typeof f !== 'object') return 'forecast is not an object';
      if (typeof f.target !== 'string') return 'forecast without a target';
      if (f.predicted !== null && f.predicted !== undefined && !finite(f.predicted)) return `predicted ${String(f.predicted)}`;
      return undefined;
    },
  },
  {
    type: 'llmops-coolant-valve',
    file: 'coolant-valve/coolant-valve.js',
    ports: 2,
    flow: ([o1, o2]) => [
      {
        id: 'n',
        type: 'llmops-coolant-valve',
        name: 'CDU1',
        mode: 'advisory',
        endpoint: '',
        periodS: 3600,
        gpuTargetC: 83,
        marginK: 2,
        staleAfterS: 60,
        safeFlowLpm: 400,
        safeSupplyC: 25,
        flowMinLpm: 50,
        flowMaxLpm: 500,
        supplyMinC: 18,
        supplyMaxC: 45,
        flowRampLpmPerMin: 60,
        supplyRampCPerMin: 2,
        liquidSharePct: 80,
        influxdb: '',
        store: '',
        wires: [[o1], [o2]],
      },
    ],
    fields: { override: 'object', mode: 'string', heatKW: 'number', dewPointC: 'number', target: 'string', predicted: 'number', horizonS: 'number', t: 'number', ready: 'boolean', flowLpm: 'number', supplyTempC: 'number' },
    check: ({ port, msg }) => {
      if (port === 1) return msg.payload && typeof msg.payload.event === 'string' ? undefined : 'audit msg without an event';
      const p = msg.payload;
      if (!finite(p.flowLpm) || p.flowLpm < 50 || p.flowLpm > 500) return `flow ${p.flowLpm} L/min outside 50..500`;
      if (!finite(p.supplyTempC) || p.supplyTempC < 18 || p.supplyTempC > 45) return `supply ${p.supplyTempC} °C outside 18..45`;
      return undefined;
    },
  },
];

const JS_FAULT = /Cannot read propert|Cannot set propert|Cannot convert|is not a function|is not iterable|is not defined|Maximum call stack|Invalid array length|Invalid string length|undefined \(reading|null \(reading/;

function describeError(e: unknown): string {
  if (e instanceof Error) return `${e.name}: ${e.message}${(e.stack ?? '').split('\n').slice(1, Number(process.env.STACK_LINES) || 4).join(' |')}`;
  return String(e);
}

/** An error the node chose to report, not a JavaScript fault escaping as one. */
function isDeliberate(e: unknown): string | undefined {
  const err = e instanceof Error ? e : undefined;
  const text = err ? err.message : String(e);
  if (err && (err instanceof TypeError || err instanceof ReferenceError || err instanceof RangeError || err instanceof SyntaxError) && JS_FAULT.test(text)) return describeError(err);
  if (JS_FAULT.test(text)) return text;
  return undefined;
}

function registered(file: string): boolean {
  return fs.existsSync(path.join(__dirname, '..', '..', 'dist', 'nodes', file));
}

describe('every node, fed arbitrary msgs (fast-check)', function () {
  this.timeout(120000);
  const escaped: unknown[] = [];
  const onUncaught = (err: unknown) => escaped.push(err);
  const onRejection = (reason: unknown) => escaped.push(reason);
  let protoBefore: ReturnType<typeof prototypeSnapshot>;

  before(() => {
    protoBefore = prototypeSnapshot();
    process.prependListener('uncaughtException', onUncaught);
    process.prependListener('unhandledRejection', onRejection);
  });
  after(() => {
    process.removeListener('uncaughtException', onUncaught);
    process.removeListener('unhandledRejection', onRejection);
  });
  afterEach(async () => {
    await helper.unload();
  });

  const MODES = [
    { name: 'JSON-shaped msgs', jsValues: false, title: 'each msg ends in a deliberate error or a correct output; nothing escapes; prototypes unchanged' },
    { name: 'JavaScript-only values', jsValues: true, title: 'null prototypes, sparse arrays, cycles, BigInt, throwing getters: a caught error or a correct output; nothing escapes; prototypes unchanged' },
  ];
  for (const mode of MODES) for (const c of CASES) {
    it(`${c.type}, ${mode.name}: ${mode.title}`, async function () {
      if (!registered(c.file)) {
        // eslint-disable-next-line no-console
        console.log(`      SKIPPED (${c.file} is not built yet)`);
        this.skip();
      }
      const outs = Array.from({ length: c.ports }, (_, i) => `out${i}`);
      const flow = [...c.flow(outs), ...outs.map((id) => ({ id, type: 'helper' }))];
      await helper.load([nodeModule(c.file), ...(c.extraFiles ?? []).map(nodeModule)], flow);
      const n: AnyNode = helper.getNode('n');
      assert.ok(n, `${c.type} did not start`);

      let current: Outcome | undefined;
      let wake: (() => void) | undefined;
      outs.forEach((id, port) =>
        helper.getNode(id).on('input', (msg: any) => {
          current?.outputs.push({ port, msg });
          wake?.();
        }),
      );
      n.on('call:error', (call: any) => {
        current?.errors.push(call.args[0]);
        wake?.();
      });
      const completeHook = `onComplete.property${Date.now()}`;
      const hooks = require(require.resolve('@node-red/util', { paths: [require.resolve('node-red')] })).hooks;
      hooks.add(completeHook, (ev: any) => {
        if (ev.node.id === 'n' && current) {
          current.completed = true;
          wake?.();
        }
      });
      try {
        await fc.assert(
          fc.asyncProperty(arbitraryMsg(c.fields, { jsValues: mode.jsValues }), async (recipe: MsgRecipe) => {
            const msg: Msg = makeMsg(recipe, c.fields);
            const outcome: Outcome = { outputs: [], errors: [], completed: false };
            current = outcome;
            const settled = new Promise<void>((resolve) => {
              wake = () => {
                if (outcome.completed || outcome.errors.length > 0) resolve();
              };
              // A node that holds the msg (a review) or answers later: give it a moment.
              setTimeout(resolve, c.mayHold ? 10 : 200);
            });
            n.receive(msg);
            await settled;
            // Outputs sent in the same turn as done() arrive on the next ticks.
            await new Promise((r) => setImmediate(r));
            current = undefined;
            wake = undefined;

            assert.deepEqual(escaped.map(describeError), [], 'an exception or rejection escaped the node');
            const changed = prototypesChanged(protoBefore);
            assert.deepEqual(changed, [], `prototype changed: ${changed.join(', ')}`);
            for (const e of outcome.errors) {
              const fault = isDeliberate(e);
              assert.equal(fault, undefined, `a JavaScript fault reported as the node's error: ${fault}`);
            }
            for (const o of outcome.outputs) {
              const why = c.check(o, msg);
              assert.equal(why, undefined, `incorrect output on port ${o.port + 1}: ${why}`);
            }
            if (!c.mayHold) assert.ok(outcome.completed || outcome.errors.length > 0 || outcome.outputs.length > 0, 'the msg neither completed nor failed');
          }),
          { numRuns: c.runs ?? (mode.jsValues ? 40 : 120), seed: Number(process.env.FC_SEED) || undefined, endOnFailure: true },
        );
      } finally {
        hooks.remove(completeHook);
      }
    });
  }
});

// Measures the Human Review desk with many open reviews (issue 6, acceptance 5): how long it
// takes to open, list and decide reviews when 10,000 are pending, behind each persistence:
//   memory   the core's MemoryPersistence (stores JSON text, like a file store would)
//   file     Node-RED's own localfilesystem context store (cache on, flushed to disk on close)
//   api      the llmops-human-review node in a Node-RED runtime (node-red-node-test-helper),
//            listed and decided through the admin HTTP API
// and what a whole-list rewrite per decision would cost instead (one JSON.stringify of all).
//
//   npm run bench:review -- [--n 10000] [--decide 1000] [--json]
//
// Prints one JSON object. Times are wall-clock milliseconds on this machine.

import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { DEFAULT_POLICY, MemoryPersistence, ReviewDesk, type ReviewPersistence } from '../core/review';
import { numArg as arg } from './cli';

const N = arg('n', 10_000);
const DECIDE = Math.min(arg('decide', 1_000), N);

function draft(i: number) {
  return {
    payload: { unit: `CDU-${i % 8}`, flowLpm: 300 + (i % 40), supplyTempC: 30, note: 'raise flow ahead of the predicted heat' },
    inputData: { unit: `CDU-${i % 8}`, flowLpm: 300, supplyTempC: 30, gpuTempC: 78.5, rack: `R${i % 20}` },
    verification: { match: true, score: 1, summary: '3 of 3 fields match' },
    carry: { topic: `cooling/cdu-${i % 8}` },
  };
}

function pct(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

function round(v: number, d = 3): number {
  return Math.round(v * 10 ** d) / 10 ** d;
}

async function timeDesk(persistence: ReviewPersistence) {
  let n = 0;
  const desk = new ReviewDesk({ persistence, policy: { ...DEFAULT_POLICY, timeoutMs: 3_600_000 }, onTimeout: () => undefined, newId: () => `r${++n}` });
  let t = performance.now();
  for (let i = 0; i < N; i++) desk.submit(draft(i));
  const submitMs = performance.now() - t;
  await desk.flush();
  const submitFlushedMs = performance.now() - t;

  t = performance.now();
  const all = desk.list();
  const listAllMs = performance.now() - t;
  t = performance.now();
  const page = desk.list({ offset: N - 200, limit: 200 });
  const listPageMs = performance.now() - t;

  const per: number[] = [];
  for (let k = 0; k < DECIDE; k++) {
    const id = `r${1 + Math.floor((k * N) / DECIDE)}`;
    const s = performance.now();
    const r = desk.decide({ id, decision: 'approve', reviewer: 'bench' });
    per.push(performance.now() - s);
    if (r.kind !== 'released') throw new Error(`decision ${id}: ${r.kind}`);
  }
  t = performance.now();
  await desk.flush();
  const decideFlushMs = performance.now() - t;
  per.sort((a, b) => a - b);
  await desk.close();
  return {
    pending: all.length,
    submitMs: round(submitMs, 1),
    submitStoredMs: round(submitFlushedMs, 1),
    listAllMs: round(listAllMs, 1),
    listPage200Ms: round(listPageMs, 3),
    pageSize: page.length,
    decisions: DECIDE,
    decideMeanMs: round(per.reduce((a, b) => a + b, 0) / per.length, 4),
    decideP99Ms: round(pct(per, 99), 4),
    decideMaxMs: round(per[per.length - 1], 3),
    storeAfterDecisionsMs: round(decideFlushMs, 1),
  };
}

async function memoryRun() {
  const store = new MemoryPersistence();
  const result = await timeDesk(store);
  // Writes per decision: one review key each (the rest of the list is untouched).
  return { ...result, storeWritesPerDecision: (store.writes - N) / DECIDE };
}

/** Node-RED's localfilesystem context plugin behind the desk's persistence interface. */
async function fileRun() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'llmops-review-bench-'));
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const plugin = require('@node-red/runtime/lib/nodes/context/localfilesystem') as (cfg: object) => any;
  const store = plugin({ dir, cache: true, flushInterval: 30 });
  await store.open();
  const scope = 'bench-node:bench-flow';
  const cb = <T>(fn: (done: (err: unknown, v?: T) => void) => void) => new Promise<T>((res, rej) => fn((err, v) => (err ? rej(err) : res(v as T))));
  const persistence: ReviewPersistence = {
    keys: () => cb<string[]>((d) => store.keys(scope, d)),
    get: (key) => cb((d) => store.get(scope, key, d)),
    set: (key, value) => cb<void>((d) => store.set(scope, key, value, d)),
  };
  const result = await timeDesk(persistence);
  let t = performance.now();
  await store.close();
  const closeFlushMs = performance.now() - t;
  const file = fs.readdirSync(dir, { recursive: true }).map(String).find((f) => f.endsWith('.json'));
  const fileBytes = file ? fs.statSync(path.join(dir, file)).size : 0;

  // A restart: open the store again and load the desk (N - DECIDE reviews still open).
  const again = plugin({ dir, cache: true, flushInterval: 30 });
  t = performance.now();
  await again.open();
  const reopened = new ReviewDesk({
    persistence: {
      keys: () => cb<string[]>((d) => again.keys(scope, d)),
      get: (key) => cb((d) => again.get(scope, key, d)),
      set: (key, value) => cb<void>((d) => again.set(scope, key, value, d)),
    },
    policy: { ...DEFAULT_POLICY, timeoutMs: 3_600_000 },
    onTimeout: () => undefined,
  });
  const loaded = await reopened.load();
  const reloadMs = performance.now() - t;
  await reopened.close();
  await again.close();
  fs.rmSync(dir, { recursive: true, force: true });
  return { ...result, closeFlushMs: round(closeFlushMs, 1), fileBytes, reloadAfterRestartMs: round(reloadMs, 1), reloaded: loaded };
}

async function apiRun() {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const helper = require('node-red-node-test-helper');
  helper.init(require.resolve('node-red'));
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const reviewNode = require('../nodes/human-review/human-review').default;
  await helper.load(reviewNode, [
    { id: 'f', type: 'tab' },
    { id: 'rv', z: 'f', type: 'llmops-human-review', approvals: 1, checklist: [], timeout: 0, wires: [['o1'], [], []] },
    { id: 'o1', z: 'f', type: 'helper' },
  ]);
  const rv = helper.getNode('rv');
  let released = 0;
  helper.getNode('o1').on('input', () => released++);
  let t = performance.now();
  for (let i = 0; i < N; i++) {
    const d = draft(i);
    rv.receive({ payload: d.payload, inputData: d.inputData, verification: d.verification, topic: d.carry.topic });
  }
  // Inputs wait for the desk to be loaded; poll until all are open.
  for (;;) {
    const r = await helper.request().get('/llmops-review/pending?limit=1');
    if (r.body.total >= N) break;
    await new Promise((res) => setTimeout(res, 20));
  }
  const submitMs = performance.now() - t;
  const times: number[] = [];
  let ids: string[] = [];
  for (let k = 0; k < 20; k++) {
    const s = performance.now();
    const r = await helper.request().get(`/llmops-review/pending?offset=${k * 200}&limit=200`);
    times.push(performance.now() - s);
    ids = ids.concat(r.body.items.map((i: { id: string }) => i.id));
  }
  times.sort((a, b) => a - b);
  const dec: number[] = [];
  const decisions = Math.min(200, ids.length);
  for (let k = 0; k < decisions; k++) {
    const s = performance.now();
    const r = await helper.request().post(`/llmops-review/${ids[k * Math.floor(ids.length / decisions)]}/decision`).send({ decision: 'approve' });
    dec.push(performance.now() - s);
    if (r.status !== 200) throw new Error(`API decision: HTTP ${r.status}`);
  }
  dec.sort((a, b) => a - b);
  t = performance.now();
  const all = await helper.request().get('/llmops-review/pending?limit=1000');
  const listThousandMs = performance.now() - t;
  await helper.unload();
  return {
    submitMs: round(submitMs, 1),
    listPage200MedianMs: round(pct(times, 50), 2),
    listPage200MaxMs: round(times[times.length - 1], 2),
    listPage1000Ms: round(listThousandMs, 2),
    pendingAfter: all.body.total,
    decisions,
    decideMedianMs: round(pct(dec, 50), 2),
    decideP99Ms: round(pct(dec, 99), 2),
    released,
  };
}

function rewriteCost() {
  // What a single-key store would write on every decision: the whole list of open reviews.
  const desk = new ReviewDesk({ persistence: new MemoryPersistence(), policy: DEFAULT_POLICY, onTimeout: () => undefined });
  for (let i = 0; i < N; i++) desk.submit(draft(i));
  const items = desk.list().map((v) => desk.get(v.id));
  let t = performance.now();
  const whole = JSON.stringify(items);
  const wholeMs = performance.now() - t;
  t = performance.now();
  const one = JSON.stringify(items[0]);
  const oneMs = performance.now() - t;
  return { wholeListStringifyMs: round(wholeMs, 2), wholeListBytes: whole.length, oneReviewStringifyMs: round(oneMs, 4), oneReviewBytes: one.length };
}

async function main() {
  const result = {
    bench: 'review',
    node: process.version,
    cpus: os.cpus().length,
    cpu: os.cpus()[0]?.model,
    pending: N,
    memory: await memoryRun(),
    file: await fileRun(),
    api: await apiRun(),
    perDecisionRewriteAlternative: rewriteCost(),
  };
  process.stdout.write(JSON.stringify(result, null, process.argv.includes('--json') ? 0 : 2) + '\n');
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);

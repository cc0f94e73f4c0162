// bench:soak — 1,000,000 msgs through the LLM Ops chain inside a real Node-RED process:
// LLM Engine (offline provider, JSON schema) → IO Matcher → Human Review (auto-approve for
// verified changes up to 5 %). The msgs go in chunks; after each chunk the heap is measured after
// a full GC (Node-RED runs with --expose-gc; a test-only admin probe reads it). A chain that keeps
// something per msg shows as a heap that grows with the msgs sent; a flat one does not.
// `--stage engine|matcher|review` feeds one node alone (msgs shaped for it), to find which one grows.
// Usage: npm run bench:soak -- [--msgs N] [--chunk N] [--stage chain|engine|matcher|review] [--json]
import { installProbe, placed } from '../test/faults/flows';
import { NodeRedProcess } from '../test/helpers/nodered';
import { numArg as arg } from './cli';

const json = process.argv.includes('--json');
const MSGS = arg('msgs', 1_000_000);
const CHUNK = arg('chunk', 20_000);
const WARMUP_CHUNKS = 2;
const STAGE = (() => {
  const i = process.argv.indexOf('--stage');
  const v = i >= 0 ? process.argv[i + 1] : 'chain';
  if (!['chain', 'engine', 'matcher', 'review'].includes(v)) throw new Error(`--stage ${v}: use chain, engine, matcher or review`);
  return v;
})();
/** The first node of the stage, and the msg the generator builds for it (i is the msg number). */
const ENTRY: Record<string, { node: string; msg: string; last: string }> = {
  chain: { node: 'engine', msg: "{ payload: { unit: 'CDU-' + (i % 4), flowLpm: 300 + (i % 10) } }", last: 'review' },
  engine: { node: 'engine', msg: "{ payload: { unit: 'CDU-' + (i % 4), flowLpm: 300 + (i % 10) } }", last: 'engine' },
  matcher: { node: 'matcher', msg: "(() => { const p = { unit: 'CDU-' + (i % 4), flowLpm: 300 + (i % 10) }; return { inputData: p, payload: { ...p } }; })()", last: 'matcher' },
  review: { node: 'review', msg: "(() => { const p = { unit: 'CDU-' + (i % 4), flowLpm: 300 + (i % 10) }; return { inputData: p, payload: { ...p }, verification: { match: true, score: 1, fields: [] } }; })()", last: 'review' },
};

function log(...args: unknown[]) {
  if (!json) console.log(...args);
}

const SCHEMA = JSON.stringify({ type: 'object', properties: { unit: { type: 'string' }, flowLpm: { type: 'number' } }, required: ['unit', 'flowLpm'] });

function flow() {
  return placed([
    { id: 'tab', type: 'tab', label: 'soak' },
    { id: 'prov', type: 'llmops-llm-provider', kind: 'offline' },
    { id: 'run', type: 'http in', z: 'tab', url: '/run', method: 'post', wires: [['gen']] },
    {
      id: 'gen',
      type: 'function',
      z: 'tab',
      func: [
        "flow.set('chunk', { req: msg.req, res: msg.res, t0: Date.now(), seen: 0, ports: [0, 0, 0], errors: 0, firstError: null });",
        `for (let i = 0; i < ${CHUNK}; i++) node.send(${ENTRY[STAGE].msg}, false);`,
        'return null;',
      ].join('\n'),
      wires: [[ENTRY[STAGE].node]],
    },
    { id: 'engine', type: 'llmops-llm-engine', z: 'tab', provider: 'prov', template: 'Set {{unit}} to {{flowLpm}} L/min', schema: SCHEMA, wires: [STAGE === 'chain' ? ['matcher'] : [], []] },
    { id: 'matcher', type: 'llmops-io-matcher', z: 'tab', inputProperty: 'inputData', rules: [], strict: false, wires: STAGE === 'chain' ? [['review'], ['review']] : [[], []] },
    { id: 'review', type: 'llmops-human-review', z: 'tab', name: 'gate', store: '', approvals: 1, checklist: [], timeout: 0, timeoutUnit: 's', timeoutOutcome: 'reject', requireReason: false, autoApprove: true, autoMaxChange: 5, autoFields: '', influx: '', wires: [['p1'], ['p2'], ['p3']] },
    ...[1, 2, 3].map((p) => ({ id: `p${p}`, type: 'change', z: 'tab', rules: [{ t: 'set', p: 'port', pt: 'msg', to: String(p), tot: 'num' }], wires: [['tally']] })),
    // A review that is not auto-approved stays open (it completes without an output).
    { id: 'held', type: 'complete', z: 'tab', scope: [ENTRY[STAGE].last], uncaught: false, wires: [['tally']] },
    { id: 'errs', type: 'catch', z: 'tab', scope: ['engine', 'matcher', 'review'], uncaught: false, wires: [['tally']] },
    {
      id: 'tally',
      type: 'function',
      z: 'tab',
      func: [
        "const c = flow.get('chunk');",
        'if (msg.port) { c.ports[msg.port - 1]++; return null; }',
        'if (msg.error) { c.errors++; if (!c.firstError) c.firstError = String(msg.error.message); }',
        // Every msg ends at the review (complete) or in an error, exactly once.
        'c.seen++;',
        `if (c.seen === ${CHUNK}) return { req: c.req, res: c.res, payload: { ms: Date.now() - c.t0, ports: c.ports, errors: c.errors, firstError: c.firstError } };`,
        'return null;',
      ].join('\n'),
      wires: [['done']],
    },
    { id: 'done', type: 'http response', z: 'tab' },
  ] as Array<Record<string, unknown>>);
}

async function main() {
  const nr = new NodeRedProcess({ env: { NODE_OPTIONS: '--expose-gc --max-old-space-size=1024' } });
  installProbe(nr.userDir);
  const heapMB: number[] = [];
  const rssMB: number[] = [];
  let ms = 0;
  const ports = [0, 0, 0];
  let errors = 0;
  let firstError: string | null = null;
  try {
    await nr.start();
    await nr.deploy(flow());
    const chunks = Math.ceil(MSGS / CHUNK);
    for (let k = 0; k < chunks; k++) {
      const r = await nr.request('POST', '/run', {});
      if (r.status !== 200) throw new Error(`chunk ${k}: ${r.status} ${r.text}\n${nr.log.slice(-2000)}`);
      ms += r.json.ms;
      r.json.ports.forEach((n: number, i: number) => (ports[i] += n));
      errors += r.json.errors;
      firstError ??= r.json.firstError;
      const p = (await nr.request('GET', '/llmops-probe')).json;
      heapMB.push(Number((p.heapUsed / 1e6).toFixed(2)));
      rssMB.push(Number((p.rss / 1e6).toFixed(1)));
      log(`  ${((k + 1) * CHUNK).toLocaleString()} msgs: heap ${heapMB[k].toFixed(1)} MB, rss ${rssMB[k]} MB, ${Math.round((CHUNK / r.json.ms) * 1000)} msgs/s`);
    }
  } finally {
    await nr.dispose();
  }
  const after = heapMB.slice(WARMUP_CHUNKS);
  // Least-squares slope of heap against msgs sent, after the warm-up, in MB per 100,000 msgs.
  const xs = after.map((_, i) => (i + WARMUP_CHUNKS + 1) * CHUNK);
  const mx = xs.reduce((a, b) => a + b, 0) / xs.length;
  const my = after.reduce((a, b) => a + b, 0) / after.length;
  const slope = xs.reduce((a, x, i) => a + (x - mx) * (after[i] - my), 0) / xs.reduce((a, x) => a + (x - mx) ** 2, 0);
  const result = {
    stage: STAGE,
    msgs: MSGS,
    chunk: CHUNK,
    msgsPerSec: Math.round((MSGS / ms) * 1000),
    outputs: { approved: ports[0], rejected: ports[1], expired: ports[2] },
    errors,
    ...(firstError ? { firstError } : {}),
    heapMB: {
      afterWarmup: after[0],
      last: heapMB[heapMB.length - 1],
      min: Math.min(...after),
      max: Math.max(...after),
      slopePer100kMsgs: Number((slope * 100000).toFixed(3)),
      growthPct: Number((((heapMB[heapMB.length - 1] - after[0]) / after[0]) * 100).toFixed(1)),
    },
    rssMB: { afterWarmup: rssMB[WARMUP_CHUNKS], last: rssMB[rssMB.length - 1] },
    series: { heapMB, rssMB },
    machine: { cpus: require('os').cpus().length, node: process.version },
  };
  if (json) console.log(JSON.stringify(result));
  else console.log(JSON.stringify({ ...result, series: undefined }, null, 2));
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});

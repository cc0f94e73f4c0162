// Measures the IO Matcher on a labelled case file: how often it catches a wrong output
// (recall of mismatch detection; a mismatching case is a positive), how often it cries wolf
// (precision), per-field accuracy, and messages per second.
//
//   npm run bench:matcher -- --cases test/fixtures/matcher-cases.jsonl [--json] [--via node|core]
//
// --via node (default when the built node exists) sends every case through llmops-io-matcher
// inside a Node-RED runtime (node-red-node-test-helper); --via core calls the core directly.
// Case lines: {"id", "input", "output", "rules"?, "strict"?, "expect": {"match", "fields"?}};
// other keys are ignored. A case the node rejects with an error counts as wrong.

import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { matchIO } from '../core/matcher';
import { nameKey } from '../core/matcher/field-names';
import type { Verification } from '../core/matcher/types';
import { arg } from './cli';

export interface CaseLine {
  id: string;
  input: unknown;
  output: unknown;
  rules?: unknown;
  strict?: boolean;
  expect: { match: boolean; fields?: Record<string, string> };
}

export interface Runner {
  name: string;
  run(c: CaseLine): Promise<Verification | Error>;
  close(): Promise<void>;
}


function readCases(file: string): CaseLine[] {
  return readFileSync(file, 'utf8')
    .split('\n')
    .map((l, i) => [l.trim(), i + 1] as const)
    .filter(([l]) => l !== '')
    .map(([l, line]) => {
      const c = JSON.parse(l) as CaseLine;
      if (typeof c.expect?.match !== 'boolean') throw new Error(`${file}:${line}: case has no expect.match`);
      return { id: String(c.id ?? `line-${line}`), input: c.input, output: c.output, rules: c.rules, strict: c.strict, expect: c.expect };
    });
}

function coreRunner(): Runner {
  return {
    name: 'core',
    async run(c) {
      try {
        return matchIO(c.input, c.output, { rules: c.rules as never, strict: c.strict === true });
      } catch (e) {
        return e as Error;
      }
    },
    async close() {},
  };
}

async function nodeRunner(): Promise<Runner> {
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  const { startMatcherFlow } = require('./matcher-runtime') as typeof import('./matcher-runtime');
  return startMatcherFlow();
}

function statusOf(v: Verification, field: string): string | undefined {
  const exact = v.fields.find((f) => f.field === field);
  if (exact) return exact.status;
  const key = nameKey(field);
  return (v.fields.find((f) => nameKey(f.field) === key) ?? v.fields.find((f) => nameKey(f.field.split('.').pop()!) === key))?.status;
}

/** A five-field "Key: Value" output: the shape the throughput target is stated for. */
const THROUGHPUT_CASE: CaseLine = {
  id: 'throughput-five-field-kv',
  input: { Product: 'Laptop', Quantity: 5, Shipping: 'Free', Customer: 'Acme Corp', Delivery: '2024-07-19' },
  output: 'Product: Laptop\nQuantity: 5\nShipping: Free\nCustomer: Acme Corp\nDelivery: 19 July 2024',
  expect: { match: true },
};

/** Messages per second with `inFlight` messages sent before their verdicts are awaited. */
async function throughput(runner: Runner, seconds = 3, inFlight = 100): Promise<number> {
  const batch = async (): Promise<void> => {
    const all: Array<Promise<unknown>> = [];
    for (let i = 0; i < inFlight; i++) all.push(runner.run(THROUGHPUT_CASE));
    const got = await Promise.all(all);
    if (got.some((v) => v instanceof Error || !(v as Verification).match)) throw new Error('throughput case did not match');
  };
  for (let i = 0; i < 10; i++) await batch();
  const until = Date.now() + seconds * 1000;
  let n = 0;
  const t0 = process.hrtime.bigint();
  while (Date.now() < until) {
    await batch();
    n += inFlight;
  }
  const s = Number(process.hrtime.bigint() - t0) / 1e9;
  return n / s;
}

async function main(): Promise<void> {
  const file = arg('cases') ?? join(__dirname, '..', 'test', 'fixtures', 'matcher-cases.jsonl');
  const json = process.argv.includes('--json');
  const nodeBuilt = existsSync(join(__dirname, '..', 'dist', 'nodes', 'io-matcher', 'io-matcher.js'));
  const via = arg('via') ?? (nodeBuilt ? 'node' : 'core');
  const cases = readCases(file);
  const runner = via === 'node' ? await nodeRunner() : coreRunner();

  let tp = 0;
  let fp = 0;
  let tn = 0;
  let fn = 0;
  let fieldsRight = 0;
  let fieldsTotal = 0;
  const perStatus: Record<string, { right: number; total: number }> = {};
  const failures: Array<{ id: string; expected: boolean; got: boolean | string; summary: string; fields?: Record<string, string> }> = [];
  const t0 = process.hrtime.bigint();
  for (const c of cases) {
    const v = await runner.run(c);
    const positive = !c.expect.match;
    if (v instanceof Error) {
      if (positive) fn++;
      else fp++;
      failures.push({ id: c.id, expected: c.expect.match, got: 'error', summary: v.message });
      continue;
    }
    const flagged = !v.match;
    if (positive && flagged) tp++;
    else if (positive) fn++;
    else if (flagged) fp++;
    else tn++;
    const wrongFields: Record<string, string> = {};
    for (const [field, want] of Object.entries(c.expect.fields ?? {})) {
      const got = statusOf(v, field) ?? 'absent';
      fieldsTotal++;
      perStatus[want] ??= { right: 0, total: 0 };
      perStatus[want].total++;
      if (got === want) {
        fieldsRight++;
        perStatus[want].right++;
      } else wrongFields[field] = `${want} → ${got}`;
    }
    if (flagged !== positive || Object.keys(wrongFields).length) {
      failures.push({ id: c.id, expected: c.expect.match, got: v.match, summary: v.summary, ...(Object.keys(wrongFields).length ? { fields: wrongFields } : {}) });
    }
  }
  const caseSeconds = Number(process.hrtime.bigint() - t0) / 1e9;
  const msgsPerSec = await throughput(runner);
  await runner.close();

  const round = (x: number): number => Math.round(x * 10000) / 10000;
  const result = {
    cases: cases.length,
    via: runner.name,
    file,
    positives: tp + fn,
    accuracy: round((tp + tn) / cases.length),
    precision: round(tp + fp === 0 ? 1 : tp / (tp + fp)),
    recall: round(tp + fn === 0 ? 1 : tp / (tp + fn)),
    confusion: { tp, fp, tn, fn },
    fieldAccuracy: round(fieldsTotal === 0 ? 1 : fieldsRight / fieldsTotal),
    fieldAccuracyByLabel: Object.fromEntries(Object.entries(perStatus).map(([k, s]) => [k, round(s.right / s.total)])),
    fieldsLabelled: fieldsTotal,
    caseMsgsPerSec: Math.round(cases.length / caseSeconds),
    msgsPerSec: Math.round(msgsPerSec),
    msgsPerSecCase: 'five-field "Key: Value" output, 100 msgs in flight',
    failures,
  };
  if (json) {
    process.stdout.write(JSON.stringify(result) + '\n');
    return;
  }
  console.log(`IO Matcher on ${cases.length} cases (${result.positives} mismatching) via ${runner.name}`);
  console.log(`  accuracy  ${result.accuracy}`);
  console.log(`  precision ${result.precision}   recall ${result.recall}   (tp ${tp}, fp ${fp}, tn ${tn}, fn ${fn})`);
  console.log(`  field accuracy ${result.fieldAccuracy} over ${fieldsTotal} labelled fields ${JSON.stringify(result.fieldAccuracyByLabel)}`);
  console.log(`  throughput ${result.msgsPerSec} msgs/s (five-field Key: Value), ${result.caseMsgsPerSec} msgs/s over the case file`);
  const wrongCases = failures.filter((f) => f.got === 'error' || f.got !== f.expected);
  console.log(`  wrong verdicts: ${wrongCases.length}`);
  for (const f of wrongCases.slice(0, 40)) console.log(`    ${f.id}: expected ${f.expected ? 'match' : 'mismatch'}, got ${f.got === 'error' ? 'error' : f.got ? 'match' : 'mismatch'} — ${f.summary}`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});

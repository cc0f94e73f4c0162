// Issue 11, soak (found by bench/soak.ts): an LLM Engine node lives for months and sends millions
// of requests through one LlmEngine with the node's own long-lived stop signal. Each request must
// leave nothing behind once it is answered: the heap after a full GC stays flat.
// (On Node 20, AbortSignal.any() keeps every composite signal alive for as long as its long-lived
// sources live: one per request, about 75 bytes, 70 MB per million requests.)
import assert from 'node:assert/strict';
import * as v8 from 'node:v8';
import * as vm from 'node:vm';
import { LlmEngine } from '../../core/llm';

v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;

function heapMB(): number {
  gc();
  gc();
  return process.memoryUsage().heapUsed / 1e6;
}

describe('faults: heap of an LLM engine over many requests', function () {
  this.timeout(120000);

  it('keeps the heap flat over 300,000 offline requests with a long-lived stop signal', async () => {
    const engine = new LlmEngine({ kind: 'offline' });
    const stop = new AbortController();
    const schema = { type: 'object', properties: { unit: { type: 'string' }, flowLpm: { type: 'number' } } };
    const run = async (n: number) => {
      for (let i = 0; i < n; i++) {
        const data = { unit: `CDU-${i % 4}`, flowLpm: 300 + (i % 10) };
        await engine.complete({ prompt: 'x', inputData: data, schema, signal: stop.signal });
      }
    };
    await run(50000);
    const before = heapMB();
    await run(300000);
    const after = heapMB();
    engine.close();
    assert.ok(after - before < 5, `heap grew ${(after - before).toFixed(1)} MB over 300,000 requests (${before.toFixed(1)} → ${after.toFixed(1)} MB)`);
  });
});

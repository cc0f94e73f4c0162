// llmops-queue-batcher: requests in, per-pool batches out (on size and on slack), completions
// teach the output-length predictor, statistics on output 2, bad input refused with a sentence.
import assert from 'node:assert/strict';
import { helper, nodeModule } from '../helpers/helper';
import { waitFor } from '../helpers/ports';

const batcher = nodeModule('queue-batcher/queue-batcher.js');

type AnyNode = any;

function flow(props: Record<string, unknown> = {}) {
  return [
    { id: 'b1', type: 'llmops-queue-batcher', maxBatchSize: 3, statsS: 0, wires: [['batches'], ['stats']], ...props },
    { id: 'batches', type: 'helper' },
    { id: 'stats', type: 'helper' },
  ];
}

function collect(id: string): any[] {
  const seen: any[] = [];
  helper.getNode(id).on('input', (m: any) => seen.push(m));
  return seen;
}

function receive(node: AnyNode, msg: Record<string, unknown>): Promise<Error | undefined> {
  return new Promise((resolve) => {
    const onCall = (call: any) => {
      node.removeListener('call:error', onCall);
      resolve(call.args[0] instanceof Error ? call.args[0] : new Error(String(call.args[0])));
    };
    node.on('call:error', onCall);
    node.receive(msg);
    setTimeout(() => {
      node.removeListener('call:error', onCall);
      resolve(undefined);
    }, 200);
  });
}

describe('llmops-queue-batcher', function () {
  this.timeout(10000);
  afterEach(async () => {
    await helper.unload();
  });

  it('sends a full batch of one pool with msg.pool and msg.batch', async () => {
    await helper.load([batcher], flow({ ttftFloorMs: 60000 }));
    const seen = collect('batches');
    helper.getNode('b1').receive({ payload: [1, 2, 3].map((i) => ({ id: 'r' + i, inputTokens: 100, maxOutputTokens: 50 })) });
    const m = await waitFor('a batch', () => seen[0]);
    assert.equal(m.pool, 'SS');
    assert.equal(m.payload.length, 3);
    assert.equal(m.batch.size, 3);
    assert.equal(m.batch.reason, 'size');
    assert.deepEqual(m.payload.map((r: any) => r.id), ['r1', 'r2', 'r3']);
  });

  it('keeps pools apart: a long prompt does not join a short batch', async () => {
    await helper.load([batcher], flow({ ttftFloorMs: 60000 }));
    const seen = collect('batches');
    const node: AnyNode = helper.getNode('b1');
    node.receive({ payload: [{ id: 'a', inputTokens: 100, maxOutputTokens: 50 }, { id: 'long', inputTokens: 3000, maxOutputTokens: 50 }, { id: 'b', inputTokens: 120, maxOutputTokens: 50 }, { id: 'c', inputTokens: 90, maxOutputTokens: 50 }] });
    const m = await waitFor('a batch', () => seen[0]);
    assert.deepEqual(m.payload.map((r: any) => r.id), ['a', 'b', 'c']);
  });

  it('releases a part batch when the oldest request has no slack left', async () => {
    // TTFT objective 300 ms: one request waits at most that, less its service time.
    await helper.load([batcher], flow({ ttftFloorMs: 300 }));
    const seen = collect('batches');
    helper.getNode('b1').receive({ payload: { id: 'lonely', inputTokens: 100 } });
    const m = await waitFor('a slack batch', () => seen[0], 3000, 20);
    assert.equal(m.batch.reason, 'slack');
    assert.equal(m.payload.length, 1);
  });

  it('learns output lengths from completions and reports them on output 2', async () => {
    await helper.load([batcher], flow({ ttftFloorMs: 60000 }));
    const stats = collect('stats');
    const node: AnyNode = helper.getNode('b1');
    const done = Array.from({ length: 40 }, (_, i) => ({ id: 'c' + i, inputTokens: 100, outputTokens: 600 }));
    node.receive({ payload: done });
    node.receive({ topic: 'stats' });
    const m = await waitFor('statistics', () => stats[0]);
    assert.equal(m.payload.predictor.completions, 40);
    assert.ok(m.payload.predictor.perInputClass[0] >= 500, `prediction ${m.payload.predictor.perInputClass[0]}`);
    assert.equal(m.payload.pools.length, 9);
  });

  it('puts a request into the long-output pool once long answers were learned', async () => {
    await helper.load([batcher], flow({ ttftFloorMs: 60000, maxBatchSize: 1 }));
    const seen = collect('batches');
    const node: AnyNode = helper.getNode('b1');
    node.receive({ payload: Array.from({ length: 40 }, (_, i) => ({ id: 'c' + i, inputTokens: 100, outputTokens: 600 })) });
    node.receive({ payload: { id: 'next', inputTokens: 100 } });
    const m = await waitFor('a batch', () => seen[0]);
    assert.equal(m.pool, 'SL');
  });

  it('flushes everything queued on msg.topic "flush"', async () => {
    await helper.load([batcher], flow({ ttftFloorMs: 60000 }));
    const seen = collect('batches');
    const node: AnyNode = helper.getNode('b1');
    node.receive({ payload: { id: 'x', inputTokens: 50 } });
    node.receive({ topic: 'flush' });
    const m = await waitFor('a flushed batch', () => seen[0]);
    assert.equal(m.batch.reason, 'flush');
  });

  it('refuses negative tokens, naming the request', async () => {
    await helper.load([batcher], flow());
    const err = await receive(helper.getNode('b1'), { payload: { id: 'r9', inputTokens: -5 } });
    assert.match(String(err?.message), /request r9: inputTokens must be a finite number ≥ 0, got -5/);
  });

  it('refuses a request without an id', async () => {
    await helper.load([batcher], flow());
    const err = await receive(helper.getNode('b1'), { payload: { inputTokens: 40 } });
    assert.match(String(err?.message), /request needs an id/);
  });

  it('refuses a completion for an unknown request without its prompt length', async () => {
    await helper.load([batcher], flow());
    const err = await receive(helper.getNode('b1'), { payload: { id: 'ghost', outputTokens: 40 } });
    assert.match(String(err?.message), /completion ghost: unknown request/);
  });

  it('refuses thresholds that are not ascending', async () => {
    await helper.load([batcher], flow({ inputBounds: '1024, 256' }));
    const err = await receive(helper.getNode('b1'), { payload: { id: 'a', inputTokens: 40 } });
    assert.match(String(err?.message), /positive and ascending/);
  });
});

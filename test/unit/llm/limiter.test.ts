import assert from 'node:assert/strict';
import { ConcurrencyLimiter } from '../../../core/llm/limiter';

function gate() {
  let open!: () => void;
  const p = new Promise<void>((r) => (open = r));
  return { p, open };
}

describe('llm/limiter', () => {
  it('runs at most max tasks at once and queues the rest', async () => {
    const l = new ConcurrencyLimiter(2);
    const g = gate();
    const runs = [1, 2, 3].map(() => l.run(() => g.p));
    await Promise.resolve();
    assert.deepEqual([l.inFlight, l.queued], [2, 1]);
    g.open();
    await Promise.all(runs);
    assert.deepEqual([l.inFlight, l.queued, l.peak], [0, 0, 2]);
  });

  it('starts queued tasks in arrival order', async () => {
    const l = new ConcurrencyLimiter(1);
    const order: number[] = [];
    await Promise.all([1, 2, 3].map((i) => l.run(async () => void order.push(i))));
    assert.deepEqual(order, [1, 2, 3]);
  });

  it('frees the slot when a task fails', async () => {
    const l = new ConcurrencyLimiter(1);
    await assert.rejects(l.run(async () => Promise.reject(new Error('x'))));
    assert.equal(await l.run(async () => 'next'), 'next');
  });

  it('takes an aborted waiter out of the queue', async () => {
    const l = new ConcurrencyLimiter(1);
    const g = gate();
    const first = l.run(() => g.p);
    const ac = new AbortController();
    const second = l.run(async () => 'never', ac.signal);
    ac.abort(new Error('stopped'));
    await assert.rejects(second, /stopped/);
    assert.equal(l.queued, 0);
    g.open();
    await first;
  });

  it('reports every change of in-flight and queued counts', async () => {
    const l = new ConcurrencyLimiter(1);
    const seen: string[] = [];
    l.onChange((s) => seen.push(`${s.inFlight}/${s.queued}`));
    await Promise.all([l.run(async () => 1), l.run(async () => 2)]);
    assert.deepEqual(seen, ['1/0', '1/1', '1/0', '0/0']);
  });

  it('refuses a limit below one', () => {
    assert.throws(() => new ConcurrencyLimiter(0), RangeError);
  });
});

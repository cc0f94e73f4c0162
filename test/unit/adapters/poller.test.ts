import assert from 'node:assert/strict';
import { Poller, type PollState } from '../../../core/adapters/poller';
import type { Reading } from '../../../core/telemetry/catalogue';

const R: Reading = { layer: 'gpu', metric: 'gpu.power', value: 300, unit: 'W', ts: 1, tags: { gpu: '0' } };

function deferred<T>() {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

describe('Poller', () => {
  it('hands the readings of a read on', async () => {
    const got: Reading[][] = [];
    const p = new Poller(async () => [R], 0, { readings: (r) => got.push(r), state: () => undefined });
    await p.poll();
    assert.deepEqual(got, [[R]]);
    await p.close();
  });

  it('joins a poll tick to the read in flight instead of starting another', async () => {
    let reads = 0;
    const gate = deferred<Reading[]>();
    const p = new Poller(
      () => {
        reads++;
        return gate.promise;
      },
      0,
      { readings: () => undefined, state: () => undefined },
    );
    const a = p.poll();
    const b = p.poll();
    gate.resolve([R]);
    await Promise.all([a, b]);
    assert.equal(reads, 1);
    await p.close();
  });

  it('reports an error once while it repeats, and ok once on recovery', async () => {
    const states: Array<[PollState, string | undefined]> = [];
    let fail = true;
    const p = new Poller(
      async () => {
        if (fail) throw new Error('connection refused');
        return [R];
      },
      0,
      { readings: () => undefined, state: (s, e) => states.push([s, e?.message]) },
    );
    await p.poll();
    await p.poll();
    fail = false;
    await p.poll();
    await p.poll();
    assert.deepEqual(states, [
      ['error', 'connection refused'],
      ['ok', undefined],
    ]);
    await p.close();
  });

  it('drops the result of a read that finishes after close', async () => {
    const gate = deferred<Reading[]>();
    const got: Reading[][] = [];
    const p = new Poller(() => gate.promise, 0, { readings: (r) => got.push(r), state: () => undefined });
    const pending = p.poll();
    const closed = p.close();
    gate.resolve([R]);
    await Promise.all([pending, closed]);
    assert.deepEqual(got, []);
  });

  it('reads again on its interval after start', async () => {
    let reads = 0;
    const second = deferred<void>();
    const p = new Poller(
      async () => {
        if (++reads === 2) second.resolve();
        return [];
      },
      5,
      { readings: () => undefined, state: () => undefined },
    );
    p.start();
    await second.promise;
    await p.close();
    assert.ok(reads >= 2);
  });
});

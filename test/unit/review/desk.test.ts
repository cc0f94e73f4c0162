import assert from 'node:assert/strict';
import {
  DEFAULT_POLICY,
  MemoryPersistence,
  ReviewDesk,
  type Escalated,
  type Released,
  type ReviewPersistence,
  type ReviewPolicy,
} from '../../../core/review';
import { FakeClock } from './fake-clock';

const draft = (n = 1) => ({ payload: { flowLpm: 300 + n }, inputData: { flowLpm: 300 }, verification: { match: true } });

function makeDesk(opts: { policy?: Partial<ReviewPolicy>; clock?: FakeClock; store?: ReviewPersistence } = {}) {
  const clock = opts.clock ?? new FakeClock();
  const store = opts.store ?? new MemoryPersistence();
  const timeouts: (Released | Escalated)[] = [];
  const errors: unknown[] = [];
  let n = 0;
  const desk = new ReviewDesk({
    persistence: store,
    policy: { ...DEFAULT_POLICY, ...opts.policy },
    clock,
    onTimeout: (r) => timeouts.push(r),
    onError: (e) => errors.push(e),
    newId: () => `id${++n}`,
  });
  return { desk, clock, store, timeouts, errors };
}

describe('review desk', () => {
  it('lists open reviews oldest first with an input/output diff', () => {
    const { desk } = makeDesk();
    desk.submit(draft(1));
    desk.submit(draft(2));
    const list = desk.list();
    assert.deepEqual(list.map((v) => v.id), ['id1', 'id2']);
    assert.deepEqual(list[0].diff, [{ path: 'flowLpm', kind: 'changed', from: 300, to: 301 }]);
  });

  it('pages the list with offset and limit', () => {
    const { desk } = makeDesk();
    for (let i = 0; i < 5; i++) desk.submit(draft(i));
    assert.deepEqual(desk.list({ offset: 1, limit: 2 }).map((v) => v.id), ['id2', 'id3']);
  });

  it('keeps each open review in the store under its own key', async () => {
    const { desk, store } = makeDesk();
    desk.submit(draft());
    await desk.flush();
    assert.deepEqual(await store.keys(), ['review_id1']);
  });

  it('removes a settled review from the index and the store', async () => {
    const { desk, store } = makeDesk();
    desk.submit(draft());
    assert.equal(desk.decide({ id: 'id1', decision: 'approve', reviewer: 'ana' }).kind, 'released');
    await desk.flush();
    assert.equal(desk.size, 0);
    assert.deepEqual(await (store as MemoryPersistence).keys(), []);
  });

  it('writes one review per decision, not the whole list', async () => {
    const { desk, store } = makeDesk({ policy: { approvalsRequired: 2 } });
    for (let i = 0; i < 100; i++) desk.submit(draft(i));
    await desk.flush();
    const before = (store as MemoryPersistence).writes;
    desk.decide({ id: 'id50', decision: 'approve', reviewer: 'ana' });
    await desk.flush();
    assert.equal((store as MemoryPersistence).writes - before, 1);
  });

  it('keeps a partial approval in the store', async () => {
    const { desk, store } = makeDesk({ policy: { approvalsRequired: 2 } });
    desk.submit(draft());
    desk.decide({ id: 'id1', decision: 'approve', reviewer: 'ana' });
    await desk.flush();
    const stored = (await store.get('review_id1')) as { approvals: { reviewer: string }[] };
    assert.deepEqual(stored.approvals.map((a) => a.reviewer), ['ana']);
  });

  it('does not store an auto-approved review', async () => {
    const { desk, store } = makeDesk({ policy: { autoApprove: { maxRelativeChange: 0.05 } } });
    const r = desk.submit(draft(1));
    await desk.flush();
    assert.equal(r.release?.port, 1);
    assert.deepEqual(await store.keys(), []);
  });

  it('refuses a decision for an unknown id', () => {
    const { desk } = makeDesk();
    const r = desk.decide({ id: 'nope', decision: 'approve' });
    assert.equal(r.kind === 'refused' && r.code, 'unknown-review');
  });

  it('restores open reviews from the store in creation order', async () => {
    const store = new MemoryPersistence();
    const clock = new FakeClock();
    const a = makeDesk({ store, clock });
    for (let i = 0; i < 20; i++) {
      a.desk.submit(draft(i));
      clock.advance(1);
    }
    await a.desk.close();
    const b = makeDesk({ store, clock });
    assert.equal(await b.desk.load(), 20);
    assert.deepEqual(b.desk.list().map((v) => v.id), a.desk.list().map((v) => v.id));
  });

  it('settles a review when its deadline passes, not before', () => {
    const { desk, clock, timeouts } = makeDesk({ policy: { timeoutMs: 10_000 } });
    desk.submit(draft());
    clock.advance(9_999);
    assert.equal(timeouts.length, 0);
    clock.advance(1);
    assert.equal(timeouts.length, 1);
    assert.equal(timeouts[0].release.port, 2);
    assert.equal(desk.size, 0);
  });

  it('does not time out a review that was decided before its deadline', () => {
    const { desk, clock, timeouts } = makeDesk({ policy: { timeoutMs: 10_000 } });
    desk.submit(draft());
    desk.decide({ id: 'id1', decision: 'approve', reviewer: 'ana' });
    clock.advance(20_000);
    assert.equal(timeouts.length, 0);
  });

  it('runs one timer however many reviews wait', () => {
    const { desk, clock } = makeDesk({ policy: { timeoutMs: 10_000 } });
    for (let i = 0; i < 50; i++) desk.submit(draft(i));
    assert.equal(clock.timers.size, 1);
  });

  it('settles reviews in deadline order', () => {
    const { desk, clock, timeouts } = makeDesk({ policy: { timeoutMs: 10_000 } });
    desk.submit(draft(1));
    clock.advance(100);
    desk.submit(draft(2));
    clock.advance(20_000);
    assert.deepEqual(timeouts.map((t) => t.release.item.id), ['id1', 'id2']);
    assert.ok(timeouts.every((t) => t.release.review.decidedAt === t.release.item.history.find((h) => h.event === 'expired')!.at));
  });

  it('resumes a deadline after a restart with the time that remained', async () => {
    const store = new MemoryPersistence();
    const clock = new FakeClock();
    const a = makeDesk({ store, clock, policy: { timeoutMs: 10_000 } });
    a.desk.submit(draft());
    const expiresAt = a.desk.get('id1')!.expiresAt!;
    clock.advance(4_000);
    await a.desk.close();
    clock.advance(1_000); // the runtime is down
    const b = makeDesk({ store, clock, policy: { timeoutMs: 10_000 } });
    await b.desk.load();
    clock.advance(expiresAt - clock.now() - 1);
    assert.equal(b.timeouts.length, 0);
    clock.advance(1);
    assert.equal(b.timeouts.length, 1);
    assert.equal(b.timeouts[0].release.review.decidedAt, expiresAt);
  });

  it('settles at once a review that expired while the runtime was down', async () => {
    const store = new MemoryPersistence();
    const clock = new FakeClock();
    const a = makeDesk({ store, clock, policy: { timeoutMs: 1_000 } });
    a.desk.submit(draft());
    await a.desk.close();
    clock.advance(60_000);
    const b = makeDesk({ store, clock, policy: { timeoutMs: 1_000 } });
    await b.desk.load();
    clock.advance(0);
    assert.equal(b.timeouts.length, 1);
  });

  it('keeps an escalated review open, without a timer, across a restart', async () => {
    const store = new MemoryPersistence();
    const clock = new FakeClock();
    const policy = { timeoutMs: 1_000, timeoutOutcome: 'escalate' as const };
    const a = makeDesk({ store, clock, policy });
    a.desk.submit(draft());
    clock.advance(1_000);
    assert.equal(a.timeouts[0].release.port, 3);
    await a.desk.close();
    const b = makeDesk({ store, clock, policy });
    await b.desk.load();
    assert.equal(b.desk.get('id1')?.status, 'escalated');
    assert.equal(clock.timers.size, 0);
    assert.equal(b.desk.decide({ id: 'id1', decision: 'approve', reviewer: 'chief' }).kind, 'released');
  });

  it('stops its timer on close', async () => {
    const { desk, clock, timeouts } = makeDesk({ policy: { timeoutMs: 1_000 } });
    desk.submit(draft());
    await desk.close();
    clock.advance(5_000);
    assert.equal(timeouts.length, 0);
  });

  it('reports a failing store through onError and keeps working', async () => {
    const failing: ReviewPersistence = {
      keys: async () => [],
      get: async () => undefined,
      set: async () => {
        throw new Error('disk full');
      },
    };
    const { desk, errors } = makeDesk({ store: failing });
    desk.submit(draft());
    await desk.flush();
    assert.equal((errors[0] as Error).message, 'disk full');
    assert.equal(desk.decide({ id: 'id1', decision: 'approve' }).kind, 'released');
  });
});

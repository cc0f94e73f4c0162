import assert from 'node:assert/strict';
import { QueueBatcher } from '../../../core/energy/batcher';
import { EnergyInputError } from '../../../core/energy/errors';
import { profileFromTwinLaws } from '../../../core/energy/profile';
import { twinParams } from '../../../core/twin/params';

const profile = profileFromTwinLaws(twinParams());

describe('queue batcher', () => {
  it('classifies a request by prompt length and predicted output length', () => {
    const b = new QueueBatcher({ profile, predictorPrior: 128 });
    assert.equal(b.add({ id: 'r1', inputTokens: 300 }, 0).pool, 'MM');
    assert.equal(b.add({ id: 'r2', inputTokens: 300, maxOutputTokens: 20 }, 0).pool, 'MS');
  });

  it('releases a batch as soon as it is full', () => {
    const b = new QueueBatcher({ profile, maxBatchSize: 3 });
    for (let i = 0; i < 3; i++) b.add({ id: i, inputTokens: 100 }, 0);
    const out = b.poll(1);
    assert.equal(out.length, 1);
    assert.equal(out[0].size, 3);
    assert.equal(out[0].reason, 'size');
    assert.equal(b.queued, 0);
  });

  it('holds a partial batch while its oldest request has slack', () => {
    const b = new QueueBatcher({ profile, maxBatchSize: 8 });
    b.add({ id: 'a', inputTokens: 100 }, 0);
    assert.deepEqual(b.poll(50), []);
    assert.equal(b.queued, 1);
  });

  it('releases a partial batch when the oldest request has used up its slack', () => {
    const b = new QueueBatcher({ profile, maxBatchSize: 8 });
    b.add({ id: 'a', inputTokens: 100, arrivedAt: 0 }, 0);
    // TTFT objective 250 ms; service ≈ 6 ms prefill + 15 ms step, so slack ends near 229 ms.
    assert.equal(b.poll(200).length, 0);
    const out = b.poll(240);
    assert.equal(out.length, 1);
    assert.equal(out[0].reason, 'slack');
    assert.equal(out[0].oldestWaitMs, 240);
  });

  it('learns output lengths from completions', () => {
    const b = new QueueBatcher({ profile });
    for (let i = 0; i < 40; i++) {
      b.add({ id: i, inputTokens: 2000 }, 0);
      b.complete({ id: i, outputTokens: 800 });
    }
    assert.equal(b.classify(2000).predictedOutputTokens, 800);
    assert.equal(b.classify(2000).pool, 'LL');
  });

  it('merges pools whose load cannot keep an instance busy', () => {
    const b = new QueueBatcher({ profile, mergeBelow: 0.5 });
    for (let i = 0; i < 600; i++) b.admit({ id: `L${i}`, inputTokens: 3000 }, i * 100);
    b.admit({ id: 's', inputTokens: 50 }, 60_000);
    const groups = b.plan([{ id: 'A', tp: 8 }, { id: 'B', tp: 8 }, { id: 'C', tp: 8 }], 60_000);
    assert.ok(Object.keys(groups).length < 9);
    assert.equal(b.groupOf('SS'), b.groupOf('SM'));
  });

  it('routes a pool to its instance group and spills over when the group is backed up', () => {
    const b = new QueueBatcher({ profile, mergeBelow: 0, spillShare: 0.3 });
    for (let i = 0; i < 100; i++) b.admit({ id: `m${i}`, inputTokens: 500 }, i * 100);
    for (let i = 0; i < 100; i++) b.admit({ id: `l${i}`, inputTokens: 3000 }, i * 100);
    const groups = b.plan([{ id: 'A', tp: 8 }, { id: 'B', tp: 8 }], 10_000);
    const mGroup = groups[b.groupOf('MM')];
    const other = mGroup[0] === 'A' ? 'B' : 'A';
    const inst = (id: string, queued: number) => ({ id, tp: 8, freqMHz: 1980, queuedTokens: queued, runningRequests: 0 });
    assert.equal(b.route('MM', [inst(mGroup[0], 500), inst(other, 0)], 500)?.id, mGroup[0]);
    assert.equal(b.route('MM', [inst(mGroup[0], 8000), inst(other, 0)], 500)?.id, other);
  });

  it('refuses negative token counts with ERR_BAD_TOKENS', () => {
    const b = new QueueBatcher({ profile });
    assert.throws(() => b.add({ id: 'x', inputTokens: -5 }, 0), (e: EnergyInputError) => e.code === 'ERR_BAD_TOKENS' && /inputTokens/.test(e.message));
  });

  it('refuses a request without an id with ERR_MISSING_ID', () => {
    const b = new QueueBatcher({ profile });
    assert.throws(() => b.add({ inputTokens: 5 } as never, 0), (e: EnergyInputError) => e.code === 'ERR_MISSING_ID');
  });

  it('refuses a completion of an unknown request that carries no prompt length', () => {
    const b = new QueueBatcher({ profile });
    assert.throws(() => b.complete({ id: 'nope', outputTokens: 5 }), (e: EnergyInputError) => e.code === 'ERR_MISSING_ID');
  });
});

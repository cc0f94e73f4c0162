import assert from 'node:assert/strict';
import { LlmError, codeForStatus, parseRetryAfter } from '../../../core/llm/errors';
import { retryDelay, withRetries, type RetryPolicy } from '../../../core/llm/retry';

const policy: RetryPolicy = { maxRetries: 3, baseDelayMs: 100, maxDelayMs: 1000, maxRetryAfterMs: 5000 };
const headers = (h: Record<string, string>) => (n: string) => h[n];

describe('llm/errors', () => {
  it('reads Retry-After in seconds', () => {
    assert.equal(parseRetryAfter(headers({ 'retry-after': '2' })), 2000);
  });

  it('prefers OpenAI retry-after-ms over Retry-After', () => {
    assert.equal(parseRetryAfter(headers({ 'retry-after': '2', 'retry-after-ms': '150' })), 150);
  });

  it('reads Retry-After as an HTTP date', () => {
    const now = Date.parse('2025-01-01T00:00:00Z');
    assert.equal(parseRetryAfter(headers({ 'retry-after': 'Wed, 01 Jan 2025 00:00:03 GMT' }), now), 3000);
  });

  it('classifies insufficient_quota as quota even though the status is 429', () => {
    assert.equal(codeForStatus(429, 'insufficient_quota', 'insufficient_quota'), 'quota');
  });

  it('classifies 503 as rate limited and 502 as a server error', () => {
    assert.deepEqual([codeForStatus(503), codeForStatus(502)], ['rate_limited', 'server']);
  });
});

describe('llm/retry: retryDelay', () => {
  it('waits exactly the Retry-After the server asked for', () => {
    assert.equal(retryDelay(new LlmError('rate_limited', 'x', { retryAfterMs: 1200 }), 1, policy), 1200);
  });

  it('gives up when Retry-After is longer than the policy allows', () => {
    assert.equal(retryDelay(new LlmError('rate_limited', 'x', { retryAfterMs: 60_000 }), 1, policy), undefined);
  });

  it('never retries a quota error', () => {
    assert.equal(retryDelay(new LlmError('quota', 'x', { retryAfterMs: 10 }), 1, policy), undefined);
  });

  it('backs off exponentially within half to all of the doubled delay', () => {
    const e = new LlmError('server', 'x');
    assert.deepEqual([retryDelay(e, 1, policy, 0), retryDelay(e, 2, policy, 0.999), retryDelay(e, 3, policy, 0)], [50, 200, 200]);
  });

  it('caps the back-off at maxDelayMs', () => {
    assert.equal(retryDelay(new LlmError('network', 'x'), 3, { ...policy, maxDelayMs: 150 }, 0.999), 150);
  });

  it('stops after maxRetries', () => {
    assert.equal(retryDelay(new LlmError('timeout', 'x'), 4, policy), undefined);
  });

  it('does not retry errors that are not LlmErrors (bugs)', () => {
    assert.equal(retryDelay(new TypeError('x'), 1, policy), undefined);
  });
});

describe('llm/retry: withRetries', () => {
  it('returns the value and how many attempts it took', async () => {
    let n = 0;
    const r = await withRetries(async () => {
      if (++n < 3) throw new LlmError('server', 'boom');
      return 'ok';
    }, { ...policy, baseDelayMs: 1 });
    assert.deepEqual(r, { value: 'ok', attempts: 3 });
  });

  it('puts the attempt count on the final error', async () => {
    const err = await withRetries(async () => {
      throw new LlmError('server', 'boom');
    }, { ...policy, maxRetries: 2, baseDelayMs: 1 }).catch((e) => e);
    assert.equal(err.attempts, 3);
  });
});

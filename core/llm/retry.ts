// Retries done here rather than inside the HTTP clients, because the clients cannot be told
// that a 429 `insufficient_quota` will never succeed, and do not cap a Retry-After that asks
// for longer than a flow can sensibly wait.
import { LlmError } from './errors';

export interface RetryPolicy {
  /** Retries after the first attempt (0 = try once). */
  maxRetries: number;
  /** First back-off after a 5xx, reset or timeout; doubles each retry. */
  baseDelayMs: number;
  /** Ceiling of the back-off. */
  maxDelayMs: number;
  /** A Retry-After longer than this ends the request with the rate-limit error instead of waiting. */
  maxRetryAfterMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { maxRetries: 3, baseDelayMs: 500, maxDelayMs: 20_000, maxRetryAfterMs: 60_000 };

export interface RetryInfo {
  /** The attempt that failed (1-based). */
  attempt: number;
  error: LlmError;
  delayMs: number;
}

/**
 * How long to wait before the next attempt, or undefined when the error must not be retried.
 * `random` in [0,1) spreads clients that failed together (half fixed, half jittered).
 */
export function retryDelay(error: unknown, failedAttempt: number, policy: RetryPolicy, random = Math.random()): number | undefined {
  if (!(error instanceof LlmError) || !error.retryable) return undefined;
  if (failedAttempt > policy.maxRetries) return undefined;
  if (error.retryAfterMs !== undefined) {
    return error.retryAfterMs <= policy.maxRetryAfterMs ? error.retryAfterMs : undefined;
  }
  const exp = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (failedAttempt - 1));
  return Math.round(exp / 2 + (exp / 2) * random);
}

/** Runs `attempt(n)` until it succeeds or `retryDelay` says stop; the thrown LlmError carries `attempts`. */
export async function withRetries<T>(
  attempt: (n: number) => Promise<T>,
  policy: RetryPolicy,
  opts: { signal?: AbortSignal; onRetry?: (info: RetryInfo) => void } = {},
): Promise<{ value: T; attempts: number }> {
  for (let n = 1; ; n++) {
    try {
      return { value: await attempt(n), attempts: n };
    } catch (err) {
      const delayMs = retryDelay(err, n, policy);
      if (delayMs === undefined || opts.signal?.aborted) {
        if (err instanceof LlmError) err.attempts = n;
        throw err;
      }
      opts.onRetry?.({ attempt: n, error: err as LlmError, delayMs });
      await sleep(delayMs, opts.signal);
    }
  }
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(new LlmError('aborted', 'request stopped'));
    const t = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(t);
      reject(new LlmError('aborted', 'request stopped while waiting to retry'));
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

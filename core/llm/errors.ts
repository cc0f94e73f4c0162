// One error type for everything that can go wrong between a prompt and a usable answer, so a
// node can route on `code` and a person reads `message` without knowing which client failed.

export type LlmErrorCode =
  /** 429 rate limit or an overloaded server (503): worth waiting and trying again. */
  | 'rate_limited'
  /** The account is out of credit (`insufficient_quota`): retrying cannot help. */
  | 'quota'
  /** 5xx from the server. */
  | 'server'
  /** Connection refused or reset, a stream cut short. */
  | 'network'
  /** No answer within the configured time. */
  | 'timeout'
  /** 401/403. */
  | 'auth'
  /** The server rejected the request (4xx other than the above), e.g. unknown model. */
  | 'bad_request'
  /** The answer stopped at the token limit (`finish_reason: length`) where a whole JSON value was needed. */
  | 'length'
  /** The answer held no parseable JSON where a JSON schema was set. */
  | 'invalid_json'
  /** The JSON answer did not satisfy the schema. */
  | 'schema'
  /** The node or flow stopped the request. */
  | 'aborted'
  /** A configuration mistake found before any request. */
  | 'config';

const RETRYABLE: ReadonlySet<LlmErrorCode> = new Set(['rate_limited', 'server', 'network', 'timeout']);

export class LlmError extends Error {
  readonly code: LlmErrorCode;
  /** HTTP status when the server answered. */
  readonly status?: number;
  /** How long the server asked us to wait (Retry-After), in ms. */
  readonly retryAfterMs?: number;
  /** The model's text, when the failure is about the answer (length, invalid_json, schema). */
  readonly outputText?: string;
  /** Validation errors, for `schema`. */
  readonly details?: unknown;
  /** Attempts made before giving up. */
  attempts = 1;

  constructor(code: LlmErrorCode, message: string, extra: { status?: number; retryAfterMs?: number; outputText?: string; details?: unknown; cause?: unknown } = {}) {
    super(message, extra.cause === undefined ? undefined : { cause: extra.cause });
    this.name = 'LlmError';
    this.code = code;
    this.status = extra.status;
    this.retryAfterMs = extra.retryAfterMs;
    this.outputText = extra.outputText;
    this.details = extra.details;
  }

  get retryable(): boolean {
    return RETRYABLE.has(this.code);
  }
}

/** Reads a Retry-After value: delta-seconds, an HTTP date, or OpenAI's `retry-after-ms`. */
export function parseRetryAfter(get: (name: string) => string | null | undefined, now = Date.now()): number | undefined {
  const ms = get('retry-after-ms');
  if (ms != null && ms.trim() !== '' && Number.isFinite(Number(ms)) && Number(ms) >= 0) return Number(ms);
  const ra = get('retry-after');
  if (ra == null || ra.trim() === '') return undefined;
  const seconds = Number(ra);
  if (Number.isFinite(seconds)) return seconds >= 0 ? seconds * 1000 : undefined;
  const date = Date.parse(ra);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/** Maps an HTTP status (and the error `code`/`type` the body gave) to our codes. */
export function codeForStatus(status: number, bodyCode?: string | null, bodyType?: string | null): LlmErrorCode {
  if (bodyCode === 'insufficient_quota' || bodyType === 'insufficient_quota') return 'quota';
  if (status === 429 || status === 503) return 'rate_limited';
  if (status === 408) return 'timeout';
  if (status === 401 || status === 403) return 'auth';
  if (status >= 500) return 'server';
  return 'bad_request';
}

/** Node's fetch reports resets and refusals as TypeError('fetch failed') with a cause; name them. */
export function isNetworkFailure(err: unknown): boolean {
  const seen = new Set<unknown>();
  let e: any = err;
  while (e && typeof e === 'object' && !seen.has(e)) {
    seen.add(e);
    const code = e.code;
    if (typeof code === 'string' && /^(ECONNRESET|ECONNREFUSED|EPIPE|ETIMEDOUT|ENOTFOUND|EAI_AGAIN|EHOSTUNREACH|ENETUNREACH|UND_ERR_SOCKET|UND_ERR_CLOSED|UND_ERR_CONNECT_TIMEOUT)$/.test(code)) return true;
    if (e.name === 'TypeError' && /fetch failed|terminated/i.test(String(e.message))) return true;
    if (/terminated|socket hang up|other side closed|premature close/i.test(String(e.message))) return true;
    e = e.cause;
  }
  return false;
}

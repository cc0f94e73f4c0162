// The LLM area's public surface, for node shells and benchmarks.
export { LlmEngine, type LlmRequest, type LlmResult, type LlmMeta, type PartialAnswer, type ProviderKind, type ProviderSettings } from './engine';
export { LlmError, type LlmErrorCode } from './errors';
export { ConcurrencyLimiter, type LimiterState } from './limiter';
export { DEFAULT_RETRY, type RetryPolicy, type RetryInfo } from './retry';
export { renderTemplate, defaultInputText, contextKeysIn } from './prompt';
export { readableText } from './readable-text';
export { extractJson } from './json-answer';
export { OFFLINE_PROVIDER, OFFLINE_MODEL } from './offline';
export type { Usage, Prices } from './usage';

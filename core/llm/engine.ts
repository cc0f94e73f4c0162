// The LLM Engine's core: one request in, one checked answer out. It queues behind the
// provider's concurrency limit, retries what is worth retrying, streams partial text, turns a
// JSON answer into a validated object (re-asking once if allowed) and meters every call.
import { setMaxListeners } from 'node:events';
import { LlmError } from './errors';
import { describeErrors, extractJson, validatorFor } from './json-answer';
import { ConcurrencyLimiter, type LimiterState } from './limiter';
import { OFFLINE_MODEL, OFFLINE_PROVIDER, offlineAnswer } from './offline';
import { OllamaTransport } from './ollama-transport';
import { OpenAiTransport, type StructuredOutputMode } from './openai-transport';
import { DEFAULT_RETRY, withRetries, type RetryInfo, type RetryPolicy } from './retry';
import type { ChatAnswer, ChatMessage, ChatTransport } from './transport';
import { addUsage, costUsd, estimateTokens, type Prices, type Usage } from './usage';

export type ProviderKind = 'openai' | 'ollama' | 'offline';

export interface ProviderSettings {
  kind: ProviderKind;
  /** OpenAI-compatible: the `/v1` base URL; Ollama: the host, e.g. http://127.0.0.1:11434. */
  baseURL?: string;
  apiKey?: string;
  defaultModel?: string;
  /** Per attempt, from sending the request to the last byte of the answer. */
  timeoutMs?: number;
  maxConcurrent?: number;
  retry?: Partial<RetryPolicy>;
  prices?: Prices;
  structuredOutput?: StructuredOutputMode;
}

export interface LlmRequest {
  /** The input text (the rendered template). */
  prompt: string;
  system?: string;
  model?: string;
  temperature?: number;
  maxTokens?: number;
  seed?: number;
  /** When set, the answer must be JSON satisfying this schema; `payload` is the parsed object. */
  schema?: object;
  /** On an unparseable or invalid JSON answer, ask once more with the validation errors. */
  reAsk?: boolean;
  /** Stream the answer; `onPartial` gets the text so far as it grows. */
  stream?: boolean;
  onPartial?: (partial: PartialAnswer) => void;
  /** What came in: the offline kind fills its template from it. */
  inputData?: unknown;
  /** Offline kind: the output template. */
  offlineTemplate?: string;
  signal?: AbortSignal;
  /** Told before each retry (for a "retrying" status). */
  onRetry?: (info: RetryInfo) => void;
  /** Told when the request leaves the queue and is sent. */
  onStart?: () => void;
}

export interface PartialAnswer {
  /** The answer so far, in this attempt (a retry starts again from empty). */
  text: string;
  delta: string;
  /** Counts HTTP attempts across retries and re-asks, from 1. */
  attempt: number;
}

export interface LlmMeta {
  provider: string;
  model: string;
  usage: Usage;
  /** From leaving the queue to the final answer, retries and re-ask included. */
  latencyMs: number;
  /** From sending the successful attempt to its first token (whole answer when not streamed). */
  ttftMs: number;
  /** Time spent waiting for a free slot under the concurrency limit. */
  queueMs: number;
  finishReason: string | null;
  /** HTTP attempts made (0 for the offline kind: nothing was called). */
  attempts: number;
  reAsked?: boolean;
  costUsd?: number;
}

export interface LlmResult {
  outputText: string;
  /** The text, or the parsed, validated object when a schema was set. */
  payload: unknown;
  meta: LlmMeta;
}

const DEFAULT_TIMEOUT_MS = 60_000;

export class LlmEngine {
  readonly limiter: ConcurrencyLimiter;
  readonly settings: ProviderSettings;
  private readonly transport: ChatTransport | undefined;
  private readonly retry: RetryPolicy;
  private readonly stopAll = new AbortController();

  constructor(settings: ProviderSettings, transport?: ChatTransport) {
    this.settings = settings;
    this.limiter = new ConcurrencyLimiter(settings.maxConcurrent ?? 4);
    this.retry = { ...DEFAULT_RETRY, ...stripUndefined(settings.retry ?? {}) as Partial<RetryPolicy> };
    this.transport = transport ?? makeTransport(settings);
    // Every queued request listens on this one signal; hundreds waiting is normal, not a leak.
    setMaxListeners(0, this.stopAll.signal);
  }

  get providerName(): string {
    return this.settings.kind === 'openai' ? 'openai-compatible' : this.settings.kind;
  }

  onLimiterChange(listener: (s: LimiterState) => void): () => void {
    return this.limiter.onChange(listener);
  }

  /** Stops every queued and running request (node close / redeploy). */
  close(): void {
    this.stopAll.abort(new LlmError('aborted', 'the provider was closed'));
  }

  async complete(req: LlmRequest): Promise<LlmResult> {
    if (req.schema) {
      try {
        validatorFor(req.schema);
      } catch (e) {
        throw new LlmError('config', `the JSON schema is not valid: ${(e as Error).message}`);
      }
    }
    if (this.settings.kind === 'offline') return this.offline(req);
    const linked = req.signal ? linkSignals([req.signal, this.stopAll.signal]) : undefined;
    const signal = linked?.signal ?? this.stopAll.signal;
    const queuedAt = Date.now();
    return this.limiter
      .run(() => this.ask(req, signal, Date.now() - queuedAt), signal)
      .catch((err) => {
        if (signal.aborted && !(err instanceof LlmError)) throw new LlmError('aborted', 'request stopped');
        throw err;
      })
      .finally(() => linked?.release());
  }

  private offline(req: LlmRequest): LlmResult {
    const started = Date.now();
    const text = offlineAnswer(req.inputData, req.offlineTemplate, req.schema !== undefined);
    if (req.stream || req.onPartial) req.onPartial?.({ text, delta: text, attempt: 1 });
    const usage = estimatedUsage([{ role: 'user', content: req.prompt }], text);
    const payload = req.schema ? this.checkJson(text, 'stop', req.schema).value : text;
    const ms = Date.now() - started;
    return {
      outputText: text,
      payload,
      meta: { provider: OFFLINE_PROVIDER, model: OFFLINE_MODEL, usage, latencyMs: ms, ttftMs: ms, queueMs: 0, finishReason: 'stop', attempts: 0 },
    };
  }

  private async ask(req: LlmRequest, signal: AbortSignal, queueMs: number): Promise<LlmResult> {
    req.onStart?.();
    const started = Date.now();
    const model = req.model || this.settings.defaultModel;
    if (!model) throw new LlmError('config', 'no model: set a default model on the provider or msg.model');
    const messages: ChatMessage[] = [];
    if (req.system) messages.push({ role: 'system', content: req.system });
    messages.push({ role: 'user', content: withJsonInstruction(req.prompt, req.schema, this.settings.structuredOutput) });

    let attempts = 0;
    let usage: Usage | undefined;
    let reAsked = false;
    for (;;) {
      const call = await this.callWithRetries(req, model, messages, signal, attempts);
      attempts = call.attempts;
      usage = addUsage(usage, call.usage);
      const meta = (): LlmMeta => {
        const m: LlmMeta = {
          provider: this.providerName,
          model: call.answer.model || model,
          usage: usage!,
          latencyMs: Date.now() - started,
          ttftMs: call.ttftMs,
          queueMs,
          finishReason: call.answer.finishReason,
          attempts,
        };
        if (reAsked) m.reAsked = true;
        const cost = costUsd(usage!, this.settings.prices ?? {});
        if (cost !== undefined) m.costUsd = cost;
        return m;
      };
      const text = call.answer.text;
      if (!req.schema) return { outputText: text, payload: text, meta: meta() };
      try {
        return { outputText: text, payload: this.checkJson(text, call.answer.finishReason, req.schema).value, meta: meta() };
      } catch (err) {
        const e = err as LlmError;
        e.attempts = attempts;
        if (!req.reAsk || reAsked || e.code === 'length') throw e;
        reAsked = true;
        messages.push({ role: 'assistant', content: text });
        messages.push({ role: 'user', content: reAskText(e) });
      }
    }
  }

  /** Parses and validates a JSON answer; the error says what was wrong in words. */
  private checkJson(text: string, finishReason: string | null, schema: object): { value: unknown } {
    if (finishReason === 'length') {
      throw new LlmError('length', 'the answer was cut off at the token limit (finish_reason: length), so its JSON is incomplete; raise max tokens', { outputText: text });
    }
    const parsed = extractJson(text);
    if (!parsed.ok) throw new LlmError('invalid_json', `the answer is not JSON: ${parsed.reason}`, { outputText: text });
    const validate = validatorFor(schema);
    if (!validate(parsed.value)) {
      const problems = describeErrors(validate.errors);
      throw new LlmError('schema', `the JSON answer does not match the schema: ${problems.join('; ')}`, { outputText: text, details: problems });
    }
    return { value: parsed.value };
  }

  private async callWithRetries(req: LlmRequest, model: string, messages: ChatMessage[], outer: AbortSignal, attemptsBefore: number) {
    const transport = this.transport!;
    const timeoutMs = this.settings.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    const stream = req.stream ?? req.onPartial !== undefined;
    let ttftMs = 0;
    const { value: answer, attempts } = await withRetries(
      async (n) => {
        const attempt = attemptsBefore + n;
        const timer = new AbortController();
        const t = setTimeout(() => timer.abort(new LlmError('timeout', `no complete answer within ${timeoutMs} ms`)), timeoutMs);
        const linked = linkSignals([outer, timer.signal]);
        const signal = linked.signal;
        const sent = Date.now();
        let first = 0;
        let text = '';
        try {
          const a: ChatAnswer = await transport.chat(
            { model, messages: [...messages], temperature: req.temperature, maxTokens: req.maxTokens, seed: req.seed, jsonSchema: req.schema, stream },
            {
              signal,
              onDelta: (piece) => {
                if (!first) first = Date.now();
                text += piece;
                req.onPartial?.({ text, delta: piece, attempt });
              },
            },
          );
          ttftMs = (first || Date.now()) - sent;
          return a;
        } catch (err) {
          if (timer.signal.aborted && !outer.aborted) throw timer.signal.reason;
          if (outer.aborted) throw err instanceof LlmError && err.code === 'aborted' ? err : new LlmError('aborted', 'request stopped', { cause: err });
          throw err;
        } finally {
          clearTimeout(t);
          linked.release();
        }
      },
      this.retry,
      { signal: outer, onRetry: req.onRetry },
    ).catch((err) => {
      if (err instanceof LlmError) err.attempts += attemptsBefore;
      throw err;
    });
    const usage: Usage = answer.usage
      ? { ...answer.usage, totalTokens: answer.usage.promptTokens + answer.usage.completionTokens }
      : estimatedUsage(messages, answer.text);
    return { answer, attempts: attemptsBefore + attempts, usage, ttftMs };
  }
}

function makeTransport(s: ProviderSettings): ChatTransport | undefined {
  const timeoutMs = s.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  if (s.kind === 'openai') {
    if (!s.baseURL) throw new LlmError('config', 'an OpenAI-compatible provider needs a base URL');
    return new OpenAiTransport({ baseURL: s.baseURL, apiKey: s.apiKey, timeoutMs, structuredOutput: s.structuredOutput });
  }
  if (s.kind === 'ollama') return new OllamaTransport({ host: s.baseURL || 'http://127.0.0.1:11434', apiKey: s.apiKey });
  if (s.kind === 'offline') return undefined;
  throw new LlmError('config', `unknown provider kind "${String((s as { kind: unknown }).kind)}"`);
}

function estimatedUsage(messages: ChatMessage[], answer: string): Usage {
  const promptTokens = messages.reduce((n, m) => n + estimateTokens(m.content), 0);
  const completionTokens = estimateTokens(answer);
  return { promptTokens, completionTokens, totalTokens: promptTokens + completionTokens, estimated: true };
}

/**
 * Without server-side structured output the model has only the prompt to go on; OpenAI's
 * json_object mode also refuses requests whose messages never mention JSON.
 */
function withJsonInstruction(prompt: string, schema: object | undefined, mode: StructuredOutputMode | undefined): string {
  if (!schema || (mode ?? 'json_schema') === 'json_schema') return prompt;
  return `${prompt}\n\nAnswer with JSON only, matching this JSON schema:\n${JSON.stringify(schema)}`;
}

function reAskText(e: LlmError): string {
  const why = Array.isArray(e.details) ? (e.details as string[]).map((d) => `- ${d}`).join('\n') : `- ${e.message}`;
  return `Your answer could not be used:\n${why}\nAnswer again with only the corrected JSON, no other text.`;
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/**
 * A signal that aborts when any source does, and `release` to unhook it once the request is over.
 * Not AbortSignal.any: on Node 20 it keeps every composite alive as long as its sources live, and
 * the node's stop signal lives as long as the node (one leak per request, 70 MB per million).
 */
function linkSignals(sources: AbortSignal[]): { signal: AbortSignal; release: () => void } {
  const ctl = new AbortController();
  const hooks: Array<[AbortSignal, () => void]> = [];
  const release = () => {
    for (const [s, on] of hooks) s.removeEventListener('abort', on);
    hooks.length = 0;
  };
  for (const s of sources) {
    if (s.aborted) {
      ctl.abort(s.reason);
      break;
    }
    const on = () => {
      release();
      ctl.abort(s.reason);
    };
    // Many requests wait on the same long-lived signal at once; that is normal, not a leak.
    setMaxListeners(0, s);
    s.addEventListener('abort', on, { once: true });
    hooks.push([s, on]);
  }
  if (ctl.signal.aborted) release();
  return { signal: ctl.signal, release };
}

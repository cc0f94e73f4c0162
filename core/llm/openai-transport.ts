// OpenAI-compatible servers (OpenAI, vLLM, llama.cpp, LM Studio, Ollama's /v1) through the
// official client. Only documented Chat Completions fields are sent and read, so any server
// that follows the protocol works; the client's own retries are off (see retry.ts).
import OpenAI from 'openai';
import { LlmError, codeForStatus, isNetworkFailure, parseRetryAfter } from './errors';
import type { CallContext, ChatAnswer, ChatCall, ChatTransport } from './transport';

/** How a JSON schema is asked for: `json_schema` (structured outputs), `json_object`, or only in the prompt. */
export type StructuredOutputMode = 'json_schema' | 'json_object' | 'prompt';

export interface OpenAiSettings {
  baseURL: string;
  apiKey?: string;
  timeoutMs: number;
  structuredOutput?: StructuredOutputMode;
}

export class OpenAiTransport implements ChatTransport {
  private readonly client: OpenAI;

  constructor(private readonly settings: OpenAiSettings) {
    this.client = new OpenAI({
      baseURL: settings.baseURL,
      // Local servers (vLLM, llama.cpp, Ollama) need no key, but the client refuses to start without one.
      apiKey: settings.apiKey || 'no-key',
      timeout: settings.timeoutMs,
      maxRetries: 0,
      // The SDK would print what it cannot parse (a broken stream chunk) to the console; the
      // failure reaches the flow as our own error instead, where the user can catch it.
      logLevel: 'off',
    });
  }

  async chat(call: ChatCall, ctx: CallContext): Promise<ChatAnswer> {
    const mode = this.settings.structuredOutput ?? 'json_schema';
    const body: OpenAI.Chat.ChatCompletionCreateParamsNonStreaming = { model: call.model, messages: call.messages };
    if (call.temperature !== undefined) body.temperature = call.temperature;
    if (call.maxTokens !== undefined) body.max_tokens = call.maxTokens;
    if (call.seed !== undefined) body.seed = call.seed;
    if (call.jsonSchema && mode === 'json_schema') {
      body.response_format = { type: 'json_schema', json_schema: { name: 'answer', schema: call.jsonSchema as Record<string, unknown> } };
    } else if (call.jsonSchema && mode === 'json_object') {
      body.response_format = { type: 'json_object' };
    }
    try {
      return call.stream ? await this.streamed(body, ctx) : await this.whole(body, ctx);
    } catch (err) {
      throw toLlmError(err, ctx.signal);
    }
  }

  private async whole(body: OpenAI.Chat.ChatCompletionCreateParamsNonStreaming, ctx: CallContext): Promise<ChatAnswer> {
    const r = await this.client.chat.completions.create(body, { signal: ctx.signal });
    const choice = Array.isArray(r?.choices) ? r.choices[0] : undefined;
    // A 200 that is not a chat completion (a proxy's page, a wrong base URL) is a failed call, not an empty answer.
    if (!choice || typeof choice.message !== 'object' || choice.message === null) {
      throw new LlmError('server', 'the server answered 200 without a chat completion (no choices[0].message)');
    }
    return {
      text: choice?.message?.content ?? '',
      finishReason: choice?.finish_reason ?? null,
      usage: r.usage ? { promptTokens: r.usage.prompt_tokens, completionTokens: r.usage.completion_tokens } : undefined,
      model: r.model,
    };
  }

  private async streamed(body: OpenAI.Chat.ChatCompletionCreateParamsNonStreaming, ctx: CallContext): Promise<ChatAnswer> {
    const stream = await this.client.chat.completions.create(
      { ...body, stream: true, stream_options: { include_usage: true } },
      { signal: ctx.signal },
    );
    let text = '';
    let finishReason: string | null = null;
    let usage: ChatAnswer['usage'];
    let model: string | undefined;
    for await (const chunk of stream) {
      model = chunk.model || model;
      if (chunk.usage) usage = { promptTokens: chunk.usage.prompt_tokens, completionTokens: chunk.usage.completion_tokens };
      for (const choice of chunk.choices ?? []) {
        if ((choice.index ?? 0) !== 0) continue;
        const piece = choice.delta?.content;
        if (piece) {
          text += piece;
          ctx.onDelta?.(piece);
        }
        if (choice.finish_reason) finishReason = choice.finish_reason;
      }
    }
    // A stream that ends with no finish_reason was cut off (proxy or server gone), not finished.
    if (finishReason === null) throw new LlmError('network', 'the answer stream ended before the server said it was finished');
    return { text, finishReason, usage, model };
  }
}

function toLlmError(err: unknown, signal: AbortSignal): unknown {
  if (err instanceof LlmError) return err;
  if (signal.aborted && signal.reason instanceof LlmError) return signal.reason;
  if (err instanceof OpenAI.APIConnectionTimeoutError) return new LlmError('timeout', 'no answer from the server in time', { cause: err });
  if (err instanceof OpenAI.APIUserAbortError) return new LlmError('aborted', 'request stopped', { cause: err });
  if (err instanceof OpenAI.APIConnectionError) return new LlmError('network', `cannot reach the server: ${causeMessage(err)}`, { cause: err });
  if (err instanceof OpenAI.APIError) {
    if (err.status === undefined) {
      // An error object inside an SSE stream: the server failed after it had started answering.
      return new LlmError('server', `the server reported an error mid-answer: ${err.message}`, { cause: err });
    }
    const code = codeForStatus(err.status, err.code, err.type);
    const retryAfterMs = err.headers ? parseRetryAfter((n) => err.headers!.get(n)) : undefined;
    const what = code === 'quota' ? 'the API account has no quota left (insufficient_quota); not retried' : `the server answered ${err.status}`;
    return new LlmError(code, `${what}: ${serverMessage(err)}`, { status: err.status, retryAfterMs, cause: err });
  }
  if (isNetworkFailure(err)) return new LlmError('network', `connection failed: ${causeMessage(err)}`, { cause: err });
  if (err instanceof SyntaxError) return new LlmError('server', `the server's answer is not valid JSON: ${err.message}`, { cause: err });
  return err;
}

function serverMessage(err: InstanceType<typeof OpenAI.APIError>): string {
  const body = err.error as { message?: string } | undefined;
  return body?.message ?? err.message;
}

function causeMessage(err: unknown): string {
  const parts: string[] = [];
  let e: any = err;
  for (let i = 0; e && i < 4; i++, e = e.cause) if (e.message) parts.push(e.message);
  return parts.join(': ');
}

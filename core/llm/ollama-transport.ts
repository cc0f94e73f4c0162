// Ollama's native /api/chat through the `ollama` client: NDJSON streaming, `format` with a JSON
// schema, token counts in the final `done` object. The client takes a custom fetch but has no
// timeout or abort for non-streamed calls, so our fetch adds the request's signal, and keeps the
// last response so a Retry-After on a 503/429 is not lost.
import { Ollama } from 'ollama';
import { LlmError, codeForStatus, isNetworkFailure, parseRetryAfter } from './errors';
import type { CallContext, ChatAnswer, ChatCall, ChatTransport } from './transport';

export interface OllamaSettings {
  host: string;
  /** Sent as a Bearer token (Ollama behind an authenticating proxy, or ollama.com). */
  apiKey?: string;
}

export class OllamaTransport implements ChatTransport {
  constructor(private readonly settings: OllamaSettings) {}

  async chat(call: ChatCall, ctx: CallContext): Promise<ChatAnswer> {
    let lastResponse: Response | undefined;
    const client = new Ollama({
      host: this.settings.host,
      headers: this.settings.apiKey ? { Authorization: `Bearer ${this.settings.apiKey}` } : undefined,
      fetch: async (input: RequestInfo | URL, init?: RequestInit) => {
        const signal = init?.signal ? AbortSignal.any([init.signal, ctx.signal]) : ctx.signal;
        lastResponse = await fetch(input, { ...init, signal });
        // A failed status is read here: the client would print "Getting text from response" to
        // the console for every error page before throwing.
        if (!lastResponse.ok) throw await statusError(lastResponse);
        return lastResponse;
      },
    });
    const options: Record<string, number> = {};
    if (call.temperature !== undefined) options.temperature = call.temperature;
    if (call.maxTokens !== undefined) options.num_predict = call.maxTokens;
    if (call.seed !== undefined) options.seed = call.seed;
    const request = {
      model: call.model,
      messages: call.messages,
      ...(call.jsonSchema ? { format: call.jsonSchema as Record<string, unknown> } : {}),
      ...(Object.keys(options).length ? { options } : {}),
    };
    try {
      if (!call.stream) {
        const r = await client.chat({ ...request, stream: false });
        // A 200 without a message is not Ollama answering (a proxy's page, a wrong host): a failed call, not an empty answer.
        if (!r || typeof r.message !== 'object' || r.message === null) throw new LlmError('server', 'the server answered 200 without an Ollama chat message');
        return { text: r.message?.content ?? '', finishReason: r.done_reason || 'stop', usage: usageOf(r), model: r.model };
      }
      const parts = await client.chat({ ...request, stream: true });
      const onAbort = () => parts.abort();
      ctx.signal.addEventListener('abort', onAbort, { once: true });
      let text = '';
      try {
        for await (const part of parts) {
          const piece = part.message?.content;
          if (piece) {
            text += piece;
            ctx.onDelta?.(piece);
          }
          if (part.done) return { text, finishReason: part.done_reason || 'stop', usage: usageOf(part), model: part.model };
        }
      } finally {
        ctx.signal.removeEventListener('abort', onAbort);
      }
      throw new LlmError('network', 'the answer stream ended before Ollama said it was done');
    } catch (err) {
      throw toLlmError(err, ctx.signal, lastResponse);
    }
  }
}

/** The error of a non-2xx answer: Ollama's `{"error": …}` text, else the body, else the status line. */
async function statusError(response: Response): Promise<LlmError> {
  let reason = `Error ${response.status}: ${response.statusText}`;
  try {
    const body = (await response.text()).trim();
    if (body) {
      let said: unknown;
      try {
        said = (JSON.parse(body) as { error?: unknown })?.error;
      } catch {
        // not JSON: the body as it is
      }
      reason = typeof said === 'string' && said ? said : body.slice(0, 500);
    }
  } catch {
    // the body could not be read (connection dropped): the status line says enough
  }
  return new LlmError(codeForStatus(response.status), `Ollama answered ${response.status}: ${reason}`, {
    status: response.status,
    retryAfterMs: parseRetryAfter((n) => response.headers.get(n)),
  });
}

function usageOf(r: { prompt_eval_count?: number; eval_count?: number }): ChatAnswer['usage'] {
  // Ollama leaves prompt_eval_count out when the whole prompt came from its cache.
  if (r.eval_count === undefined && r.prompt_eval_count === undefined) return undefined;
  return { promptTokens: r.prompt_eval_count ?? 0, completionTokens: r.eval_count ?? 0 };
}

function toLlmError(err: unknown, signal: AbortSignal, response: Response | undefined): unknown {
  if (err instanceof LlmError) return err;
  if (signal.aborted) return signal.reason instanceof LlmError ? signal.reason : new LlmError('aborted', 'request stopped', { cause: err });
  const status = (err as { status_code?: unknown })?.status_code;
  if (typeof status === 'number') {
    const code = codeForStatus(status);
    const retryAfterMs = response ? parseRetryAfter((n) => response.headers.get(n)) : undefined;
    return new LlmError(code, `Ollama answered ${status}: ${(err as Error).message}`, { status, retryAfterMs, cause: err });
  }
  if (isNetworkFailure(err)) return new LlmError('network', `connection to Ollama failed: ${(err as Error).message}`, { cause: err });
  if (/did not receive done/i.test(String((err as Error)?.message))) {
    return new LlmError('network', 'the answer stream ended before Ollama said it was done', { cause: err });
  }
  if (err instanceof Error) {
    // An {"error": …} line inside the stream: the runner failed while answering.
    return new LlmError('server', `Ollama reported an error mid-answer: ${err.message}`, { cause: err });
  }
  return err;
}

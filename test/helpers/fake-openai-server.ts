// A stand-in for an OpenAI-compatible Chat Completions server (OpenAI, vLLM, llama.cpp, Ollama /v1),
// because no model can run here. It speaks the real wire format: JSON answers, SSE streams of
// `chat.completion.chunk` objects with `choices[].delta`, the usage chunk (`choices: []`) when
// `stream_options.include_usage` is set, `data: [DONE]`, and OpenAI's error bodies. It is strict
// where OpenAI is strict (unknown parameters, `stream_options` without `stream`, malformed
// `response_format`), so a client that passes here sends nothing a real server would reject.
//
// Every response carries `x-stand-in` so nobody mistakes it for a model. Failures are scripted per
// request (`server.script(...)`), in arrival order; with no script left, requests are answered by
// `server.responder`.
import http from 'node:http';
import { StandInHttpServer } from './stand-in-http-server';

export const STAND_IN_HEADER = 'x-stand-in';
const STAND_IN_VALUE = 'fake-openai-server (test stand-in, no model)';

export type OpenAiBehaviour =
  /** A normal answer; `content` overrides the responder; `omitUsage` leaves usage out, as some servers do. */
  | { kind: 'answer'; content?: string; finishReason?: 'stop' | 'length' | 'content_filter'; omitUsage?: boolean; delayMs?: number }
  /** 429 rate limit, with `retry-after` (seconds) and, like OpenAI, `retry-after-ms` when `retryAfterMs` is given. */
  | { kind: 'rate-limit'; retryAfterS?: number; retryAfterMs?: number }
  /** 429 with OpenAI's `insufficient_quota` body: retrying cannot help. */
  | { kind: 'quota' }
  /** Any HTTP error status with an OpenAI-shaped error body. */
  | { kind: 'status'; status: number; message?: string; type?: string; code?: string | null }
  /** Streams `afterChunks` content chunks (or, not streaming, sends headers and half a body), then resets the socket. */
  | { kind: 'reset'; afterChunks?: number }
  /** Accepts the request and never answers. */
  | { kind: 'hang' };

export interface ReceivedRequest {
  method: string;
  path: string;
  headers: http.IncomingHttpHeaders;
  body: any;
  behaviour: OpenAiBehaviour['kind'];
}

/** What the stand-in "model" says when no script overrides it; gets the parsed request body. */
export type Responder = (body: any) => string;

const KNOWN_PARAMS = new Set([
  'model', 'messages', 'stream', 'stream_options', 'temperature', 'top_p', 'n', 'stop', 'max_tokens',
  'max_completion_tokens', 'presence_penalty', 'frequency_penalty', 'logit_bias', 'logprobs', 'top_logprobs',
  'user', 'seed', 'response_format', 'tools', 'tool_choice', 'parallel_tool_calls', 'store', 'metadata',
  'service_tier', 'reasoning_effort', 'modalities', 'audio', 'prediction', 'verbosity', 'web_search_options',
  'prompt_cache_key', 'safety_identifier',
]);

/** Deterministic token count the stand-in reports (about four characters a token). */
export function standInTokens(text: string): number {
  return text.length === 0 ? 0 : Math.max(1, Math.ceil(text.length / 4));
}

function promptTokens(messages: any[]): number {
  let n = 0;
  for (const m of messages) n += 4 + standInTokens(typeof m.content === 'string' ? m.content : JSON.stringify(m.content ?? ''));
  return n + 2;
}

/** Splits an answer into stream pieces the way tokenisers roughly do: words with their trailing space. */
export function streamPieces(text: string): string[] {
  return text.match(/\S+\s*|\s+/g) ?? [];
}

export class FakeOpenAiServer extends StandInHttpServer<OpenAiBehaviour> {
  readonly requests: ReceivedRequest[] = [];
  /** Most requests seen in flight at once. */
  maxInFlight = 0;
  inFlight = 0;
  /** Milliseconds each answer is held before it is sent (lets concurrency build up). */
  answerDelayMs = 0;
  /** Milliseconds between stream chunks. */
  chunkDelayMs = 0;
  /** When set, requests must carry `Authorization: Bearer <apiKey>`. */
  apiKey: string | undefined;
  responder: Responder = () => 'OK';

  static async start(): Promise<FakeOpenAiServer> {
    const s = new FakeOpenAiServer();
    await s.listen('OpenAI-compatible server');
    return s;
  }

  /** Base URL to give a client, e.g. `http://127.0.0.1:PORT/v1`. */
  protected get address(): string {
    return this.baseURL;
  }

  get baseURL(): string {
    return `http://127.0.0.1:${this.port}/v1`;
  }




  protected async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    let counted = true;
    const release = () => {
      if (counted) {
        counted = false;
        this.inFlight--;
      }
    };
    res.on('close', release);
    res.setHeader(STAND_IN_HEADER, STAND_IN_VALUE);
    res.setHeader('x-request-id', `req_standin_${this.requests.length + 1}`);

    const raw = await readBody(req);
    const path = (req.url ?? '').split('?')[0];
    if (req.method === 'GET' && path === '/v1/models') {
      return sendJson(res, 200, { object: 'list', data: [{ id: 'stand-in-model', object: 'model', created: 0, owned_by: 'stand-in' }] });
    }
    if (req.method !== 'POST' || path !== '/v1/chat/completions') {
      return sendError(res, 404, `Unknown request URL: ${req.method} ${path}.`, 'invalid_request_error', 'unknown_url');
    }
    if (this.apiKey !== undefined && req.headers.authorization !== `Bearer ${this.apiKey}`) {
      return sendError(res, 401, 'Incorrect API key provided.', 'invalid_request_error', 'invalid_api_key');
    }
    let body: any;
    try {
      body = JSON.parse(raw);
    } catch {
      return sendError(res, 400, 'We could not parse the JSON body of your request.', 'invalid_request_error', null);
    }
    const invalid = validateRequest(body);
    const behaviour: OpenAiBehaviour = invalid ? { kind: 'status', status: 400 } : this.queue.shift() ?? { kind: 'answer' };
    this.requests.push({ method: req.method, path, headers: req.headers, body, behaviour: behaviour.kind });
    this.log.push(`${behaviour.kind} ${body?.stream ? 'stream' : 'json'} model=${body?.model}`);
    if (invalid) return sendError(res, 400, invalid, 'invalid_request_error', null);

    switch (behaviour.kind) {
      case 'rate-limit': {
        res.setHeader('retry-after', String(behaviour.retryAfterS ?? 1));
        if (behaviour.retryAfterMs !== undefined) res.setHeader('retry-after-ms', String(behaviour.retryAfterMs));
        res.setHeader('x-ratelimit-remaining-requests', '0');
        return sendError(res, 429, `Rate limit reached for ${body.model} on requests per min (RPM): Limit 3, Used 3, Requested 1. Please try again in ${behaviour.retryAfterS ?? 1}s.`, 'requests', 'rate_limit_exceeded');
      }
      case 'quota':
        return sendError(res, 429, 'You exceeded your current quota, please check your plan and billing details. For more information on this error, read the docs: https://platform.openai.com/docs/guides/error-codes/api-errors.', 'insufficient_quota', 'insufficient_quota');
      case 'status':
        return sendError(res, behaviour.status, behaviour.message ?? 'The server had an error while processing your request. Sorry about that!', behaviour.type ?? 'server_error', behaviour.code ?? null);
      case 'hang':
        return; // the socket stays open until the client gives up or the server closes
      case 'reset':
        if (body.stream) return this.stream(res, body, this.responder(body), 'stop', false, behaviour.afterChunks ?? 1);
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': '400' });
        res.write('{"id":"chatcmpl-standin","object":"chat.completion","choices":[{"index":0,');
        void resetAfterFlush(res);
        return;
      case 'answer': {
        const content = behaviour.content ?? this.responder(body);
        const finish = behaviour.finishReason ?? 'stop';
        const delay = behaviour.delayMs ?? this.answerDelayMs;
        if (delay > 0) await sleep(delay);
        if (body.stream) return this.stream(res, body, content, finish, behaviour.omitUsage ?? false);
        const usage = usageFor(body, content);
        return sendJson(res, 200, {
          id: `chatcmpl-standin${this.requests.length}`,
          object: 'chat.completion',
          created: Math.floor(Date.now() / 1000),
          model: body.model,
          choices: [{ index: 0, message: { role: 'assistant', content, refusal: null, annotations: [] }, logprobs: null, finish_reason: finish }],
          ...(behaviour.omitUsage ? {} : { usage }),
          service_tier: 'default',
          system_fingerprint: 'fp_standin',
        });
      }
    }
  }

  private async stream(res: http.ServerResponse, body: any, content: string, finish: string, omitUsage: boolean, resetAfter?: number): Promise<void> {
    res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', connection: 'keep-alive' });
    const id = `chatcmpl-standin${this.requests.length}`;
    const created = Math.floor(Date.now() / 1000);
    const includeUsage = body.stream_options?.include_usage === true && !omitUsage;
    const chunk = (choices: any[], usage?: any) => {
      const obj: any = { id, object: 'chat.completion.chunk', created, model: body.model, service_tier: 'default', system_fingerprint: 'fp_standin', choices };
      if (body.stream_options?.include_usage === true) obj.usage = usage ?? null;
      res.write(`data: ${JSON.stringify(obj)}\n\n`);
    };
    chunk([{ index: 0, delta: { role: 'assistant', content: '', refusal: null }, logprobs: null, finish_reason: null }]);
    let sent = 0;
    for (const piece of streamPieces(content)) {
      if (resetAfter !== undefined && sent >= resetAfter) return resetAfterFlush(res);
      if (this.chunkDelayMs > 0) await sleep(this.chunkDelayMs);
      if (res.destroyed) return;
      chunk([{ index: 0, delta: { content: piece }, logprobs: null, finish_reason: null }]);
      sent++;
    }
    if (resetAfter !== undefined) return resetAfterFlush(res);
    chunk([{ index: 0, delta: {}, logprobs: null, finish_reason: finish }]);
    if (includeUsage) chunk([], usageFor(body, content));
    res.end('data: [DONE]\n\n');
  }
}

function usageFor(body: any, content: string) {
  const prompt = promptTokens(body.messages);
  const completion = standInTokens(content);
  return {
    prompt_tokens: prompt,
    completion_tokens: completion,
    total_tokens: prompt + completion,
    prompt_tokens_details: { cached_tokens: 0, audio_tokens: 0 },
    completion_tokens_details: { reasoning_tokens: 0, audio_tokens: 0, accepted_prediction_tokens: 0, rejected_prediction_tokens: 0 },
  };
}

/** The checks OpenAI makes that a careless client trips over; returns the error message or undefined. */
function validateRequest(body: any): string | undefined {
  if (typeof body !== 'object' || body === null) return 'Invalid request body.';
  for (const key of Object.keys(body)) if (!KNOWN_PARAMS.has(key)) return `Unrecognized request argument supplied: ${key}`;
  if (typeof body.model !== 'string' || body.model === '') return "you must provide a model parameter";
  if (!Array.isArray(body.messages) || body.messages.length === 0) return "Invalid 'messages': empty array. Expected an array with minimum length 1.";
  for (const m of body.messages) {
    if (!['system', 'developer', 'user', 'assistant', 'tool'].includes(m?.role)) return `Invalid value: '${m?.role}'. Supported values are: 'system', 'assistant', 'user', 'tool', 'developer'.`;
  }
  if (body.stream_options !== undefined && body.stream !== true) return "The 'stream_options' parameter is only allowed when 'stream' is enabled.";
  const rf = body.response_format;
  if (rf !== undefined) {
    if (!['text', 'json_object', 'json_schema'].includes(rf?.type)) return `Invalid value: '${rf?.type}'. Supported values are: 'json_object', 'json_schema', and 'text'.`;
    if (rf.type === 'json_schema') {
      const js = rf.json_schema;
      if (typeof js !== 'object' || js === null) return "Missing required parameter: 'response_format.json_schema'.";
      if (typeof js.name !== 'string' || !/^[a-zA-Z0-9_-]{1,64}$/.test(js.name)) return "Invalid 'response_format.json_schema.name': string does not match pattern.";
      if (js.schema !== undefined && (typeof js.schema !== 'object' || js.schema === null)) return "Invalid type for 'response_format.json_schema.schema': expected an object.";
    }
  }
  if (body.temperature !== undefined && (typeof body.temperature !== 'number' || body.temperature < 0 || body.temperature > 2)) return "Invalid 'temperature': must be a number between 0 and 2.";
  if (body.seed !== undefined && !Number.isInteger(body.seed)) return "Invalid type for 'seed': expected an integer.";
  for (const k of ['max_tokens', 'max_completion_tokens']) {
    if (body[k] !== undefined && (!Number.isInteger(body[k]) || body[k] < 1)) return `Invalid '${k}': expected a positive integer.`;
  }
  return undefined;
}

function sendJson(res: http.ServerResponse, status: number, obj: unknown): void {
  const text = JSON.stringify(obj);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

function sendError(res: http.ServerResponse, status: number, message: string, type: string, code: string | null): void {
  sendJson(res, status, { error: { message, type, param: null, code } });
}

function readBody(req: http.IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    req.on('data', (b: Buffer) => parts.push(b));
    req.on('end', () => resolve(Buffer.concat(parts).toString('utf8')));
    req.on('error', reject);
  });
}

/** Lets what was written reach the client, then cuts the connection (a reset, not a clean end). */
async function resetAfterFlush(res: http.ServerResponse): Promise<void> {
  await sleep(20);
  res.socket?.resetAndDestroy();
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

// A stand-in for Ollama's native API (`POST /api/chat`), because no model can run here. It speaks
// Ollama's wire format: `stream` defaults to true as in Ollama, streamed answers are
// newline-delimited JSON objects with `message.content` pieces and `done: false`, closed by one
// object with `done: true`, `done_reason`, `prompt_eval_count`, `eval_count` and the durations in
// nanoseconds; errors are `{"error": "..."}` bodies (or such a line mid-stream); `format` takes
// "json" or a JSON schema; `options.num_predict` caps the answer (done_reason "length").
//
// Every response carries `x-stand-in`. Failures are scripted per request, in arrival order.
import http from 'node:http';
import { StandInHttpServer } from './stand-in-http-server';

export const STAND_IN_HEADER = 'x-stand-in';
const STAND_IN_VALUE = 'fake-ollama-server (test stand-in, no model)';

export type OllamaBehaviour =
  | { kind: 'answer'; content?: string; doneReason?: 'stop' | 'length'; delayMs?: number }
  /** An HTTP error with Ollama's `{"error": ...}` body, e.g. 404 model not found, 503 server busy. */
  | { kind: 'status'; status: number; message?: string; retryAfterS?: number; /** A plain-text body (a proxy's page) instead of Ollama's JSON. */ text?: string }
  /** Streams `afterChunks` pieces then resets the socket (not streaming: half a body, then reset). */
  | { kind: 'reset'; afterChunks?: number }
  /** Streams `afterChunks` pieces then an `{"error": ...}` line, as Ollama does when a runner dies. */
  | { kind: 'stream-error'; afterChunks?: number; message?: string }
  | { kind: 'hang' };

export interface ReceivedOllamaRequest {
  path: string;
  headers: http.IncomingHttpHeaders;
  body: any;
  behaviour: OllamaBehaviour['kind'];
}

export function standInTokens(text: string): number {
  return text.length === 0 ? 0 : Math.max(1, Math.ceil(text.length / 4));
}

function pieces(text: string): string[] {
  return text.match(/\S+\s*|\s+/g) ?? [];
}

const KNOWN_PARAMS = new Set(['model', 'messages', 'tools', 'format', 'options', 'stream', 'keep_alive', 'think', 'logprobs', 'top_logprobs']);

export class FakeOllamaServer extends StandInHttpServer<OllamaBehaviour> {
  readonly requests: ReceivedOllamaRequest[] = [];
  maxInFlight = 0;
  inFlight = 0;
  answerDelayMs = 0;
  chunkDelayMs = 0;
  /** Models this server "has"; others get Ollama's 404. */
  models = new Set(['llama3.2', 'llama3.2:latest', 'qwen2.5:7b']);
  responder: (body: any) => string = () => 'OK';

  static async start(): Promise<FakeOllamaServer> {
    const s = new FakeOllamaServer();
    await s.listen('Ollama server');
    return s;
  }

  /** Host to give a client, e.g. `http://127.0.0.1:PORT`. */
  protected get address(): string {
    return this.host;
  }

  get host(): string {
    return `http://127.0.0.1:${this.port}`;
  }




  protected async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    let counted = true;
    res.on('close', () => {
      if (counted) {
        counted = false;
        this.inFlight--;
      }
    });
    res.setHeader(STAND_IN_HEADER, STAND_IN_VALUE);
    const raw = await readBody(req);
    const path = (req.url ?? '').split('?')[0];
    if (req.method === 'GET' && path === '/api/version') return sendJson(res, 200, { version: '0.0.0-standin' });
    if (req.method === 'GET' && path === '/api/tags') {
      return sendJson(res, 200, { models: [...this.models].map((name) => ({ name, model: name, size: 0, digest: 'standin', details: {} })) });
    }
    if (req.method !== 'POST' || path !== '/api/chat') return sendJson(res, 404, { error: '404 page not found' });
    let body: any;
    try {
      body = JSON.parse(raw);
    } catch {
      return sendJson(res, 400, { error: 'invalid character in request body' });
    }
    const invalid = validate(body);
    const notFound = !invalid && !this.models.has(body.model);
    const behaviour: OllamaBehaviour = invalid || notFound ? { kind: 'status', status: 400 } : this.queue.shift() ?? { kind: 'answer' };
    this.requests.push({ path, headers: req.headers, body, behaviour: behaviour.kind });
    const stream = body.stream !== false; // Ollama streams unless told not to
    this.log.push(`${behaviour.kind} ${stream ? 'ndjson' : 'json'} model=${body?.model}`);
    if (invalid) return sendJson(res, 400, { error: invalid });
    if (notFound) return sendJson(res, 404, { error: `model '${body.model}' not found` });

    switch (behaviour.kind) {
      case 'status':
        if (behaviour.retryAfterS !== undefined) res.setHeader('retry-after', String(behaviour.retryAfterS));
        if (behaviour.text !== undefined) {
          res.writeHead(behaviour.status, { 'content-type': 'text/plain' });
          res.end(behaviour.text);
          return;
        }
        return sendJson(res, behaviour.status, { error: behaviour.message ?? (behaviour.status === 503 ? 'server busy, please try again.  maximum pending requests exceeded' : 'llama runner process has terminated: exit status 2') });
      case 'hang':
        return;
      case 'reset':
        if (stream) return this.stream(res, body, this.responder(body), 'stop', { resetAfter: behaviour.afterChunks ?? 1 });
        res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'content-length': '300' });
        res.write('{"model":"' + body.model + '","created_at":"');
        void resetAfterFlush(res);
        return;
      case 'stream-error':
        return this.stream(res, body, this.responder(body), 'stop', { errorAfter: behaviour.afterChunks ?? 1, errorMessage: behaviour.message ?? 'an error was encountered while running the model: unexpected EOF' });
      case 'answer': {
        let content = behaviour.content ?? this.responder(body);
        let doneReason: string = behaviour.doneReason ?? 'stop';
        const cap = body.options?.num_predict;
        if (Number.isInteger(cap) && cap > 0 && standInTokens(content) > cap) {
          content = content.slice(0, cap * 4);
          doneReason = 'length';
        }
        const delay = behaviour.delayMs ?? this.answerDelayMs;
        if (delay > 0) await sleep(delay);
        if (stream) return this.stream(res, body, content, doneReason, {});
        return sendJson(res, 200, {
          model: body.model,
          created_at: new Date().toISOString(),
          message: { role: 'assistant', content },
          done_reason: doneReason,
          done: true,
          ...finalCounts(body, content, delay),
        });
      }
    }
  }

  private async stream(
    res: http.ServerResponse,
    body: any,
    content: string,
    doneReason: string,
    opts: { resetAfter?: number; errorAfter?: number; errorMessage?: string },
  ): Promise<void> {
    res.writeHead(200, { 'content-type': 'application/x-ndjson', 'transfer-encoding': 'chunked' });
    const started = Date.now();
    let sent = 0;
    for (const piece of pieces(content)) {
      if (opts.resetAfter !== undefined && sent >= opts.resetAfter) return resetAfterFlush(res);
      if (opts.errorAfter !== undefined && sent >= opts.errorAfter) break;
      if (this.chunkDelayMs > 0) await sleep(this.chunkDelayMs);
      if (res.destroyed) return;
      res.write(JSON.stringify({ model: body.model, created_at: new Date().toISOString(), message: { role: 'assistant', content: piece }, done: false }) + '\n');
      sent++;
    }
    if (opts.resetAfter !== undefined) return resetAfterFlush(res);
    if (opts.errorAfter !== undefined) {
      res.end(JSON.stringify({ error: opts.errorMessage }) + '\n');
      return;
    }
    res.end(
      JSON.stringify({
        model: body.model,
        created_at: new Date().toISOString(),
        message: { role: 'assistant', content: '' },
        done_reason: doneReason,
        done: true,
        ...finalCounts(body, content, Date.now() - started),
      }) + '\n',
    );
  }
}

function finalCounts(body: any, content: string, elapsedMs: number) {
  let prompt = 0;
  for (const m of body.messages) prompt += 4 + standInTokens(String(m.content ?? ''));
  const ns = Math.max(1, elapsedMs) * 1e6;
  return {
    total_duration: ns + 2e6,
    load_duration: 1e6,
    prompt_eval_count: prompt,
    prompt_eval_duration: 1e6,
    eval_count: standInTokens(content),
    eval_duration: ns,
  };
}

function validate(body: any): string | undefined {
  if (typeof body !== 'object' || body === null) return 'invalid request';
  for (const key of Object.keys(body)) if (!KNOWN_PARAMS.has(key)) return `json: unknown field "${key}"`;
  if (typeof body.model !== 'string' || body.model === '') return 'model is required';
  if (!Array.isArray(body.messages)) return 'messages is required';
  for (const m of body.messages) if (!['system', 'user', 'assistant', 'tool'].includes(m?.role)) return `invalid role: ${m?.role}`;
  const f = body.format;
  if (f !== undefined && f !== '' && f !== 'json' && (typeof f !== 'object' || f === null)) return `invalid format: ${JSON.stringify(f)}`;
  if (body.options !== undefined && (typeof body.options !== 'object' || body.options === null)) return 'invalid options';
  return undefined;
}

function sendJson(res: http.ServerResponse, status: number, obj: unknown): void {
  const text = JSON.stringify(obj);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text) });
  res.end(text);
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

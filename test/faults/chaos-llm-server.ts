// An OpenAI-compatible Chat Completions endpoint that misbehaves on purpose, one way per request,
// chosen by a seeded random sequence (so a failing run can be replayed): it hangs, resets the
// connection before or during the answer, answers 429 (with and without Retry-After), 500, 502 with
// an HTML page, 200 with garbage, truncated JSON, JSON of the wrong shape, a broken SSE stream, or
// a correct answer (JSON, or SSE chunks ending in `data: [DONE]`). Requests to Ollama's native
// `/api/chat` get the same faults in Ollama's own format (NDJSON, `{"error": "..."}`). No model
// runs here: every response carries `x-stand-in`.
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export const FAULTS = [
  'answer',
  'hang',
  'reset-at-once',
  'reset-mid-body',
  'rate-limit',
  'rate-limit-no-retry-after',
  'server-error',
  'bad-gateway-html',
  'garbage',
  'truncated-json',
  'wrong-shape',
  'broken-stream',
  'slow-answer',
] as const;
export type Fault = (typeof FAULTS)[number];

/** mulberry32: small, seeded, good enough to pick faults. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The only answer the stand-in ever gives; an output with any other text let a fault through. */
export const ANSWER = JSON.stringify({ product: 'Laptop', quantity: 5 });

export class ChaosLlmServer {
  readonly served = new Map<Fault, number>();
  private readonly sockets = new Set<Socket>();
  private readonly random: () => number;
  private server!: http.Server;
  private port = 0;

  constructor(seed: number, private readonly slowMs: number) {
    this.random = rng(seed);
  }

  static async start(seed: number, slowMs: number): Promise<ChaosLlmServer> {
    const s = new ChaosLlmServer(seed, slowMs);
    s.server = http.createServer((req, res) => void s.handle(req, res));
    s.server.on('connection', (socket) => {
      s.sockets.add(socket);
      socket.on('close', () => s.sockets.delete(socket));
    });
    await new Promise<void>((resolve) => s.server.listen(0, '127.0.0.1', resolve));
    s.port = (s.server.address() as AddressInfo).port;
    return s;
  }

  get baseURL(): string {
    return `http://127.0.0.1:${this.port}/v1`;
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    let raw = '';
    for await (const chunk of req) raw += chunk;
    let body: any = {};
    try {
      body = JSON.parse(raw);
    } catch {
      /* answered below like any other request */
    }
    const fault = FAULTS[Math.floor(this.random() * FAULTS.length)];
    this.served.set(fault, (this.served.get(fault) ?? 0) + 1);
    res.setHeader('x-stand-in', 'chaos-llm-server (test stand-in, no model)');
    const content = ANSWER;
    if ((req.url ?? '').startsWith('/api/')) return this.ollama(fault, body, req, res);
    const completion = {
      id: 'chatcmpl-chaos',
      object: 'chat.completion',
      created: Math.floor(Date.now() / 1000),
      model: body.model ?? 'stand-in',
      choices: [{ index: 0, message: { role: 'assistant', content }, finish_reason: 'stop' }],
      usage: { prompt_tokens: 10, completion_tokens: 8, total_tokens: 18 },
    };
    const json = (status: number, obj: unknown, headers: Record<string, string> = {}) => {
      res.writeHead(status, { 'content-type': 'application/json', ...headers });
      res.end(JSON.stringify(obj));
    };
    const error = (status: number, message: string, type: string, headers: Record<string, string> = {}) =>
      json(status, { error: { message, type, param: null, code: null } }, headers);
    switch (fault) {
      case 'answer':
        if (body.stream) return this.stream(res, content, false);
        return json(200, completion);
      case 'hang':
        return; // never answers; the socket stays open until the client gives up
      case 'reset-at-once':
        req.socket.destroy();
        return;
      case 'reset-mid-body':
        res.writeHead(200, { 'content-type': body.stream ? 'text/event-stream' : 'application/json' });
        res.write(body.stream ? 'data: {"id":"x","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"content":"{\\"pro' : '{"id":"chatcmpl-chaos","choices":[{"ind');
        setTimeout(() => req.socket.destroy(), 20);
        return;
      case 'rate-limit':
        return error(429, 'Rate limit reached (stand-in)', 'requests', { 'retry-after': '1' });
      case 'rate-limit-no-retry-after':
        return error(429, 'Rate limit reached (stand-in)', 'requests');
      case 'server-error':
        return error(500, 'The server had an error while processing your request.', 'server_error');
      case 'bad-gateway-html':
        res.writeHead(502, { 'content-type': 'text/html' });
        res.end('<html><body><h1>502 Bad Gateway</h1></body></html>');
        return;
      case 'garbage':
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end('\u0000\u00ff not json at all }{');
        return;
      case 'truncated-json':
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify(completion).slice(0, 40));
        return;
      case 'wrong-shape':
        return json(200, { choices: 'none', usage: { prompt_tokens: 'many' } });
      case 'broken-stream':
        if (!body.stream) return json(200, { object: 'chat.completion', choices: [{ index: 0, message: null }] });
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        res.write('data: {"broken json\n\n');
        res.write('data: {"id":"x","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"content":42}}]}\n\n');
        res.end('data: [DONE]\n\n');
        return;
      case 'slow-answer':
        setTimeout(() => {
          if (!res.destroyed) json(200, completion);
        }, this.slowMs);
        return;
    }
  }

  /** The same faults, spoken as Ollama's native API. */
  private ollama(fault: Fault, body: any, req: http.IncomingMessage, res: http.ServerResponse): void {
    const done = { model: body.model ?? 'stand-in', created_at: new Date().toISOString(), message: { role: 'assistant', content: ANSWER }, done: true, done_reason: 'stop', prompt_eval_count: 10, eval_count: 8 };
    const json = (status: number, obj: unknown, headers: Record<string, string> = {}) => {
      res.writeHead(status, { 'content-type': 'application/json', ...headers });
      res.end(JSON.stringify(obj));
    };
    const stream = body.stream !== false;
    switch (fault) {
      case 'answer':
        if (!stream) return json(200, done);
        res.writeHead(200, { 'content-type': 'application/x-ndjson' });
        for (const piece of ANSWER.match(/.{1,8}/g) ?? []) res.write(JSON.stringify({ model: done.model, created_at: done.created_at, message: { role: 'assistant', content: piece }, done: false }) + '\n');
        res.end(JSON.stringify({ ...done, message: { role: 'assistant', content: '' } }) + '\n');
        return;
      case 'hang':
        return;
      case 'reset-at-once':
        req.socket.destroy();
        return;
      case 'reset-mid-body':
        res.writeHead(200, { 'content-type': stream ? 'application/x-ndjson' : 'application/json' });
        res.write('{"model":"stand-in","message":{"role":"assistant","content":"{\\"pro');
        setTimeout(() => req.socket.destroy(), 20);
        return;
      case 'rate-limit':
        return json(429, { error: 'server busy, please try again (stand-in)' }, { 'retry-after': '1' });
      case 'rate-limit-no-retry-after':
        return json(503, { error: 'server busy, please try again. maximum pending requests exceeded (stand-in)' });
      case 'server-error':
        return json(500, { error: 'llama runner process has terminated: signal: killed (stand-in)' });
      case 'bad-gateway-html':
        res.writeHead(502, { 'content-type': 'text/html' });
        res.end('<html><body><h1>502 Bad Gateway</h1></body></html>');
        return;
      case 'garbage':
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end('\u0000\u00ff not json at all }{');
        return;
      case 'truncated-json':
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify(done).slice(0, 40));
        return;
      case 'wrong-shape':
        return json(200, { model: 'stand-in', done: true, response: 42 });
      case 'broken-stream':
        res.writeHead(200, { 'content-type': 'application/x-ndjson' });
        res.write('{"broken json\n');
        res.end(JSON.stringify({ model: 'stand-in', message: { role: 'assistant', content: 'x' }, done: false }) + '\n');
        return;
      case 'slow-answer':
        setTimeout(() => {
          if (!res.destroyed) json(200, done);
        }, this.slowMs);
        return;
    }
  }

  private stream(res: http.ServerResponse, content: string, _usage: boolean): void {
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    const chunk = (delta: object, finish: string | null) =>
      `data: ${JSON.stringify({ id: 'chatcmpl-chaos', object: 'chat.completion.chunk', created: 0, model: 'stand-in', choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`;
    res.write(chunk({ role: 'assistant', content: '' }, null));
    for (const piece of content.match(/.{1,8}/g) ?? []) res.write(chunk({ content: piece }, null));
    res.write(chunk({}, 'stop'));
    res.end('data: [DONE]\n\n');
  }
}

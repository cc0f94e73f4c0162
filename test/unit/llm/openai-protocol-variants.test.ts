// Acceptance 5: the OpenAI-compatible kind relies only on what the protocol requires. These
// servers send the bare minimum, framed the ways real servers differ (CRLF, SSE comments,
// events split across packets, no ids, no usage), and the engine must not notice.
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { LlmEngine } from '../../../core/llm';

async function serve(handler: (body: any, res: http.ServerResponse) => void | Promise<void>): Promise<{ url: string; close: () => Promise<void> }> {
  const server = http.createServer((req, res) => {
    let raw = '';
    req.on('data', (b) => (raw += b));
    req.on('end', () => void handler(JSON.parse(raw), res));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/v1`, close: () => new Promise((r) => server.close(() => r())) };
}

const tick = () => new Promise((r) => setTimeout(r, 2));

describe('llm/engine: OpenAI-compatible kind against other servers\' framing', () => {
  it('reads a non-streamed answer that has only choices, message and finish_reason', async () => {
    const s = await serve((_b, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ choices: [{ message: { role: 'assistant', content: 'bare' }, finish_reason: 'stop' }] }));
    });
    try {
      const r = await new LlmEngine({ kind: 'openai', baseURL: s.url, defaultModel: 'local' }).complete({ prompt: 'hi' });
      assert.deepEqual([r.outputText, r.meta.model, r.meta.usage.estimated], ['bare', 'local', true]);
    } finally {
      await s.close();
    }
  });

  it('reads an SSE stream with CRLF lines, comments, split events and no usage chunk', async () => {
    const s = await serve(async (_b, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write(': keep-alive\r\n\r\n');
      const event = (o: unknown) => `data: ${JSON.stringify(o)}\r\n\r\n`;
      const first = event({ choices: [{ delta: { content: 'Match ' } }] });
      res.write(first.slice(0, 10));
      await tick();
      res.write(first.slice(10));
      res.write(event({ choices: [{ delta: { content: 'confirmed' }, finish_reason: null }] }));
      res.write(event({ choices: [{ delta: {}, finish_reason: 'stop' }] }));
      res.end('data: [DONE]\r\n\r\n');
    });
    try {
      const parts: string[] = [];
      const r = await new LlmEngine({ kind: 'openai', baseURL: s.url, defaultModel: 'local' }).complete({ prompt: 'hi', onPartial: (p) => parts.push(p.delta) });
      assert.deepEqual(parts, ['Match ', 'confirmed']);
      assert.equal(r.outputText, 'Match confirmed');
      assert.equal(r.meta.usage.estimated, true);
    } finally {
      await s.close();
    }
  });

  it('takes usage from the last chunk when a server puts it beside finish_reason (vLLM-style continuous usage)', async () => {
    const s = await serve((_b, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write(`data: ${JSON.stringify({ choices: [{ index: 0, delta: { content: 'ok' }, finish_reason: 'stop' }], usage: { prompt_tokens: 11, completion_tokens: 1, total_tokens: 12 } })}\n\n`);
      res.end('data: [DONE]\n\n');
    });
    try {
      const r = await new LlmEngine({ kind: 'openai', baseURL: s.url, defaultModel: 'local' }).complete({ prompt: 'hi', stream: true });
      assert.deepEqual(r.meta.usage, { promptTokens: 11, completionTokens: 1, totalTokens: 12 });
    } finally {
      await s.close();
    }
  });
});

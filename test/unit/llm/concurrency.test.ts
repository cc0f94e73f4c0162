// Acceptance 3: 200 requests at a limit of 8 never exceed 8 in flight, and all complete.
import assert from 'node:assert/strict';
import { LlmEngine } from '../../../core/llm';
import { FakeOllamaServer } from '../../helpers/fake-ollama-server';
import { FakeOpenAiServer } from '../../helpers/fake-openai-server';

describe('llm/engine: concurrency limit', () => {
  it('keeps 200 OpenAI-compatible requests to 8 in flight, and all 200 complete', async () => {
    const server = await FakeOpenAiServer.start();
    server.answerDelayMs = 3;
    server.responder = (body) => `answer to ${body.messages.at(-1).content}`;
    try {
      const engine = new LlmEngine({ kind: 'openai', baseURL: server.baseURL, defaultModel: 'm', maxConcurrent: 8 });
      let maxQueued = 0;
      engine.onLimiterChange((s) => (maxQueued = Math.max(maxQueued, s.queued)));
      const results = await Promise.all(Array.from({ length: 200 }, (_, i) => engine.complete({ prompt: `q${i}`, stream: i % 2 === 0 })));
      assert.equal(results.length, 200);
      assert.ok(results.every((r, i) => r.outputText === `answer to q${i}`));
      assert.equal(server.requests.length, 200);
      assert.equal(server.maxInFlight, 8);
      assert.equal(engine.limiter.peak, 8);
      assert.equal(maxQueued, 192);
    } finally {
      await server.close();
    }
  });

  it('keeps 200 Ollama requests to 8 in flight, and all 200 complete', async () => {
    const server = await FakeOllamaServer.start();
    server.answerDelayMs = 3;
    try {
      const engine = new LlmEngine({ kind: 'ollama', baseURL: server.host, defaultModel: 'llama3.2', maxConcurrent: 8 });
      const results = await Promise.all(Array.from({ length: 200 }, (_, i) => engine.complete({ prompt: `q${i}`, stream: i % 2 === 1 })));
      assert.equal(results.filter((r) => r.outputText === 'OK').length, 200);
      assert.equal(server.maxInFlight, 8);
    } finally {
      await server.close();
    }
  });

  it('shares one limit among retries: a retrying request keeps its slot', async () => {
    const server = await FakeOpenAiServer.start();
    server.answerDelayMs = 2;
    server.script(...Array(6).fill({ kind: 'status', status: 500 }));
    try {
      const engine = new LlmEngine({ kind: 'openai', baseURL: server.baseURL, defaultModel: 'm', maxConcurrent: 2, retry: { baseDelayMs: 2, maxDelayMs: 5 } });
      await Promise.all(Array.from({ length: 20 }, (_, i) => engine.complete({ prompt: `q${i}` })));
      assert.equal(server.maxInFlight, 2);
      assert.equal(server.requests.length, 26);
    } finally {
      await server.close();
    }
  });
});

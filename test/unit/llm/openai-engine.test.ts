// The OpenAI-compatible kind against a stand-in that speaks the Chat Completions wire format.
import assert from 'node:assert/strict';
import { LlmEngine, LlmError, type PartialAnswer, type ProviderSettings } from '../../../core/llm';
import type { RetryInfo } from '../../../core/llm/retry';
import { FakeOpenAiServer, standInTokens } from '../../helpers/fake-openai-server';

const fastRetry = { maxRetries: 3, baseDelayMs: 5, maxDelayMs: 20, maxRetryAfterMs: 5000 };
const orderSchema = {
  type: 'object',
  properties: { product: { type: 'string' }, quantity: { type: 'integer' }, shipping: { type: 'string' } },
  required: ['product', 'quantity', 'shipping'],
};
const ORDER = '{"product":"Laptop","quantity":5,"shipping":"Free"}';

describe('llm/engine: OpenAI-compatible kind', () => {
  let server: FakeOpenAiServer;
  const engine = (extra: Partial<ProviderSettings> = {}) =>
    new LlmEngine({ kind: 'openai', baseURL: server.baseURL, apiKey: 'sk-test', defaultModel: 'gpt-4o-mini', timeoutMs: 2000, retry: fastRetry, ...extra });

  beforeEach(async () => {
    server = await FakeOpenAiServer.start();
  });
  afterEach(async () => {
    await server.close();
  });

  describe('answers', () => {
    it('returns the answer text as outputText and payload', async () => {
      server.responder = () => 'Product: Laptop';
      const r = await engine().complete({ prompt: 'hi' });
      assert.deepEqual([r.outputText, r.payload], ['Product: Laptop', 'Product: Laptop']);
    });

    it('sends the system prompt, the input text and the per-request settings', async () => {
      await engine().complete({ prompt: 'Check this order', system: 'You verify orders.', model: 'gpt-4.1', temperature: 0.2, maxTokens: 64, seed: 7 });
      const body = server.requests[0].body;
      assert.deepEqual(
        { model: body.model, messages: body.messages, temperature: body.temperature, max_tokens: body.max_tokens, seed: body.seed },
        { model: 'gpt-4.1', messages: [{ role: 'system', content: 'You verify orders.' }, { role: 'user', content: 'Check this order' }], temperature: 0.2, max_tokens: 64, seed: 7 },
      );
    });

    it('sends the API key as a Bearer token', async () => {
      server.apiKey = 'sk-test';
      await engine().complete({ prompt: 'hi' });
      assert.equal(server.requests[0].headers.authorization, 'Bearer sk-test');
    });

    it('reports the usage the server sent, not an estimate', async () => {
      server.responder = () => 'one two three four five';
      const r = await engine().complete({ prompt: 'count' });
      const completion = standInTokens('one two three four five');
      assert.equal(r.meta.usage.completionTokens, completion);
      assert.equal(r.meta.usage.totalTokens, r.meta.usage.promptTokens + completion);
      assert.equal(r.meta.usage.estimated, undefined);
    });

    it('estimates usage, and says so, when the server sends none', async () => {
      server.script({ kind: 'answer', content: 'abcdefgh', omitUsage: true });
      const r = await engine().complete({ prompt: 'x' });
      assert.deepEqual(r.meta.usage, { promptTokens: 1, completionTokens: 2, totalTokens: 3, estimated: true });
    });

    it('fills msg.llm meta: provider, model, finish reason, attempts', async () => {
      const r = await engine().complete({ prompt: 'hi' });
      assert.deepEqual(
        { provider: r.meta.provider, model: r.meta.model, finishReason: r.meta.finishReason, attempts: r.meta.attempts },
        { provider: 'openai-compatible', model: 'gpt-4o-mini', finishReason: 'stop', attempts: 1 },
      );
      assert.ok(r.meta.latencyMs >= r.meta.ttftMs && r.meta.ttftMs >= 0);
    });

    it('prices the call when costs per 1k tokens are set', async () => {
      server.responder = () => 'x'.repeat(400); // 100 completion tokens
      const r = await engine({ prices: { promptPer1k: 1, completionPer1k: 10 } }).complete({ prompt: 'p' });
      assert.equal(r.meta.costUsd, Math.round(((r.meta.usage.promptTokens / 1000) * 1 + (100 / 1000) * 10) * 1e6) / 1e6);
    });

    it('leaves costUsd out when no price is set', async () => {
      const r = await engine().complete({ prompt: 'p' });
      assert.equal('costUsd' in r.meta, false);
    });

    it('fails with a config error when there is no model anywhere', async () => {
      const err = await engine({ defaultModel: undefined }).complete({ prompt: 'p' }).catch((e) => e);
      assert.equal(err.code, 'config');
    });
  });

  describe('streaming (SSE)', () => {
    it('delivers the growing text as partials and the whole text at the end', async () => {
      server.responder = () => 'Match confirmed for Laptop';
      const parts: PartialAnswer[] = [];
      const r = await engine().complete({ prompt: 'hi', onPartial: (p) => parts.push(p) });
      assert.deepEqual(parts.map((p) => p.delta), ['Match ', 'confirmed ', 'for ', 'Laptop']);
      assert.equal(parts.at(-1)!.text, 'Match confirmed for Laptop');
      assert.equal(r.outputText, 'Match confirmed for Laptop');
    });

    it('asks for the usage chunk and reports its numbers', async () => {
      server.responder = () => 'a b c';
      const r = await engine().complete({ prompt: 'hi', stream: true });
      assert.deepEqual(server.requests[0].body.stream_options, { include_usage: true });
      assert.equal(r.meta.usage.completionTokens, standInTokens('a b c'));
      assert.equal(r.meta.usage.estimated, undefined);
    });

    it('estimates usage when the stream carries no usage chunk', async () => {
      server.script({ kind: 'answer', content: 'abcd', omitUsage: true });
      const r = await engine().complete({ prompt: 'x', stream: true });
      assert.equal(r.meta.usage.estimated, true);
    });

    it('measures time to first token no later than the whole answer', async () => {
      server.chunkDelayMs = 5;
      server.responder = () => 'one two three four';
      const r = await engine().complete({ prompt: 'hi', stream: true });
      assert.ok(r.meta.ttftMs <= r.meta.latencyMs);
    });

    it('does not send stream_options on a request that does not stream (OpenAI rejects it)', async () => {
      await engine().complete({ prompt: 'hi' });
      assert.equal('stream_options' in server.requests[0].body, false);
    });
  });

  describe('JSON answers', () => {
    it('asks for structured output with response_format json_schema', async () => {
      server.responder = () => ORDER;
      await engine().complete({ prompt: 'hi', schema: orderSchema });
      assert.deepEqual(server.requests[0].body.response_format, { type: 'json_schema', json_schema: { name: 'answer', schema: orderSchema } });
    });

    it('returns the parsed object as payload and the text as outputText', async () => {
      server.responder = () => 'Here you go:\n```json\n' + ORDER + '\n```';
      const r = await engine().complete({ prompt: 'hi', schema: orderSchema });
      assert.deepEqual(r.payload, { product: 'Laptop', quantity: 5, shipping: 'Free' });
      assert.match(r.outputText, /^Here you go/);
    });

    it('asks with json_object and a schema instruction in json_object mode', async () => {
      server.responder = () => ORDER;
      await engine({ structuredOutput: 'json_object' }).complete({ prompt: 'hi', schema: orderSchema });
      const body = server.requests[0].body;
      assert.deepEqual(body.response_format, { type: 'json_object' });
      assert.match(body.messages.at(-1).content, /JSON schema/);
    });

    it('re-asks once with the validation errors and returns the corrected answer', async () => {
      server.script({ kind: 'answer', content: '{"product":"Laptop"}' }, { kind: 'answer', content: ORDER });
      const r = await engine().complete({ prompt: 'hi', schema: orderSchema, reAsk: true });
      assert.deepEqual(r.payload, { product: 'Laptop', quantity: 5, shipping: 'Free' });
      assert.equal(r.meta.reAsked, true);
      assert.equal(r.meta.attempts, 2);
      const reAsk = server.requests[1].body.messages;
      assert.deepEqual(reAsk.at(-2), { role: 'assistant', content: '{"product":"Laptop"}' });
      assert.match(reAsk.at(-1).content, /missing the required property "quantity"/);
    });

    it('sums the usage of the first answer and the re-ask', async () => {
      server.script({ kind: 'answer', content: 'not json' }, { kind: 'answer', content: ORDER });
      const r = await engine().complete({ prompt: 'hi', schema: orderSchema, reAsk: true });
      assert.equal(r.meta.usage.completionTokens, standInTokens('not json') + standInTokens(ORDER));
    });

    it('fails with invalid_json after the re-ask also gives no JSON', async () => {
      server.responder = () => 'I think the order is fine.';
      const err = await engine().complete({ prompt: 'hi', schema: orderSchema, reAsk: true }).catch((e) => e);
      assert.equal(err.code, 'invalid_json');
      assert.equal(err.outputText, 'I think the order is fine.');
      assert.equal(server.requests.length, 2);
    });

    it('fails with schema when the JSON does not match and re-ask is off', async () => {
      server.responder = () => '{"product":"Laptop","quantity":"five","shipping":"Free"}';
      const err = await engine().complete({ prompt: 'hi', schema: orderSchema }).catch((e) => e);
      assert.equal(err.code, 'schema');
      assert.match(err.message, /quantity must be integer/);
      assert.equal(server.requests.length, 1);
    });

    it('treats finish_reason length on a JSON answer as a failure, without parsing or re-asking', async () => {
      server.script({ kind: 'answer', content: '{"product":"Laptop","quantity":5,"shipping":"Free"}', finishReason: 'length' });
      const err = await engine().complete({ prompt: 'hi', schema: orderSchema, reAsk: true }).catch((e) => e);
      assert.equal(err.code, 'length');
      assert.equal(server.requests.length, 1);
    });

    it('returns a text answer cut at the token limit with finishReason length', async () => {
      server.script({ kind: 'answer', content: 'The order is', finishReason: 'length' });
      const r = await engine().complete({ prompt: 'hi' });
      assert.deepEqual([r.outputText, r.meta.finishReason], ['The order is', 'length']);
    });

    it('refuses an invalid JSON schema before calling the server', async () => {
      const err = await engine().complete({ prompt: 'hi', schema: { type: 'nonsense' } }).catch((e) => e);
      assert.equal(err.code, 'config');
      assert.equal(server.requests.length, 0);
    });
  });

  describe('failures', () => {
    it('waits the Retry-After of a 429, then succeeds', async () => {
      server.script({ kind: 'rate-limit', retryAfterS: 1 });
      const retries: RetryInfo[] = [];
      const r = await engine().complete({ prompt: 'hi', onRetry: (i) => retries.push(i) });
      assert.equal(r.outputText, 'OK');
      assert.deepEqual(retries.map((i) => [i.error.code, i.delayMs]), [['rate_limited', 1000]]);
      assert.equal(r.meta.attempts, 2);
    });

    it('fails at once when Retry-After is longer than the policy will wait', async () => {
      server.script({ kind: 'rate-limit', retryAfterS: 3600 });
      const err = await engine().complete({ prompt: 'hi' }).catch((e) => e);
      assert.equal(err.code, 'rate_limited');
      assert.equal(server.requests.length, 1);
    });

    it('retries 500 twice, then returns the 200 answer', async () => {
      server.script({ kind: 'status', status: 500 }, { kind: 'status', status: 500 });
      const r = await engine().complete({ prompt: 'hi' });
      assert.equal(r.outputText, 'OK');
      assert.equal(r.meta.attempts, 3);
    });

    it('gives up on 5xx after maxRetries with the server error', async () => {
      server.script(...Array(3).fill({ kind: 'status', status: 502 }));
      const err = await engine({ retry: { ...fastRetry, maxRetries: 2 } }).complete({ prompt: 'hi' }).catch((e) => e);
      assert.equal(err.code, 'server');
      assert.equal(err.attempts, 3);
    });

    it('never retries insufficient_quota and says why', async () => {
      server.script({ kind: 'quota' });
      const err = await engine().complete({ prompt: 'hi' }).catch((e) => e);
      assert.ok(err instanceof LlmError);
      assert.equal(err.code, 'quota');
      assert.match(err.message, /insufficient_quota/);
      assert.equal(server.requests.length, 1);
    });

    it('does not retry a 400 (the request itself is wrong)', async () => {
      server.script({ kind: 'status', status: 400, type: 'invalid_request_error', message: "The model 'x' does not exist" });
      const err = await engine().complete({ prompt: 'hi' }).catch((e) => e);
      assert.equal(err.code, 'bad_request');
      assert.equal(server.requests.length, 1);
    });

    it('reports a wrong API key as auth, without retrying', async () => {
      server.apiKey = 'sk-right';
      const err = await engine({ apiKey: 'sk-wrong' }).complete({ prompt: 'hi' }).catch((e) => e);
      assert.equal(err.code, 'auth');
    });

    it('retries a connection reset mid-stream and restarts the partials from empty', async () => {
      server.responder = () => 'alpha beta gamma';
      server.script({ kind: 'reset', afterChunks: 2 });
      const parts: PartialAnswer[] = [];
      const r = await engine().complete({ prompt: 'hi', onPartial: (p) => parts.push(p) });
      assert.equal(r.outputText, 'alpha beta gamma');
      assert.deepEqual(parts.map((p) => [p.attempt, p.text]), [[1, 'alpha '], [1, 'alpha beta '], [2, 'alpha '], [2, 'alpha beta '], [2, 'alpha beta gamma']]);
    });

    it('retries a connection reset in a non-streamed answer', async () => {
      server.script({ kind: 'reset' });
      const r = await engine().complete({ prompt: 'hi' });
      assert.deepEqual([r.outputText, r.meta.attempts], ['OK', 2]);
    });

    it('ends a request the server never answers with a timeout error', async () => {
      server.script({ kind: 'hang' });
      const err = await engine({ timeoutMs: 150, retry: { ...fastRetry, maxRetries: 0 } }).complete({ prompt: 'hi' }).catch((e) => e);
      assert.equal(err.code, 'timeout');
    });

    it('retries after a timeout', async () => {
      server.script({ kind: 'hang' });
      const r = await engine({ timeoutMs: 150 }).complete({ prompt: 'hi' });
      assert.deepEqual([r.outputText, r.meta.attempts], ['OK', 2]);
    });

    it('times out a stream that stalls after it started', async () => {
      server.chunkDelayMs = 400;
      server.responder = () => 'slow slow slow';
      const err = await engine({ timeoutMs: 200, retry: { ...fastRetry, maxRetries: 0 } }).complete({ prompt: 'hi', stream: true }).catch((e) => e);
      assert.equal(err.code, 'timeout');
    });

    it('reports a refused connection as a network error after its retries', async () => {
      const url = server.baseURL;
      await server.close();
      const err = await new LlmEngine({ kind: 'openai', baseURL: url, defaultModel: 'm', retry: { ...fastRetry, maxRetries: 1 } }).complete({ prompt: 'hi' }).catch((e) => e);
      server = await FakeOpenAiServer.start(); // for afterEach
      assert.equal(err.code, 'network');
      assert.equal(err.attempts, 2);
    });

    it('stops a request when its signal aborts', async () => {
      server.script({ kind: 'hang' });
      const ac = new AbortController();
      const p = engine().complete({ prompt: 'hi', signal: ac.signal });
      setTimeout(() => ac.abort(), 30);
      const err = await p.catch((e) => e);
      assert.equal(err.code, 'aborted');
    });

    it('stops queued and running requests when the engine closes', async () => {
      server.script({ kind: 'hang' }, { kind: 'hang' });
      const e = engine({ maxConcurrent: 1 });
      const running = e.complete({ prompt: 'a' }).catch((x) => x);
      const queued = e.complete({ prompt: 'b' }).catch((x) => x);
      setTimeout(() => e.close(), 30);
      const codes = (await Promise.all([running, queued])).map((x) => x.code);
      assert.deepEqual(codes, ['aborted', 'aborted']);
    });
  });
});

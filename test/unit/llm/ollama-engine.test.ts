// The Ollama kind against a stand-in that speaks Ollama's native /api/chat (NDJSON).
import assert from 'node:assert/strict';
import { LlmEngine, type PartialAnswer, type ProviderSettings } from '../../../core/llm';
import type { RetryInfo } from '../../../core/llm/retry';
import { FakeOllamaServer, standInTokens } from '../../helpers/fake-ollama-server';

const fastRetry = { maxRetries: 3, baseDelayMs: 5, maxDelayMs: 20, maxRetryAfterMs: 5000 };
const schema = { type: 'object', properties: { quantity: { type: 'integer' } }, required: ['quantity'] };

describe('llm/engine: Ollama kind', () => {
  let server: FakeOllamaServer;
  const engine = (extra: Partial<ProviderSettings> = {}) =>
    new LlmEngine({ kind: 'ollama', baseURL: server.host, defaultModel: 'llama3.2', timeoutMs: 2000, retry: fastRetry, ...extra });

  beforeEach(async () => {
    server = await FakeOllamaServer.start();
  });
  afterEach(async () => {
    await server.close();
  });

  it('returns the answer and the token counts of the final done object', async () => {
    server.responder = () => 'Shipping: Free';
    const r = await engine().complete({ prompt: 'hi' });
    assert.equal(r.outputText, 'Shipping: Free');
    assert.equal(r.meta.usage.completionTokens, standInTokens('Shipping: Free'));
    assert.equal(r.meta.usage.estimated, undefined);
    assert.deepEqual([r.meta.provider, r.meta.model, r.meta.finishReason], ['ollama', 'llama3.2', 'stop']);
  });

  it('sends temperature, max tokens and seed as Ollama options and stream:false when not streaming', async () => {
    await engine().complete({ prompt: 'hi', temperature: 0.1, maxTokens: 50, seed: 3 });
    const body = server.requests[0].body;
    assert.deepEqual(body.options, { temperature: 0.1, num_predict: 50, seed: 3 });
    assert.equal(body.stream, false);
  });

  it('streams NDJSON parts as partials and reports usage from the done object', async () => {
    server.responder = () => 'Laptop x 5';
    const parts: PartialAnswer[] = [];
    const r = await engine().complete({ prompt: 'hi', onPartial: (p) => parts.push(p) });
    assert.deepEqual(parts.map((p) => p.delta), ['Laptop ', 'x ', '5']);
    assert.equal(r.outputText, 'Laptop x 5');
    assert.equal(r.meta.usage.completionTokens, standInTokens('Laptop x 5'));
    assert.ok(r.meta.ttftMs <= r.meta.latencyMs);
  });

  it('sends the JSON schema as format and returns the parsed object', async () => {
    server.responder = () => '{"quantity": 5}';
    const r = await engine().complete({ prompt: 'hi', schema });
    assert.deepEqual(server.requests[0].body.format, schema);
    assert.deepEqual(r.payload, { quantity: 5 });
  });

  it('treats done_reason length on a JSON answer as a failure', async () => {
    server.responder = () => '{"quantity": 5, "note": "a long note that goes on"}';
    const err = await engine().complete({ prompt: 'hi', schema, maxTokens: 3, reAsk: true }).catch((e) => e);
    assert.equal(err.code, 'length');
    assert.equal(server.requests.length, 1);
  });

  it('re-asks once on an invalid JSON answer, then fails with invalid_json', async () => {
    server.responder = () => 'five';
    const err = await engine().complete({ prompt: 'hi', schema, reAsk: true }).catch((e) => e);
    assert.equal(err.code, 'invalid_json');
    assert.equal(server.requests.length, 2);
  });

  it('reports an unknown model as bad_request with Ollama\'s message, without retrying', async () => {
    const err = await engine({ defaultModel: 'no-such-model' }).complete({ prompt: 'hi' }).catch((e) => e);
    assert.equal(err.code, 'bad_request');
    assert.match(err.message, /model 'no-such-model' not found/);
    assert.equal(server.requests.length, 1);
  });

  it('reports a proxy\'s plain-text error page with its text, and prints nothing to the console', async () => {
    server.script({ kind: 'status', status: 401, text: 'proxy: sign in first' });
    const log = console.log;
    const printed: unknown[] = [];
    console.log = (...a: unknown[]) => void printed.push(a);
    const err = await engine().complete({ prompt: 'hi' }).catch((e) => e).finally(() => (console.log = log));
    assert.equal(err.code, 'auth');
    assert.match(err.message, /Ollama answered 401: proxy: sign in first/);
    assert.deepEqual(printed, []);
  });

  it('waits the Retry-After of a 503 "server busy", then succeeds', async () => {
    server.script({ kind: 'status', status: 503, retryAfterS: 1 });
    const retries: RetryInfo[] = [];
    const r = await engine().complete({ prompt: 'hi', onRetry: (i) => retries.push(i) });
    assert.equal(r.outputText, 'OK');
    assert.deepEqual(retries.map((i) => [i.error.code, i.delayMs]), [['rate_limited', 1000]]);
  });

  it('retries 500 twice, then returns the answer', async () => {
    server.script({ kind: 'status', status: 500 }, { kind: 'status', status: 500 });
    const r = await engine().complete({ prompt: 'hi' });
    assert.deepEqual([r.outputText, r.meta.attempts], ['OK', 3]);
  });

  it('retries a connection reset mid-stream and restarts the partials', async () => {
    server.responder = () => 'one two three';
    server.script({ kind: 'reset', afterChunks: 1 });
    const parts: PartialAnswer[] = [];
    const r = await engine().complete({ prompt: 'hi', stream: true, onPartial: (p) => parts.push(p) });
    assert.equal(r.outputText, 'one two three');
    assert.deepEqual(parts.map((p) => [p.attempt, p.text]), [[1, 'one '], [2, 'one '], [2, 'one two '], [2, 'one two three']]);
  });

  it('retries when the stream carries an error line', async () => {
    server.script({ kind: 'stream-error', afterChunks: 1 });
    const r = await engine().complete({ prompt: 'hi', stream: true });
    assert.deepEqual([r.outputText, r.meta.attempts], ['OK', 2]);
  });

  it('ends a non-streamed request that never gets an answer with a timeout', async () => {
    server.script({ kind: 'hang' });
    const err = await engine({ timeoutMs: 150, retry: { ...fastRetry, maxRetries: 0 } }).complete({ prompt: 'hi' }).catch((e) => e);
    assert.equal(err.code, 'timeout');
  });

  it('ends a streamed request that never gets an answer with a timeout', async () => {
    server.script({ kind: 'hang' });
    const err = await engine({ timeoutMs: 150, retry: { ...fastRetry, maxRetries: 0 } }).complete({ prompt: 'hi', stream: true }).catch((e) => e);
    assert.equal(err.code, 'timeout');
  });
});

// The LLM Engine node and its provider config node inside Node-RED (test helper), against the
// OpenAI-compatible and Ollama stand-ins.
import assert from 'node:assert/strict';
import { helper, nodeModule } from '../helpers/helper';
import { FakeOllamaServer } from '../helpers/fake-ollama-server';
import { FakeOpenAiServer } from '../helpers/fake-openai-server';

const engineNode = nodeModule('llm-engine/llm-engine.js');
const providerNode = nodeModule('llm-provider/llm-provider.js');
const ORDER = { product: 'Laptop', quantity: 5, shipping: 'Free' };
const ORDER_SCHEMA = JSON.stringify({ type: 'object', properties: { product: { type: 'string' }, quantity: { type: 'integer' }, shipping: { type: 'string' } }, required: ['product', 'quantity', 'shipping'] });

type AnyNode = any;

function flow(engine: Record<string, unknown> = {}, provider?: Record<string, unknown>) {
  const nodes: any[] = [
    { id: 'e1', type: 'llmops-llm-engine', name: 'engine', wires: [['out'], ['parts']], ...(provider ? { provider: 'p1' } : {}), ...engine },
    { id: 'out', type: 'helper' },
    { id: 'parts', type: 'helper' },
  ];
  if (provider) nodes.push({ id: 'p1', type: 'llmops-llm-provider', timeout: 2, maxConcurrent: 4, maxRetries: 3, retryDelay: 5, maxRetryAfter: 10, ...provider });
  return nodes;
}

interface Outcome {
  out?: any;
  error?: any;
  errorMsg?: any;
  parts: any[];
}

/** Sends one msg; resolves on its answer or its done(err). */
function ask(msg: Record<string, unknown>): Promise<Outcome> {
  const e1: AnyNode = helper.getNode('e1');
  const out: AnyNode = helper.getNode('out');
  const parts: AnyNode = helper.getNode('parts');
  const outcome: Outcome = { parts: [] };
  return new Promise((resolve) => {
    const onPart = (m: any) => outcome.parts.push(m);
    const finish = () => {
      parts.removeListener('input', onPart);
      out.removeListener('input', onOut);
      e1.removeListener('call:error', onError);
      resolve(outcome);
    };
    const onOut = (m: any) => {
      outcome.out = m;
      finish();
    };
    const onError = (call: any) => {
      outcome.error = call.args[0];
      outcome.errorMsg = call.args[1];
      finish();
    };
    parts.on('input', onPart);
    out.on('input', onOut);
    e1.on('call:error', onError);
    e1.receive(msg);
  });
}

async function statusShows(pattern: RegExp, timeoutMs = 3000): Promise<string> {
  const e1: AnyNode = helper.getNode('e1');
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const texts: string[] = e1.status.args.map((a: any[]) => a[0]?.text ?? '');
    const hit = texts.find((t) => pattern.test(t));
    if (hit) return hit;
    if (Date.now() > deadline) throw new Error(`no status matching ${pattern}; saw ${JSON.stringify(texts)}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('llmops-llm-engine node', () => {
  afterEach(async () => {
    await helper.unload();
  });

  describe('offline (no provider, or the Offline kind)', () => {
    it('runs without a provider, saying no model was called', async () => {
      await helper.load([engineNode, providerNode], flow());
      const { out } = await ask({ payload: ORDER });
      assert.equal(out.llm.provider, 'offline');
      assert.equal(out.llm.model, 'none');
      assert.equal(out.outputText, 'Product: Laptop\nQuantity: 5\nShipping: Free');
    });

    it('fills the offline answer template from the input data', async () => {
      await helper.load([engineNode, providerNode], flow({ offlineTemplate: '{{quantity}} x {{product}} ({{shipping}} shipping)' }, { kind: 'offline' }));
      const { out } = await ask({ payload: ORDER });
      assert.equal(out.outputText, '5 x Laptop (Free shipping)');
    });

    it('shows offline in its status', async () => {
      await helper.load([engineNode, providerNode], flow({}, { kind: 'offline' }));
      await statusShows(/^offline \(no model\)$/);
    });
  });

  describe('OpenAI-compatible provider', () => {
    let server: FakeOpenAiServer;
    beforeEach(async () => {
      server = await FakeOpenAiServer.start();
    });
    afterEach(async () => {
      await server.close();
    });
    const openai = (extra: Record<string, unknown> = {}) => ({ kind: 'openai', baseURL: server.baseURL, model: 'gpt-4o-mini', ...extra });

    it('sends the rendered input text and returns inputData, inputText, outputText, payload and llm', async () => {
      server.responder = () => 'Match: Laptop x5, Free';
      await helper.load([engineNode, providerNode], flow({ template: 'Order: {{product}} x{{quantity}}, shipping {{shipping}}', system: 'Check orders.' }, openai()));
      const { out } = await ask({ payload: ORDER });
      assert.deepEqual(server.requests[0].body.messages, [{ role: 'system', content: 'Check orders.' }, { role: 'user', content: 'Order: Laptop x5, shipping Free' }]);
      assert.deepEqual(out.inputData, ORDER);
      assert.equal(out.inputText, 'Order: Laptop x5, shipping Free');
      assert.equal(out.outputText, 'Match: Laptop x5, Free');
      assert.equal(out.payload, 'Match: Laptop x5, Free');
      assert.equal(out.llm.provider, 'openai-compatible');
      assert.equal(out.llm.usage.totalTokens, out.llm.usage.promptTokens + out.llm.usage.completionTokens);
    });

    it('sends the API key credential as a Bearer token', async () => {
      server.apiKey = 'sk-secret';
      await helper.load([engineNode, providerNode], flow({}, openai()), { p1: { apiKey: 'sk-secret' } });
      const { out } = await ask({ payload: 'hi' });
      assert.equal(out.outputText, 'OK');
      assert.equal(server.requests[0].headers.authorization, 'Bearer sk-secret');
    });

    it('renders flow and global context values into the input text', async () => {
      await helper.load([engineNode, providerNode], flow({ template: '{{flow.site}} / {{global.policy}}: {{payload}}', z: 'tab' }, openai()));
      const e1: AnyNode = helper.getNode('e1');
      e1.context().flow.set('site', 'DC-1');
      e1.context().global.set('policy', 'strict');
      const { out } = await ask({ payload: 'check' });
      assert.equal(out.inputText, 'DC-1 / strict: check');
    });

    it('applies msg.model, msg.temperature, msg.maxTokens and msg.seed', async () => {
      await helper.load([engineNode, providerNode], flow({ temperature: '0.7' }, openai()));
      await ask({ payload: 'hi', model: 'gpt-4.1', temperature: 0, maxTokens: 32, seed: 42 });
      const b = server.requests[0].body;
      assert.deepEqual([b.model, b.temperature, b.max_tokens, b.seed], ['gpt-4.1', 0, 32, 42]);
    });

    it('rejects a malformed override with done(err), sending nothing', async () => {
      await helper.load([engineNode, providerNode], flow({}, openai()));
      const { out, error } = await ask({ payload: 'hi', temperature: 'hot' });
      assert.equal(out, undefined);
      assert.match(String(error), /msg.temperature must be a number from 0 to 2/);
      assert.equal(server.requests.length, 0);
    });

    it('returns the validated object as payload when a JSON schema is set', async () => {
      server.responder = () => 'Here is the JSON:\n```json\n{"product":"Laptop","quantity":5,"shipping":"Free"}\n```';
      await helper.load([engineNode, providerNode], flow({ schema: ORDER_SCHEMA }, openai()));
      const { out } = await ask({ payload: ORDER });
      assert.deepEqual(out.payload, ORDER);
      assert.match(out.outputText, /^Here is the JSON/);
    });

    it('streams partial answers on output 2 and the final msg on output 1', async () => {
      server.responder = () => 'Match confirmed!';
      await helper.load([engineNode, providerNode], flow({ stream: true }, openai()));
      const { out, parts } = await ask({ payload: ORDER, topic: 'order-1' });
      assert.deepEqual(parts.map((p) => p.payload), ['Match ', 'Match confirmed!']);
      assert.equal(parts[0].topic, 'order-1');
      assert.equal(out.outputText, 'Match confirmed!');
      assert.equal(out.llm.usage.estimated, undefined);
    });

    it('waits the Retry-After of a 429, then answers', async () => {
      server.script({ kind: 'rate-limit', retryAfterS: 1 });
      await helper.load([engineNode, providerNode], flow({}, openai()));
      const { out } = await ask({ payload: 'hi' });
      assert.equal(out.llm.attempts, 2);
      await statusShows(/retrying \(attempt 2\): rate_limited/);
    });

    it('answers after 500 twice', async () => {
      server.script({ kind: 'status', status: 500 }, { kind: 'status', status: 500 });
      await helper.load([engineNode, providerNode], flow({}, openai()));
      const { out } = await ask({ payload: 'hi' });
      assert.deepEqual([out.outputText, out.llm.attempts], ['OK', 3]);
    });

    it('routes insufficient_quota to done(err) at once, with msg.llm.error', async () => {
      server.script({ kind: 'quota' });
      await helper.load([engineNode, providerNode], flow({}, openai()));
      const { out, error, errorMsg } = await ask({ payload: 'hi' });
      assert.equal(out, undefined);
      assert.match(String(error), /insufficient_quota/);
      assert.equal(errorMsg.llm.error, 'quota');
      assert.equal(server.requests.length, 1);
      await statusShows(/^error: quota$/);
    });

    it('answers after a connection reset mid-stream', async () => {
      server.responder = () => 'one two three';
      server.script({ kind: 'reset', afterChunks: 1 });
      await helper.load([engineNode, providerNode], flow({ stream: true }, openai()));
      const { out, parts } = await ask({ payload: 'hi' });
      assert.equal(out.outputText, 'one two three');
      assert.deepEqual(parts.map((p) => p.partial.attempt), [1, 2, 2, 2]);
    });

    it('routes a timeout to done(err)', async () => {
      server.script({ kind: 'hang' });
      await helper.load([engineNode, providerNode], flow({}, openai({ timeout: 0.2, maxRetries: 0 })));
      const { error, errorMsg } = await ask({ payload: 'hi' });
      assert.match(String(error), /no complete answer within 200 ms/);
      assert.equal(errorMsg.llm.error, 'timeout');
    });

    it('re-asks an invalid JSON answer once, then routes it to done(err) with the answer text', async () => {
      server.responder = () => 'The order looks fine to me.';
      await helper.load([engineNode, providerNode], flow({ schema: ORDER_SCHEMA, reAsk: true }, openai()));
      const { out, error, errorMsg } = await ask({ payload: ORDER });
      assert.equal(out, undefined);
      assert.match(String(error), /not JSON/);
      assert.equal(errorMsg.outputText, 'The order looks fine to me.');
      assert.equal(server.requests.length, 2);
    });

    it('routes a JSON answer cut off by finish_reason length to done(err)', async () => {
      server.script({ kind: 'answer', content: '{"product":"Laptop","quan', finishReason: 'length' });
      await helper.load([engineNode, providerNode], flow({ schema: ORDER_SCHEMA, reAsk: true }, openai()));
      const { error, errorMsg } = await ask({ payload: ORDER });
      assert.match(String(error), /finish_reason: length/);
      assert.equal(errorMsg.llm.error, 'length');
    });

    it('puts the price of the call in msg.llm.costUsd', async () => {
      await helper.load([engineNode, providerNode], flow({}, openai({ costPrompt: '0.15', costCompletion: '0.6' })));
      const { out } = await ask({ payload: 'hi' });
      const u = out.llm.usage;
      assert.equal(out.llm.costUsd, Math.round(((u.promptTokens * 0.15 + u.completionTokens * 0.6) / 1000) * 1e6) / 1e6);
    });

    it('shows requests in flight and queued in its status', async () => {
      server.script({ kind: 'hang' }, { kind: 'hang' }, { kind: 'hang' });
      await helper.load([engineNode, providerNode], flow({}, openai({ maxConcurrent: 2, timeout: 30 })));
      const e1: AnyNode = helper.getNode('e1');
      for (let i = 0; i < 3; i++) e1.receive({ payload: `q${i}` });
      await statusShows(/^requesting \(2 in flight, 1 queued\)$/);
    });

    it('passes 200 msgs at a limit of 8: never more than 8 in flight, all 200 answered', async () => {
      server.answerDelayMs = 3;
      server.responder = (body) => `re: ${body.messages.at(-1).content}`;
      await helper.load([engineNode, providerNode], flow({}, openai({ maxConcurrent: 8 })));
      const e1: AnyNode = helper.getNode('e1');
      const out: AnyNode = helper.getNode('out');
      const answers = new Set<string>();
      const all = new Promise<void>((resolve) => {
        out.on('input', (m: any) => {
          answers.add(m.outputText);
          if (answers.size === 200) resolve();
        });
      });
      for (let i = 0; i < 200; i++) e1.receive({ payload: `q${i}` });
      await all;
      assert.equal(answers.size, 200);
      assert.equal(server.maxInFlight, 8);
      assert.equal(server.requests.length, 200);
    });
  });

  describe('Ollama provider', () => {
    let server: FakeOllamaServer;
    beforeEach(async () => {
      server = await FakeOllamaServer.start();
    });
    afterEach(async () => {
      await server.close();
    });

    it('streams NDJSON partials and reports Ollama\'s token counts', async () => {
      server.responder = () => 'Quantity: 5';
      await helper.load([engineNode, providerNode], flow({ stream: true }, { kind: 'ollama', baseURL: server.host, model: 'llama3.2' }));
      const { out, parts } = await ask({ payload: ORDER });
      assert.deepEqual(parts.map((p) => p.payload), ['Quantity: ', 'Quantity: 5']);
      assert.equal(out.llm.provider, 'ollama');
      assert.equal(out.llm.usage.completionTokens, 3);
      assert.equal(out.llm.usage.estimated, undefined);
    });

    it('sends the JSON schema as Ollama format and returns the object', async () => {
      server.responder = () => JSON.stringify(ORDER);
      await helper.load([engineNode, providerNode], flow({ schema: ORDER_SCHEMA }, { kind: 'ollama', baseURL: server.host, model: 'llama3.2' }));
      const { out } = await ask({ payload: ORDER });
      assert.deepEqual(server.requests[0].body.format, JSON.parse(ORDER_SCHEMA));
      assert.deepEqual(out.payload, ORDER);
    });
  });
});

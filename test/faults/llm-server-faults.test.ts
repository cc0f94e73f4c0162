// Issue 11, faults: an LLM server that hangs, resets connections, answers 429/500/502, garbage,
// truncated or wrongly shaped JSON and broken streams (see chaos-llm-server.ts). Every msg sent
// to an LLM Engine ends exactly once, in an output or a caught error, and none lasts longer than
// the provider's own limits allow: attempts × timeout + the back-offs and Retry-Afters between them.
import assert from 'node:assert/strict';
import { helper, nodeModule } from '../helpers/helper';
import { ANSWER, ChaosLlmServer, FAULTS } from './chaos-llm-server';

const engineNode = nodeModule('llm-engine/llm-engine.js');
const providerNode = nodeModule('llm-provider/llm-provider.js');

const TIMEOUT_S = 1;
const MAX_RETRIES = 2;
const RETRY_DELAY_MS = 50;
const MAX_RETRY_AFTER_S = 1;
/** The longest a msg may take: every attempt times out, and each wait is the longest allowed. */
const BOUND_MS = (MAX_RETRIES + 1) * TIMEOUT_S * 1000 + MAX_RETRIES * Math.max(MAX_RETRY_AFTER_S * 1000, RETRY_DELAY_MS * 2 ** MAX_RETRIES) + 1500;
const MSGS_PER_ENGINE = 60;
const SCHEMA = JSON.stringify({ type: 'object', properties: { product: { type: 'string' }, quantity: { type: 'integer' } }, required: ['product', 'quantity'] });

type AnyNode = any;

interface Ending {
  kind: 'output' | 'error';
  ms: number;
  detail: string;
}

describe('faults: LLM server that hangs, resets, answers 429/500 and garbage', function () {
  this.timeout(120000);
  let chaos: ChaosLlmServer;
  const endings = new Map<string, Ending[]>();
  const started = new Map<string, number>();
  const escaped: unknown[] = [];
  const onEscape = (e: unknown) => escaped.push(e);
  const ENGINES = ['e-plain', 'e-stream', 'e-schema', 'e-ollama'];

  // Console lines during the storm: the OpenAI SDK would print what it cannot parse, unless told not to.
  const consoleError = console.error;
  const consoleLog = console.log;
  const printed: string[] = [];

  before(async () => {
    console.error = console.log = (...a: unknown[]) => void printed.push(a.map(String).join(" ").slice(0, 200));
    process.prependListener('unhandledRejection', onEscape);
    process.prependListener('uncaughtException', onEscape);
    chaos = await ChaosLlmServer.start(Number(process.env.CHAOS_SEED) || 11, TIMEOUT_S * 1000 + 500);
    const provider = (id: string, kind: string, baseURL: string) => ({
      id,
      type: 'llmops-llm-provider',
      kind,
      baseURL,
      model: 'stand-in',
      timeout: TIMEOUT_S,
      maxConcurrent: 1000,
      maxRetries: MAX_RETRIES,
      retryDelay: RETRY_DELAY_MS,
      maxRetryAfter: MAX_RETRY_AFTER_S,
    });
    await helper.load(
      [engineNode, providerNode],
      [
        provider('prov-openai', 'openai', chaos.baseURL),
        provider('prov-ollama', 'ollama', chaos.baseURL.replace(/\/v1$/, '')),
        { id: 'e-plain', type: 'llmops-llm-engine', provider: 'prov-openai', wires: [['out'], []] },
        { id: 'e-stream', type: 'llmops-llm-engine', provider: 'prov-openai', stream: true, schema: SCHEMA, wires: [['out'], ['parts']] },
        { id: 'e-schema', type: 'llmops-llm-engine', provider: 'prov-openai', schema: SCHEMA, wires: [['out'], []] },
        { id: 'e-ollama', type: 'llmops-llm-engine', provider: 'prov-ollama', wires: [['out'], []] },
        { id: 'out', type: 'helper' },
        { id: 'parts', type: 'helper' },
      ],
      { 'prov-openai': { apiKey: 'sk-test' } },
    );
    const end = (id: string, e: Omit<Ending, 'ms'>) => {
      const t0 = started.get(id);
      if (t0 === undefined) return;
      const list = endings.get(id) ?? [];
      list.push({ ...e, ms: Date.now() - t0 });
      endings.set(id, list);
    };
    helper.getNode('out').on('input', (msg: any) => end(msg._msgid, { kind: 'output', detail: msg.outputText === ANSWER ? 'ok' : `outputText ${JSON.stringify(msg.outputText)}` }));
    for (const id of ENGINES) {
      helper.getNode(id).on('call:error', (call: any) => end(call.args[1]?._msgid, { kind: 'error', detail: String(call.args[0]?.message ?? call.args[0]) }));
    }
    for (let i = 0; i < MSGS_PER_ENGINE; i++) {
      for (const id of ENGINES) {
        const _msgid = `${id}-${i}`;
        started.set(_msgid, Date.now());
        (helper.getNode(id) as AnyNode).receive({ _msgid, payload: { product: 'Laptop', quantity: 5, n: i } });
      }
    }
    const deadline = Date.now() + BOUND_MS + 5000;
    while (endings.size < started.size && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    // Anything that would end twice does so right after the first ending.
    await new Promise((r) => setTimeout(r, 300));
    console.error = consoleError;
    console.log = consoleLog;
  });

  after(async () => {
    console.error = consoleError;
    console.log = consoleLog;
    await helper.unload();
    await chaos?.close();
    process.removeListener('unhandledRejection', onEscape);
    process.removeListener('uncaughtException', onEscape);
  });

  it('printed nothing to the console: failures reach the flow as errors, not as SDK log lines', () => {
    assert.deepEqual(printed, []);
  });

  it('served every kind of fault at least once (precondition)', () => {
    if (process.env.CHAOS_DEBUG) {
      for (const id of ENGINES) {
        const mine = [...endings].filter(([k]) => k.startsWith(`${id}-`));
        const tally: Record<string, number> = {};
        for (const [, e] of mine) tally[`${e[0].kind}: ${e[0].detail.slice(0, 70)}`] = (tally[`${e[0].kind}: ${e[0].detail.slice(0, 70)}`] ?? 0) + 1;
        consoleLog(id, JSON.stringify(tally, null, 1));
      }
      consoleLog(JSON.stringify([...chaos.served]));
    }
    const missing = FAULTS.filter((f) => !chaos.served.get(f));
    assert.deepEqual(missing, []);
  });

  it('ends every msg, in an output or a caught error', () => {
    const open = [...started.keys()].filter((id) => !endings.has(id));
    assert.deepEqual(open, [], `${open.length} msgs never ended`);
  });

  it('ends each msg exactly once', () => {
    const twice = [...endings].filter(([, e]) => e.length > 1).map(([id, e]) => `${id}: ${e.map((x) => x.kind).join('+')}`);
    assert.deepEqual(twice, []);
  });

  it(`ends each msg within the provider's limits (${BOUND_MS} ms: attempts × timeout + waits)`, () => {
    const late = [...endings].filter(([, e]) => e[0].ms > BOUND_MS).map(([id, e]) => `${id}: ${e[0].ms} ms (${e[0].kind} ${e[0].detail})`);
    assert.deepEqual(late, []);
  });

  it("sends only the server's real answers: a malformed 200 is an error, not an empty answer", () => {
    const bad = [...endings].filter(([, e]) => e[0].kind === 'output' && e[0].detail !== 'ok').map(([id, e]) => `${id}: ${e[0].detail}`);
    assert.deepEqual(bad, []);
  });

  it('still delivers answers between the faults (outputs on every engine)', () => {
    for (const id of ENGINES) {
      const outputs = [...endings].filter(([k, e]) => k.startsWith(`${id}-`) && e[0].kind === 'output').length;
      const why = [...endings].filter(([k]) => k.startsWith(`${id}-`)).map(([, e]) => e[0].detail.slice(0, 80));
      assert.ok(outputs > 0, `${id}: no answer got through; ${JSON.stringify([...new Set(why)])}`);
    }
  });

  it('lets no exception or rejection escape', () => {
    assert.deepEqual(escaped.map(String), []);
  });
});

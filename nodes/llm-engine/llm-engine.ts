// Node `llmops-llm-engine`: structured data in, a text a person can read out to the model, the
// model's answer back as text and (with a JSON schema) as a checked object for the IO Matcher.
// Partial answers stream on output 2. Everything but the msg mapping lives in core/llm.
import type { Node, NodeAPI, NodeDef, NodeMessageInFlow } from 'node-red';
import { LlmEngine, LlmError, contextKeysIn, defaultInputText, renderTemplate, type LlmRequest } from '../../core/llm';
import type { LlmProviderNode } from '../llm-provider/llm-provider';
import { compact, messageOf, StatusLine } from '../shared/status';

interface EngineDef extends NodeDef {
  provider: string;
  template: string;
  system: string;
  schema: string;
  reAsk: boolean;
  stream: boolean;
  offlineTemplate: string;
  model: string;
  temperature: string | number;
  maxTokens: string | number;
  seed: string | number;
}

type EngineMsg = NodeMessageInFlow & {
  model?: unknown;
  temperature?: unknown;
  maxTokens?: unknown;
  seed?: unknown;
  inputData?: unknown;
  inputText?: string;
  outputText?: string;
  llm?: unknown;
};

function optionalNumber(v: unknown): number | undefined {
  if (v === '' || v === undefined || v === null) return undefined;
  const n = Number(v);
  return Number.isFinite(n) ? n : undefined;
}

/** The msg.model / temperature / maxTokens / seed overrides, checked; throws with the reason. */
type Translate = (key: string, subs?: Record<string, unknown>) => string;

export function overridesOf(msg: EngineMsg, _: Translate): Pick<LlmRequest, 'model' | 'temperature' | 'maxTokens' | 'seed'> {
  const out: Pick<LlmRequest, 'model' | 'temperature' | 'maxTokens' | 'seed'> = {};
  if (msg.model !== undefined) {
    if (typeof msg.model !== 'string' || msg.model.trim() === '') throw new Error(_('llm-engine.errors.bad-override', { name: 'msg.model', want: 'a model name' }));
    out.model = msg.model.trim();
  }
  if (msg.temperature !== undefined) {
    if (typeof msg.temperature !== 'number' || !(msg.temperature >= 0 && msg.temperature <= 2)) throw new Error(_('llm-engine.errors.bad-override', { name: 'msg.temperature', want: 'a number from 0 to 2' }));
    out.temperature = msg.temperature;
  }
  if (msg.maxTokens !== undefined) {
    if (!Number.isInteger(msg.maxTokens) || (msg.maxTokens as number) < 1) throw new Error(_('llm-engine.errors.bad-override', { name: 'msg.maxTokens', want: 'a whole number ≥ 1' }));
    out.maxTokens = msg.maxTokens as number;
  }
  if (msg.seed !== undefined) {
    if (!Number.isInteger(msg.seed)) throw new Error(_('llm-engine.errors.bad-override', { name: 'msg.seed', want: 'a whole number' }));
    out.seed = msg.seed as number;
  }
  return out;
}

export default function register(RED: NodeAPI) {
  function LlmEngineNode(this: Node, def: EngineDef) {
    RED.nodes.createNode(this, def);
    const node = this;
    const status = new StatusLine(node);
    const provider = def.provider ? (RED.nodes.getNode(def.provider) as LlmProviderNode | null) : null;
    // With no provider the node still works, offline, so a freshly imported demo flow runs.
    const engine: LlmEngine = provider?.engine ?? new LlmEngine({ kind: 'offline' });
    const offline = engine.settings.kind === 'offline';
    const template = def.template ?? '';
    const contextKeys = contextKeysIn(template);
    const stop = new AbortController();

    let schema: object | undefined;
    let configError: string | undefined;
    if (def.provider && !provider) configError = RED._('llm-engine.errors.no-provider');
    if (def.schema && def.schema.trim() !== '') {
      try {
        const parsed = JSON.parse(def.schema);
        if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error('not an object');
        schema = parsed;
      } catch (err) {
        configError = RED._('llm-engine.errors.bad-schema', { error: messageOf(err) });
      }
    }
    const defaults = {
      model: def.model?.trim() || undefined,
      temperature: optionalNumber(def.temperature),
      maxTokens: optionalNumber(def.maxTokens),
      seed: optionalNumber(def.seed),
    };

    let queued = 0;
    let running = 0;
    const idleText = () => (offline ? RED._('llm-engine.status.offline') : RED._('llm-engine.status.idle'));
    const showBusy = () => {
      if (running + queued === 0) return;
      status.busy(queued > 0 ? RED._('llm-engine.status.requesting-queued', { n: running, m: queued }) : RED._('llm-engine.status.requesting', { n: running }));
    };
    if (configError) status.error(configError);
    else status.idle(idleText());

    node.on('input', (msg: EngineMsg, send, done) => {
      if (configError) {
        done(new Error(configError));
        return;
      }
      const data = msg.payload;
      let request: LlmRequest;
      let started = false;
      try {
        const overrides = overridesOf(msg, RED._ as unknown as Translate);
        const inputText = template.trim() !== '' ? renderTemplate(template, data, contextValues(node, contextKeys)) : defaultInputText(data);
        msg.inputData = data;
        msg.inputText = inputText;
        request = {
          prompt: inputText,
          system: def.system || undefined,
          ...stripUndefined(defaults),
          ...overrides,
          schema,
          reAsk: def.reAsk === true,
          stream: def.stream === true,
          onPartial: def.stream
            ? (p) => send([null, { _msgid: msg._msgid, topic: msg.topic, payload: p.text, partial: { delta: p.delta, attempt: p.attempt } } as NodeMessageInFlow])
            : undefined,
          inputData: data,
          offlineTemplate: def.offlineTemplate,
          signal: stop.signal,
          onStart: () => {
            started = true;
            queued--;
            running++;
            showBusy();
          },
          onRetry: (info) => status.warn(RED._('llm-engine.status.retrying', { n: info.attempt + 1, reason: info.error.code })),
        };
      } catch (err) {
        status.error(messageOf(err));
        done(err instanceof Error ? err : new Error(messageOf(err)));
        return;
      }

      if (!offline) queued++;
      showBusy();
      engine
        .complete(request)
        .then((r) => {
          msg.outputText = r.outputText;
          msg.payload = r.payload;
          msg.llm = r.meta;
          send([msg, null]);
          status.idle(RED._('llm-engine.status.done', { idle: idleText(), tokens: compact(r.meta.usage.totalTokens), ms: compact(r.meta.latencyMs) }));
          done();
        })
        .catch((err) => {
          const e = err instanceof LlmError ? err : undefined;
          if (e?.outputText !== undefined) msg.outputText = e.outputText;
          msg.llm = { provider: engine.providerName, error: e?.code ?? 'error', status: e?.status, attempts: e?.attempts };
          status.error(RED._('llm-engine.status.error', { code: e?.code ?? 'error' }));
          done(err instanceof Error ? err : new Error(messageOf(err)));
        })
        .finally(() => {
          if (started) running--;
          else if (!offline) queued--;
          showBusy();
        });
    });

    node.on('close', (_removed: boolean, done: () => void) => {
      stop.abort(new LlmError('aborted', 'the node was stopped'));
      status.dispose();
      done();
    });
  }

  RED.nodes.registerType('llmops-llm-engine', LlmEngineNode);
}

/** Reads only the flow/global values the template names (from the default context store). */
function contextValues(node: Node, keys: { flow: string[]; global: string[] }) {
  const ctx = node.context();
  const pick = (store: { get(key: string): unknown }, names: string[]) => Object.fromEntries(names.map((k) => [k, store.get(k)]));
  return { flow: pick(ctx.flow, keys.flow), global: pick(ctx.global, keys.global) };
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

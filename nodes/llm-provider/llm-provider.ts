// Config node `llmops-llm-provider`: owns one LLM client and its concurrency limit, shared by
// every LLM Engine that names it (as the core MQTT broker node shares one connection). The
// API key is a Node-RED credential, never part of the flow JSON.
import type { Node, NodeAPI, NodeDef } from 'node-red';
import { LlmEngine, type LimiterState, type ProviderKind, type ProviderSettings } from '../../core/llm';
import type { StructuredOutputMode } from '../../core/llm/openai-transport';

interface ProviderDef extends NodeDef {
  kind: ProviderKind;
  baseURL: string;
  model: string;
  timeout: string | number;
  maxConcurrent: string | number;
  maxRetries: string | number;
  retryDelay: string | number;
  maxRetryAfter: string | number;
  costPrompt: string | number;
  costCompletion: string | number;
  structuredOutput: StructuredOutputMode;
}

interface ProviderCredentials {
  apiKey?: string;
}

export interface LlmProviderNode extends Node<ProviderCredentials> {
  kind: ProviderKind;
  engine: LlmEngine;
  /** Tells `listener` of every change in requests running and queued; returns the unsubscribe. */
  onLimiter(listener: (s: LimiterState) => void): () => void;
}

function num(v: unknown, fallback: number, min: number, max: number): number {
  if (v === '' || v === undefined || v === null) return fallback;
  const n = Number(v);
  return Number.isFinite(n) ? Math.min(max, Math.max(min, n)) : fallback;
}

function optionalPrice(v: unknown): number | undefined {
  if (v === '' || v === undefined || v === null) return undefined;
  const n = Number(v);
  return Number.isFinite(n) && n >= 0 ? n : undefined;
}

/** Maps the dialog's fields (seconds, strings) to the engine's settings (ms, numbers). */
export function providerSettings(def: Partial<ProviderDef>, apiKey?: string): ProviderSettings {
  const kind: ProviderKind = def.kind === 'ollama' || def.kind === 'offline' ? def.kind : 'openai';
  const defaultBase = kind === 'ollama' ? 'http://127.0.0.1:11434' : undefined;
  return {
    kind,
    baseURL: (def.baseURL || '').trim() || defaultBase,
    apiKey: apiKey || undefined,
    defaultModel: (def.model || '').trim() || undefined,
    timeoutMs: Math.round(num(def.timeout, 60, 0.05, 3600) * 1000),
    maxConcurrent: Math.round(num(def.maxConcurrent, 4, 1, 1000)),
    retry: {
      maxRetries: Math.round(num(def.maxRetries, 3, 0, 20)),
      baseDelayMs: Math.round(num(def.retryDelay, 500, 1, 60000)),
      maxDelayMs: 20000,
      maxRetryAfterMs: Math.round(num(def.maxRetryAfter, 60, 0, 3600) * 1000),
    },
    prices: { promptPer1k: optionalPrice(def.costPrompt), completionPer1k: optionalPrice(def.costCompletion) },
    structuredOutput: def.structuredOutput === 'json_object' || def.structuredOutput === 'prompt' ? def.structuredOutput : 'json_schema',
  };
}

export default function register(RED: NodeAPI) {
  function LlmProvider(this: LlmProviderNode, def: ProviderDef) {
    RED.nodes.createNode(this, def);
    const node = this;
    const settings = providerSettings(def, node.credentials?.apiKey);
    node.kind = settings.kind;
    try {
      node.engine = new LlmEngine(settings);
    } catch (err) {
      // A provider without a base URL cannot call anything: say so, and answer offline rather than crash.
      node.error(RED._('llm-provider.errors.config', { error: (err as Error).message }));
      node.kind = 'offline';
      node.engine = new LlmEngine({ kind: 'offline' });
    }
    node.onLimiter = (listener) => node.engine.onLimiterChange(listener);

    node.on('close', (_removed: boolean, done: () => void) => {
      node.engine.close();
      done();
    });
  }

  RED.nodes.registerType('llmops-llm-provider', LlmProvider as unknown as Parameters<NodeAPI['nodes']['registerType']>[1], {
    credentials: { apiKey: { type: 'password' } },
  });
}

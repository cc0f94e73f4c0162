// The Human Review test bench for a real Node-RED (test/helpers/nodered.ts): a flow that feeds
// Human Review nodes over HTTP and appends what leaves each output to outputs.jsonl in the user
// directory, and the context stores the nodes keep their open reviews in.
import * as fs from 'fs';
import * as path from 'path';
import { NodeRedProcess, type NodeRedOptions } from './nodered';

/** `file` keeps open reviews on disk (cached; flushed when Node-RED stops on SIGTERM). */
export const REVIEW_CONTEXT_STORAGE = { default: { module: 'memory' }, file: { module: 'localfilesystem' } };

/** Node-RED with the suite and REVIEW_CONTEXT_STORAGE; `opts.settings` go over it. */
export function reviewRuntime(opts: NodeRedOptions = {}): NodeRedProcess {
  return new NodeRedProcess({ ...opts, settings: { contextStorage: REVIEW_CONTEXT_STORAGE, ...(opts.settings ?? {}) } });
}

/**
 * The test flow: POST /llmops-test/review feeds a Human Review node; its three outputs are
 * appended as JSON lines to outputs.jsonl in the user directory, with the port and the time.
 */
export function reviewFlow(nodes: { id: string; config: Record<string, unknown> }[]): object[] {
  const flow: object[] = [{ id: 'tab', type: 'tab', label: 'review test' }];
  flow.push(
    { id: 'http-in', z: 'tab', type: 'http in', url: '/llmops-test/review', method: 'post', wires: [['route']] },
    {
      id: 'route',
      z: 'tab',
      type: 'function',
      outputs: 1 + nodes.length,
      func: [
        'const b = msg.payload || {};',
        `const targets = ${JSON.stringify(nodes.map((n) => n.id))};`,
        'const out = targets.map(() => null);',
        'const m = b.review ? { review: b.review } : { payload: b.payload, inputData: b.inputData, verification: b.verification, matchRules: b.matchRules, topic: b.topic };',
        'out[Math.max(0, targets.indexOf(b.node))] = m;',
        'msg.payload = { ok: true };',
        'return [msg, ...out];',
      ].join('\n'),
      wires: [['http-out'], ...nodes.map((n) => [n.id])],
    },
    { id: 'http-out', z: 'tab', type: 'http response', statusCode: '', headers: {}, wires: [] },
  );
  for (const n of nodes) {
    flow.push({
      id: n.id,
      z: 'tab',
      type: 'llmops-human-review',
      name: n.id,
      store: 'file',
      approvals: 1,
      checklist: [],
      timeout: 0,
      timeoutUnit: 's',
      timeoutOutcome: 'reject',
      requireReason: true,
      autoApprove: false,
      autoMaxChange: 5,
      autoFields: '',
      influx: '',
      ...n.config,
      wires: [1, 2, 3].map((p) => [`${n.id}-port${p}`]),
    });
    for (const p of [1, 2, 3]) {
      flow.push(
        {
          id: `${n.id}-port${p}`,
          z: 'tab',
          type: 'function',
          outputs: 1,
          func: `msg.payload = JSON.stringify({ node: ${JSON.stringify(n.id)}, port: ${p}, at: Date.now(), payload: msg.payload, review: msg.review }); return msg;`,
          wires: [['outputs-file']],
        },
      );
    }
  }
  flow.push({ id: 'outputs-file', z: 'tab', type: 'file', filename: 'outputs.jsonl', filenameType: 'str', appendNewline: true, createDir: true, overwriteFile: 'false', encoding: 'utf8', wires: [] });
  // Node-RED takes an entry without a position for a config node.
  return flow.map((n, i) => ((n as { type: string }).type === 'tab' ? n : { x: 200 + 180 * (i % 4), y: 80 + 60 * Math.floor(i / 4), ...n }));
}

export interface OutputLine {
  node: string;
  port: 1 | 2 | 3;
  at: number;
  payload: unknown;
  review: { id: string; decision: string; reviewer: string; decidedAt: number; history: { event: string; at: number }[]; [k: string]: unknown };
}

export function readOutputs(userDir: string): OutputLine[] {
  const file = path.join(userDir, 'outputs.jsonl');
  if (!fs.existsSync(file)) return [];
  return fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as OutputLine);
}

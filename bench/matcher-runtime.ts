// Runs llmops-io-matcher inside a Node-RED runtime (node-red-node-test-helper loading the
// built node from dist/, as Node-RED itself would) for bench/matcher.ts. Each case is one msg:
// {inputData, payload, matchRules, matchStrict}; the verdict is whatever reaches output 1 or 2,
// and an error reported through done(err) is the node rejecting the case.

import type { Verification } from '../core/matcher/types';
import { helper, nodeModule } from '../test/helpers/helper';
import type { Runner } from './matcher';

type AnyNode = any; // eslint-disable-line @typescript-eslint/no-explicit-any
const SPIED = ['log', 'status', 'warn', 'error', 'debug', 'trace', 'send'];

export async function startMatcherFlow(): Promise<Runner> {
  const matcher = nodeModule('io-matcher/io-matcher.js');
  const proto = (helper as AnyNode)._NodePrototype;
  const plain = Object.fromEntries(SPIED.map((k) => [k, proto[k]]));
  await helper.load(matcher, [
    { id: 'm', type: 'llmops-io-matcher', inputProperty: 'inputData', rules: [], strict: false, wires: [['ok'], ['bad']] },
    { id: 'ok', type: 'helper' },
    { id: 'bad', type: 'helper' },
  ]);
  const m: AnyNode = helper.getNode('m');
  const ok: AnyNode = helper.getNode('ok');
  const bad: AnyNode = helper.getNode('bad');
  let seq = 0;
  const waiting = new Map<number, (v: Verification | Error) => void>();
  const settle = (msg: AnyNode, v: Verification | Error): void => {
    const w = waiting.get(msg._benchSeq);
    if (!w) return;
    waiting.delete(msg._benchSeq);
    w(v);
  };
  ok.on('input', (msg: AnyNode) => settle(msg, msg.verification));
  bad.on('input', (msg: AnyNode) => settle(msg, msg.verification));
  // The helper wraps send/status/error of every node in sinon spies that record each call;
  // that would cost as much as the matcher itself. Take them off so the runtime is the plain
  // one, and hear done(err) through this node's own error method, which Node-RED calls with it.
  Object.assign(proto, plain);
  (helper as AnyNode)._logSpy?.restore?.();
  // Node-RED copies send onto each wired node when it is created.
  for (const n of [m, ok, bad]) if (Object.prototype.hasOwnProperty.call(n, 'send')) n.send = proto.send;
  const reportError = m.error.bind(m);
  m.error = (err: unknown, msg?: AnyNode) => {
    if (msg && waiting.has(msg._benchSeq)) settle(msg, err instanceof Error ? err : new Error(String((err as AnyNode)?.message ?? err)));
    else reportError(err, msg);
  };
  return {
    name: 'node (Node-RED runtime)',
    run(c) {
      const id = ++seq;
      return new Promise((resolve) => {
        waiting.set(id, resolve);
        m.receive({ _benchSeq: id, inputData: c.input, payload: c.output, matchRules: c.rules, matchStrict: c.strict === true });
      });
    },
    async close() {
      await helper.unload();
    },

  };
}

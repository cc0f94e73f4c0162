// Node `llmops-io-matcher`: the "Check & Balance" of the LLM operations flow. Compares the
// model's output (msg.payload) with what went in (msg.inputData by default) field by field,
// sends a confirmed match to output 1 and anything else to output 2, with msg.verification
// saying what differs in words a person can act on. All judgement lives in core/matcher.
import type { Node, NodeAPI, NodeDef, NodeMessageInFlow } from 'node-red';
import { type DialogRuleRow, type MatchRule, matchIO, rulesFromDialog } from '../../core/matcher';
import { messageOf, StatusLine } from '../shared/status';

interface MatcherDef extends NodeDef {
  inputProperty: string;
  rules: DialogRuleRow[];
  strict: boolean;
}

type MatcherMsg = NodeMessageInFlow & { matchRules?: unknown; matchStrict?: unknown; verification?: unknown };

export default function register(RED: NodeAPI) {
  function IoMatcher(this: Node, def: MatcherDef) {
    RED.nodes.createNode(this, def);
    const node = this;
    const status = new StatusLine(node);
    const inputProperty = (def.inputProperty || 'inputData').replace(/^msg\./, '');
    const strict = def.strict === true;
    let dialogRules: MatchRule[] = [];
    try {
      dialogRules = rulesFromDialog(def.rules);
    } catch (err) {
      status.error(RED._('io-matcher.status.bad-rules'));
      node.error(RED._('io-matcher.errors.bad-rules', { reason: messageOf(err) }));
    }

    // Translated once: a lookup per msg cost more than a simple match itself.
    const matchText = RED._('io-matcher.status.match');
    node.on('input', (msg: MatcherMsg, send, done) => {
      try {
        const inputData = RED.util.getMessageProperty(msg, inputProperty);
        if (inputData === undefined || inputData === null) {
          status.error(RED._('io-matcher.status.no-input'));
          done(new Error(RED._('io-matcher.errors.no-input', { property: inputProperty })));
          return;
        }
        const rules = msg.matchRules === undefined ? dialogRules : (msg.matchRules as MatchRule[]);
        const v = matchIO(inputData, msg.payload, {
          rules,
          strict: typeof msg.matchStrict === 'boolean' ? msg.matchStrict : strict,
        });
        msg.verification = v;
        if (v.match) {
          status.ok(matchText);
          send([msg, null]);
        } else {
          status.error(RED._(v.mismatches === 1 ? 'io-matcher.status.mismatch' : 'io-matcher.status.mismatches', { n: v.mismatches }));
          send([null, msg]);
        }
        done();
      } catch (err) {
        const text = messageOf(err);
        status.error(text);
        done(err instanceof Error ? err : new Error(text));
      }
    });

    node.on('close', (_removed: boolean, done: () => void) => {
      status.dispose();
      done();
    });
  }

  RED.nodes.registerType('llmops-io-matcher', IoMatcher);
}

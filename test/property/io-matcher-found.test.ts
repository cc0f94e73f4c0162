// Counterexamples fast-check found for the IO Matcher (node-inputs.property.test.ts, JSON and
// JavaScript-only values), kept as plain tests so they stay fixed: each ends in a verdict or a
// deliberate error, not a TypeError.
import assert from 'node:assert/strict';
import { helper, nodeModule } from '../helpers/helper';

const matcher = nodeModule('io-matcher/io-matcher.js');

async function outcome(msg: Record<string, unknown>): Promise<{ kind: 'verdict' | 'error'; text: string }> {
  await helper.load(matcher, [
    { id: 'm', type: 'llmops-io-matcher', inputProperty: 'inputData', rules: [], strict: false, wires: [['ok'], ['bad']] },
    { id: 'ok', type: 'helper' },
    { id: 'bad', type: 'helper' },
  ]);
  return new Promise((resolve) => {
    const verdict = (m: any) => resolve({ kind: 'verdict', text: m.verification.summary });
    helper.getNode('ok').on('input', verdict);
    helper.getNode('bad').on('input', verdict);
    helper.getNode('m').on('call:error', (call: any) => resolve({ kind: 'error', text: `${call.args[0]?.name}: ${call.args[0]?.message}` }));
    helper.getNode('m').receive(msg);
  });
}

describe('IO Matcher: inputs fast-check found', () => {
  afterEach(async () => {
    await helper.unload();
  });

  it('treats msg.matchRules = null like no rules', async () => {
    const r = await outcome({ inputData: { a: 1 }, payload: { a: 1 }, matchRules: null });
    assert.equal(r.kind, 'verdict', r.text);
  });

  it('judges an input whose field name has no letters or digits ("!!") without a TypeError', async () => {
    const r = await outcome({ inputData: { '!!': 1, a: 2 }, payload: 'a is 2 and !! is 1' });
    assert.doesNotMatch(r.text, /TypeError/);
  });

  it('judges an output object holding a sparse array of objects (a hole is not an object)', async () => {
    // eslint-disable-next-line no-sparse-arrays
    const r = await outcome({ inputData: { items: 2 }, payload: { items: [{ a: 1 }, , { a: 2 }] } });
    assert.equal(r.kind, 'verdict', r.text);
  });

  it('judges input lists and outputs holding objects without a prototype', async () => {
    const bare = Object.assign(Object.create(null), { a: 1 });
    let r = await outcome({ inputData: { tags: [bare, 'x'] }, payload: 'tags: x' });
    assert.equal(r.kind, 'verdict', r.text);
    await helper.unload();
    r = await outcome({ inputData: { a: 1 }, payload: [bare] });
    assert.equal(r.kind, 'verdict', r.text);
  });

  it('judges prose against an input list holding an object without a prototype', async () => {
    const bare = Object.assign(Object.create(null), { a: 1 });
    const r = await outcome({ inputData: { product: 'Laptop', tags: [bare, 'x'] }, payload: 'The laptop ships with tag x.' });
    assert.equal(r.kind, 'verdict', r.text);
  });

  it('refuses a BigInt in the input with a sentence that says what to send instead', async () => {
    const r = await outcome({ inputData: { quantity: BigInt(5) }, payload: 'quantity: 5' });
    assert.equal(r.kind, 'error');
    assert.match(r.text, /contains a BigInt \(send it as a number or as text\)/);
  });

  it('judges an input with an empty field name without a TypeError', async () => {
    const r = await outcome({ inputData: { '': 1 }, payload: 'value 1' });
    assert.doesNotMatch(r.text, /TypeError/);
  });
});

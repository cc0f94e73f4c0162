import assert from 'node:assert/strict';
import { LlmEngine, type PartialAnswer } from '../../../core/llm';

const order = { product: 'Laptop', quantity: 5, shipping: 'Free' };

describe('llm/engine: Offline (no model) kind', () => {
  const engine = new LlmEngine({ kind: 'offline' });

  it('says in its meta that no model was called', async () => {
    const r = await engine.complete({ prompt: 'x', inputData: order });
    assert.deepEqual([r.meta.provider, r.meta.model, r.meta.attempts], ['offline', 'none', 0]);
  });

  it('fills the output template from the input data, values unescaped', async () => {
    const r = await engine.complete({ prompt: 'x', inputData: { ...order, shipping: 'Free & fast' }, offlineTemplate: '{{product}} x{{quantity}}, {{shipping}}' });
    assert.equal(r.outputText, 'Laptop x5, Free & fast');
  });

  it('answers "Label: value" lines when there is no template', async () => {
    const r = await engine.complete({ prompt: 'x', inputData: order });
    assert.equal(r.outputText, 'Product: Laptop\nQuantity: 5\nShipping: Free');
  });

  it('gives the same answer every time', async () => {
    const [a, b] = await Promise.all([engine.complete({ prompt: 'x', inputData: order }), engine.complete({ prompt: 'x', inputData: order })]);
    assert.equal(a.outputText, b.outputText);
  });

  it('answers the input data as a validated object when a schema is set', async () => {
    const r = await engine.complete({ prompt: 'x', inputData: order, schema: { type: 'object', required: ['product'] } });
    assert.deepEqual(r.payload, order);
  });

  it('marks its token usage as estimated', async () => {
    const r = await engine.complete({ prompt: 'Product: Laptop', inputData: order });
    assert.equal(r.meta.usage.estimated, true);
  });

  it('streams its answer as one partial', async () => {
    const parts: PartialAnswer[] = [];
    await engine.complete({ prompt: 'x', inputData: order, onPartial: (p) => parts.push(p) });
    assert.equal(parts.length, 1);
  });
});

// Acceptance 4: the shipped example "order verification" reproduces the diagram when imported:
// Product Laptop, Quantity 5, Shipping Free → input text → LLM Engine (offline) → output text.
import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import { helper, nodeModule } from '../helpers/helper';

const engineNode = nodeModule('llm-engine/llm-engine.js');
const providerNode = nodeModule('llm-provider/llm-provider.js');
const file = path.join(__dirname, '..', '..', 'examples', 'llm-engine-order-verification.json');

/**
 * The example as Node-RED imports it: onto the current tab (nodes with a position join it,
 * config nodes stay global), with core debug nodes swapped for test probes.
 */
function importExample() {
  const nodes: any[] = JSON.parse(fs.readFileSync(file, 'utf8'));
  const inject = nodes.find((n) => n.type === 'inject');
  const onTab = (n: any) => (n.x !== undefined ? { ...n, z: 'tab' } : n);
  const runnable = [
    { id: 'tab', type: 'tab', label: 'imported' },
    ...nodes
      .filter((n) => n.type !== 'comment' && n.type !== 'inject')
      .map((n) => (n.type === 'debug' ? { id: n.id, type: 'helper', name: n.name, x: n.x, y: n.y } : n))
      .map(onTab),
  ];
  return { nodes, inject, runnable };
}

describe('example flow: LLM Engine order verification', () => {
  afterEach(async () => {
    await helper.unload();
  });

  it('opens with a comment node that explains it', () => {
    const { nodes } = importExample();
    assert.equal(nodes[0].type, 'comment');
    assert.match(nodes[0].info, /Offline \(no model\)/);
  });

  it('keeps no secret in the flow file', () => {
    const text = fs.readFileSync(file, 'utf8');
    assert.doesNotMatch(text, /apiKey|sk-/);
  });

  it('turns the Laptop order into the input text and the output text, offline', async () => {
    const { nodes, inject, runnable } = importExample();
    await helper.load([engineNode, providerNode], runnable);
    const engine: any = helper.getNode(nodes.find((n) => n.type === 'llmops-llm-engine').id);
    const outputProbe: any = helper.getNode(nodes.find((n) => n.type === 'debug' && n.complete === 'outputText').id);
    const got = new Promise<any>((resolve) => outputProbe.once('input', resolve));
    engine.receive({ payload: JSON.parse(inject.payload), topic: inject.topic });
    const msg = await got;
    assert.deepEqual(msg.inputData, { product: 'Laptop', quantity: 5, shipping: 'Free' });
    assert.equal(msg.inputText, 'Verify this order and repeat its fields:\n\nProduct: Laptop\nQuantity: 5\nShipping: Free');
    assert.equal(msg.outputText, 'Product: Laptop\nQuantity: 5\nShipping: Free');
    assert.equal(msg.llm.provider, 'offline');
  });

  it('wires the inject to the engine and the engine to the input-text and output-text debug nodes', () => {
    const { nodes, inject } = importExample();
    const engine = nodes.find((n) => n.type === 'llmops-llm-engine');
    assert.deepEqual(inject.wires, [[engine.id]]);
    const shown = engine.wires[0].map((id: string) => nodes.find((n) => n.id === id)?.complete);
    assert.ok(shown.includes('inputText') && shown.includes('outputText'));
  });
});

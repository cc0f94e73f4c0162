import assert from 'node:assert/strict';
import { helper, nodeModule } from '../helpers/helper';

const matcher = nodeModule('io-matcher/io-matcher.js');
type AnyNode = any; // eslint-disable-line @typescript-eslint/no-explicit-any

const ORDER = { Product: 'Laptop', Quantity: 5, Shipping: 'Free' };

function flow(extra: Record<string, unknown> = {}) {
  return [
    { id: 'm', type: 'llmops-io-matcher', name: 'check', inputProperty: 'inputData', rules: [], strict: false, wires: [['ok'], ['bad']], ...extra },
    { id: 'ok', type: 'helper' },
    { id: 'bad', type: 'helper' },
  ];
}

/** Sends one msg; resolves with the port it left by (1 or 2), the msg, and any done(err). */
function exchange(msg: Record<string, unknown>): Promise<{ port?: 1 | 2; out?: AnyNode; error?: string }> {
  const m: AnyNode = helper.getNode('m');
  const ok: AnyNode = helper.getNode('ok');
  const bad: AnyNode = helper.getNode('bad');
  return new Promise((resolve) => {
    const result: { port?: 1 | 2; out?: AnyNode; error?: string } = {};
    ok.once('input', (out: AnyNode) => Object.assign(result, { port: 1, out }));
    bad.once('input', (out: AnyNode) => Object.assign(result, { port: 2, out }));
    m.once('call:error', (call: AnyNode) => {
      result.error = String(call.args[0]?.message ?? call.args[0]);
    });
    m.receive(msg);
    setTimeout(() => resolve(result), 30);
  });
}

function lastStatus(): AnyNode {
  const m: AnyNode = helper.getNode('m');
  return m.status.lastCall?.args[0];
}

describe('llmops-io-matcher node', () => {
  afterEach(async () => {
    await helper.unload();
  });

  it('sends a matching output to output 1 with "Match confirmed"', async () => {
    await helper.load(matcher, flow());
    const r = await exchange({ inputData: ORDER, payload: 'Product: Laptop\nQuantity: five\nShipping: $0.00' });
    assert.equal(r.port, 1);
    assert.equal(r.out.verification.match, true);
    assert.equal(r.out.verification.summary, 'Match confirmed');
    assert.deepEqual(lastStatus(), { fill: 'green', shape: 'dot', text: 'Match confirmed' });
  });

  it('sends a wrong output to output 2 with the reason, and shows the count in red', async () => {
    await helper.load(matcher, flow());
    const r = await exchange({ inputData: ORDER, payload: { product: 'Laptop', quantity: 50, shipping: '$5' } });
    assert.equal(r.port, 2);
    assert.match(r.out.verification.summary, /Quantity: expected 5, output says 50/);
    assert.deepEqual(lastStatus(), { fill: 'red', shape: 'ring', text: '2 mismatches' });
  });

  it('keeps the rest of the msg and the payload as they were', async () => {
    await helper.load(matcher, flow());
    const r = await exchange({ inputData: ORDER, payload: 'Product: Laptop\nQuantity: 5\nShipping: Free', topic: 'order-7' });
    assert.equal(r.out.topic, 'order-7');
    assert.equal(r.out.payload, 'Product: Laptop\nQuantity: 5\nShipping: Free');
  });

  it('reads the input from the configured property', async () => {
    await helper.load(matcher, flow({ inputProperty: 'request.fields' }));
    const r = await exchange({ request: { fields: ORDER }, payload: 'I ordered 5 laptops with free shipping.' });
    assert.equal(r.port, 1);
  });

  for (const [name, payload] of [
    ['JSON in a code fence', 'Here:\n```json\n{"Product":"Laptop","Quantity":5,"Shipping":"Free"}\n```'],
    ['a markdown table', '| Product | Quantity | Shipping |\n|---|---|---|\n| Laptop | 5 | Free |'],
    ['bullets', '- Product: Laptop\n- Quantity: 5 units\n- Shipping: no charge'],
    ['prose', 'Your five laptops ship free of charge.'],
  ] as const) {
    it(`confirms a match written as ${name}`, async () => {
      await helper.load(matcher, flow());
      assert.equal((await exchange({ inputData: ORDER, payload })).port, 1);
    });
  }

  it('converts units before comparing (32 °C = 89.6 °F, 40 L/min = 40 LPM)', async () => {
    await helper.load(matcher, flow());
    const r = await exchange({ inputData: { supply_temp: '32 °C', flow: '40 L/min' }, payload: 'Supply temp: 89.6 °F\nFlow: 40 LPM' });
    assert.equal(r.port, 1);
  });

  it('applies the dialog rules: enum synonyms and tolerance', async () => {
    await helper.load(matcher, flow({ rules: [{ field: 'mode', type: 'enum', synonyms: 'auto = automatic' }, { field: 'flow', type: 'quantity', tolerance: '2%' }] }));
    const r = await exchange({ inputData: { mode: 'auto', flow: '40 L/min' }, payload: 'Mode: Automatic\nFlow: 40.5 L/min' });
    assert.equal(r.port, 1);
  });

  it('lets msg.matchRules replace the dialog rules', async () => {
    await helper.load(matcher, flow());
    const r = await exchange({ inputData: { mode: 'auto' }, payload: 'Mode: automatic', matchRules: [{ field: 'mode', type: 'enum', synonyms: { auto: ['automatic'] } }] });
    assert.equal(r.port, 1);
  });

  it('fails an invented field only in strict mode', async () => {
    const payload = 'Product: Laptop\nQuantity: 5\nShipping: Free\nWarranty: 3 years';
    await helper.load(matcher, flow());
    assert.equal((await exchange({ inputData: ORDER, payload })).port, 1);
    await helper.unload();
    await helper.load(matcher, flow({ strict: true }));
    const r = await exchange({ inputData: ORDER, payload });
    assert.equal(r.port, 2);
    assert.equal(r.out.verification.fields.find((f: AnyNode) => f.field === 'Warranty').status, 'extra');
  });

  it('lets msg.matchStrict override the strict setting', async () => {
    await helper.load(matcher, flow());
    const r = await exchange({ inputData: ORDER, payload: 'Product: Laptop\nQuantity: 5\nShipping: Free\nWarranty: 3 years', matchStrict: true });
    assert.equal(r.port, 2);
  });

  it('sends the example flow\'s right answer to output 1 and its wrong answer to output 2', async () => {
    // eslint-disable-next-line @typescript-eslint/no-var-requires
    const example: AnyNode[] = require('../../examples/io-matcher.json');
    const node = example.find((n) => n.type === 'llmops-io-matcher');
    const ports = [];
    for (const inject of example.filter((n) => n.type === 'inject')) {
      // One deployment per message: the helper's once-listeners outlive a msg that took the other port.
      await helper.unload();
      await helper.load(matcher, flow({ rules: node.rules, strict: node.strict }));
      const inputData = JSON.parse(inject.props.find((p: AnyNode) => p.p === 'inputData').v);
      const r = await exchange({ inputData, payload: inject.payload });
      ports.push([inject.name, r.port, r.out?.verification.summary ?? r.error]);
    }
    assert.deepEqual(ports, [
      ['Right answer (prose)', 1, 'Match confirmed'],
      ['Wrong answer (quantity 15, $5 shipping)', 2, '2 mismatches: quantity: expected 5, output says 15; shipping: expected Free, output says $5.00'],
    ]);
  });

  describe('bad input ends in an error, not a verdict', () => {
    const cases: Array<[string, Record<string, unknown>, RegExp]> = [
      ['no inputData', { payload: 'Quantity: 5' }, /msg\.inputData is empty/],
      ['inputData that is not an object', { inputData: 'Quantity 5', payload: 'Quantity: 5' }, /must be a plain object/],
      ['a payload of 10 MB', { inputData: ORDER, payload: 'x'.repeat(10 * 1024 * 1024) }, /larger than 1024 KiB/],
      ['a binary payload', { inputData: ORDER, payload: Buffer.from('Quantity: 5') }, /binary/],
    ];
    for (const [name, msg, message] of cases) {
      it(`rejects ${name}`, async () => {
        await helper.load(matcher, flow());
        const r = await exchange(msg);
        assert.equal(r.port, undefined);
        assert.match(r.error ?? '', message);
        assert.equal(lastStatus().fill, 'red');
      });
    }
  });
});

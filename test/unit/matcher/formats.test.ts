import assert from 'node:assert/strict';
import { matchIO } from '../../../core/matcher';

const ORDER = { Product: 'Laptop', Quantity: 5, Shipping: 'Free' };

function verdict(output: unknown, input: Record<string, unknown> = ORDER) {
  return matchIO(input, output);
}

describe('IO Matcher reads every output format', () => {
  it('reads an object', () => {
    const v = verdict({ product: 'Laptop', quantity: 5, shipping: 'free' });
    assert.equal(v.format, 'object');
    assert.equal(v.match, true);
  });

  it('reads nested objects and {value, unit} pairs', () => {
    const v = matchIO({ flow: '40 L/min' }, { setpoints: { flow: { value: 2.4, unit: 'm3/h' } } });
    assert.equal(v.match, true);
  });

  it('reads JSON text', () => {
    assert.equal(verdict('{"Product":"Laptop","Quantity":5,"Shipping":"Free"}').format, 'json');
  });

  it('reads JSON inside a code fence after prose', () => {
    const v = verdict('Here you go:\n```json\n{"Product": "Laptop", "Quantity": 50, "Shipping": "Free"}\n```\nAnything else?');
    assert.equal(v.format, 'json');
    assert.equal(v.fields.find((f) => f.field === 'Quantity')?.status, 'mismatch');
  });

  it('reads JSON that follows prose without a fence, trailing comma and all', () => {
    const v = verdict('The order is: {"Product": "Laptop", "Quantity": 5, "Shipping": "Free",}');
    assert.equal(v.format, 'json');
    assert.equal(v.match, true);
  });

  it('reads "Key: Value" lines', () => {
    const v = verdict('Product: Laptop\nQuantity: 5\nShipping: Free');
    assert.equal(v.format, 'lines');
    assert.equal(v.match, true);
  });

  it('reads bullets with bold keys and dashes', () => {
    assert.equal(verdict('- **Product:** Laptop\n* Quantity — 5\n1. Shipping = Free').match, true);
  });

  it('reads several pairs on one line', () => {
    assert.equal(verdict('Product: Laptop, Quantity: 5, Shipping: Free').match, true);
  });

  it('takes a unit from the key ("Flow rate (L/min): 40")', () => {
    assert.equal(matchIO({ flow_rate: '40 L/min' }, 'Flow rate (LPM): 40').match, true);
  });

  it('reads a horizontal markdown table', () => {
    const v = verdict('| Product | Quantity | Shipping |\n|---|---|---|\n| Laptop | 15 | Free |');
    assert.equal(v.format, 'table');
    assert.equal(v.fields.find((f) => f.field === 'Quantity')?.status, 'mismatch');
  });

  it('reads a vertical Field | Value table', () => {
    const v = verdict('| Field | Value |\n|---|---|\n| Product | Laptop |\n| Quantity | 5 |\n| Shipping | Free |');
    assert.equal(v.format, 'table');
    assert.equal(v.match, true);
  });

  it('reads prose', () => {
    const v = verdict('I have ordered five laptops for you, and shipping is free of charge.');
    assert.equal(v.format, 'prose');
    assert.equal(v.match, true);
  });
});

describe('IO Matcher in prose', () => {
  it('finds a different value stated for a named field', () => {
    const v = verdict('Your order: quantity 50 laptops, shipping free.');
    assert.equal(v.fields.find((f) => f.field === 'Quantity')?.status, 'mismatch');
  });

  it('reports a field the text never states as missing', () => {
    const v = verdict('Five laptops are on their way.');
    assert.equal(v.fields.find((f) => f.field === 'Shipping')?.status, 'missing');
  });

  it('counts the new value of "from X to Y", not the old one', () => {
    assert.equal(matchIO({ flow: '40 L/min' }, 'Raise the flow from 40 L/min to 45 L/min.').match, false);
    assert.equal(matchIO({ flow: '40 L/min' }, 'Raise the flow from 35 L/min to 40 L/min.').match, true);
  });

  it('sees an id of the same shape with another number as a mismatch', () => {
    const v = matchIO({ gpu_id: 'GPU-3', temp: '32 °C' }, 'Set GPU-8 to 32 °C.');
    assert.equal(v.fields.find((f) => f.field === 'gpu_id')?.status, 'mismatch');
  });

  it('does not take "feel free" as the price', () => {
    const v = verdict('Ordered 5 laptops. Feel free to ask about shipping.');
    assert.equal(v.fields.find((f) => f.field === 'Shipping')?.status, 'missing');
  });

  it('reads "not free" as a mismatch with Free', () => {
    const v = verdict('5 laptops ordered; shipping is not free.');
    assert.equal(v.fields.find((f) => f.field === 'Shipping')?.status, 'mismatch');
  });
});

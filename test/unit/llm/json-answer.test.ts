import assert from 'node:assert/strict';
import { describeErrors, extractJson, validatorFor } from '../../../core/llm/json-answer';

describe('llm/json-answer: extractJson', () => {
  it('parses an answer that is plain JSON', () => {
    assert.deepEqual(extractJson('{"product":"Laptop","quantity":5}'), { ok: true, value: { product: 'Laptop', quantity: 5 } });
  });

  it('takes the JSON out of a ```json fence', () => {
    assert.deepEqual(extractJson('```json\n{"a": 1}\n```'), { ok: true, value: { a: 1 } });
  });

  it('skips leading prose before the JSON', () => {
    assert.deepEqual(extractJson('Sure! Here is the order:\n{"shipping": "Free"}\nLet me know if you need more.'), { ok: true, value: { shipping: 'Free' } });
  });

  it('ignores braces inside strings when finding where the JSON ends', () => {
    assert.deepEqual(extractJson('Result: {"note": "use } carefully", "n": 2} done'), { ok: true, value: { note: 'use } carefully', n: 2 } });
  });

  it('drops a <think> block before the answer', () => {
    assert.deepEqual(extractJson('<think>the user wants {json}</think>\n[1, 2]'), { ok: true, value: [1, 2] });
  });

  it('reports an answer with no JSON in it', () => {
    const r = extractJson('I cannot help with that.');
    assert.equal(r.ok, false);
  });

  it('reports truncated JSON as not JSON', () => {
    assert.equal(extractJson('{"product": "Lap').ok, false);
  });
});

describe('llm/json-answer: schema validation', () => {
  const schema = { type: 'object', properties: { quantity: { type: 'integer' } }, required: ['quantity'], additionalProperties: false };

  it('accepts a value that satisfies the schema', () => {
    assert.equal(validatorFor(schema)({ quantity: 5 }), true);
  });

  it('describes a missing required property by name', () => {
    const v = validatorFor(schema);
    v({});
    assert.deepEqual(describeErrors(v.errors), ['the answer is missing the required property "quantity"']);
  });

  it('describes a property the schema does not allow', () => {
    const v = validatorFor(schema);
    v({ quantity: 5, colour: 'red' });
    assert.match(describeErrors(v.errors).join(), /"colour"/);
  });
});

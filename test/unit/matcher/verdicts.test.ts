import assert from 'node:assert/strict';
import { MatcherInputError, matchIO, rulesFromDialog } from '../../../core/matcher';

const ORDER = { Product: 'Laptop', Quantity: 5, Shipping: 'Free' };
const status = (v: ReturnType<typeof matchIO>, field: string) => v.fields.find((f) => f.field === field)?.status;

describe('IO Matcher field names', () => {
  for (const key of ['quantity', 'QUANTITY', 'Quantity ', 'qty', 'quantity_ordered']) {
    it(`finds Quantity under "${key}"`, () => {
      assert.equal(status(matchIO({ Quantity: 5 }, { [key]: 5 }), 'Quantity'), 'match');
    });
  }
  it('matches snake_case, kebab-case, camelCase and spaced names', () => {
    for (const key of ['supply_temp', 'supply-temp', 'supplyTemp', 'Supply Temperature']) {
      assert.equal(matchIO({ supply_temp: '32 °C' }, { [key]: '32 °C' }).match, true, key);
    }
  });
  it('matches a name through a rule alias', () => {
    const v = matchIO({ gpu_id: 'GPU-3' }, 'Accelerator: GPU-3', { rules: [{ field: 'gpu_id', aliases: ['accelerator'] }] });
    assert.equal(v.match, true);
  });
  it('does not take one field for another with a shared word', () => {
    const v = matchIO({ supply_temp: '32 °C' }, 'Return temp: 32 °C');
    assert.equal(status(v, 'supply_temp'), 'missing');
  });
});

describe('IO Matcher verdicts', () => {
  it('confirms a match in the summary', () => {
    const v = matchIO(ORDER, 'Product: Laptop\nQuantity: 5\nShipping: Free');
    assert.deepEqual([v.match, v.summary, v.score, v.mismatches], [true, 'Match confirmed', 1, 0]);
  });
  it('explains a wrong value in words', () => {
    const v = matchIO(ORDER, 'Product: Laptop\nQuantity: 50\nShipping: Free');
    assert.equal(v.fields.find((f) => f.field === 'Quantity')?.reason, 'Quantity: expected 5, output says 50');
    assert.match(v.summary, /^1 mismatch: Quantity: expected 5, output says 50$/);
  });
  it('reports a dropped field as missing', () => {
    assert.equal(status(matchIO(ORDER, 'Product: Laptop\nQuantity: 5'), 'Shipping'), 'missing');
  });
  it('lets an invented field pass unless strict', () => {
    const out = 'Product: Laptop\nQuantity: 5\nShipping: Free\nWarranty: 3 years';
    const lenient = matchIO(ORDER, out);
    assert.equal(lenient.match, true);
    assert.equal(status(lenient, 'Warranty'), 'extra');
    assert.equal(matchIO(ORDER, out, { strict: true }).match, false);
  });
  it('does not count a "Note:" line as an invented field', () => {
    assert.equal(matchIO(ORDER, 'Product: Laptop\nQuantity: 5\nShipping: Free\nNote: prices exclude VAT', { strict: true }).match, true);
  });
  it('passes without an optional field but fails on a wrong one', () => {
    const rules = [{ field: 'Shipping', required: false }];
    assert.equal(matchIO(ORDER, 'Product: Laptop\nQuantity: 5', { rules }).match, true);
    assert.equal(matchIO(ORDER, 'Product: Laptop\nQuantity: 5\nShipping: $9', { rules }).match, false);
  });
  it('marks an input value that is not of the rule type unverifiable, and fails', () => {
    const v = matchIO({ when: 'soon' }, 'when: soon', { rules: [{ field: 'when', type: 'date' }] });
    assert.deepEqual([status(v, 'when'), v.match], ['unverifiable', false]);
  });
  it('calls an output value of the wrong kind a mismatch', () => {
    assert.equal(status(matchIO(ORDER, 'Product: Laptop\nQuantity: several\nShipping: Free'), 'Quantity'), 'mismatch');
  });
  it('checks list values item by item', () => {
    assert.equal(matchIO({ gpus: ['GPU-1', 'GPU-2'] }, 'GPUs: GPU-2, GPU-1').match, true);
    assert.equal(matchIO({ gpus: ['GPU-1', 'GPU-2'] }, 'GPUs: GPU-1, GPU-3').match, false);
  });
});

describe('IO Matcher refuses bad input with a clear error', () => {
  const code = (fn: () => unknown) => {
    try {
      fn();
    } catch (e) {
      assert.ok(e instanceof MatcherInputError);
      return e.code;
    }
    return 'no error';
  };
  it('refuses missing input data', () => assert.equal(code(() => matchIO(undefined, 'x')), 'no-input'));
  it('refuses input data that is not an object', () => assert.equal(code(() => matchIO(['a'], 'x')), 'input-not-object'));
  it('refuses binary input data', () => assert.equal(code(() => matchIO(Buffer.from('{}'), 'x')), 'binary'));
  it('refuses a binary output', () => assert.equal(code(() => matchIO({ a: 1 }, Buffer.from('a: 1'))), 'binary'));
  it('refuses an output of 10 MB', () => assert.equal(code(() => matchIO({ a: 1 }, 'a: 1\n'.repeat(2_000_000))), 'too-large'));
  it('refuses prototype-polluting keys', () => assert.equal(code(() => matchIO(JSON.parse('{"__proto__": {"x": 1}}'), 'x')), 'unsafe-key'));
  it('refuses rules that are not a list', () => assert.equal(code(() => matchIO({ a: 1 }, 'a: 1', { rules: {} as never })), 'bad-rules'));
});

describe('IO Matcher dialog rules', () => {
  it('turns dialog rows into rules', () => {
    assert.deepEqual(rulesFromDialog([{ field: 'mode', type: 'enum', aliases: 'op mode, m', tolerance: '', unit: '', synonyms: 'auto = automatic, AUTO; manual = hand', required: true }]), [
      { field: 'mode', type: 'enum', aliases: ['op mode', 'm'], synonyms: { auto: ['automatic', 'AUTO'], manual: ['hand'] } },
    ]);
  });
  it('reads "2%" as a relative and "0.5" as an absolute tolerance', () => {
    const [a, b] = rulesFromDialog([{ field: 'a', tolerance: '2%' }, { field: 'b', tolerance: '0.5', required: false }]);
    assert.deepEqual([a.tolerance, b.tolerance, b.required], [{ rel: 0.02 }, { abs: 0.5 }, false]);
  });
});

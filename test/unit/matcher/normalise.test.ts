import assert from 'node:assert/strict';
import { matchIO } from '../../../core/matcher';
import type { MatchRule } from '../../../core/matcher';

function same(input: unknown, output: string, rules?: MatchRule[]): boolean {
  return matchIO({ v: input }, `v: ${output}`, { rules: rules?.map((r) => ({ ...r, field: 'v' })) }).match;
}

describe('IO Matcher normalises values before comparing', () => {
  describe('text', () => {
    it('ignores case', () => assert.ok(same('Laptop', 'LAPTOP')));
    it('folds Unicode compatibility forms (NFKC)', () => assert.ok(same('Laptop', 'Ｌａｐｔｏｐ')));
    it('treats a plural as the same word', () => assert.ok(same('Laptop', 'Laptops')));
    it('ignores separators inside ids', () => assert.ok(same('GPU-3', 'gpu 3')));
    it('keeps different words different', () => assert.equal(same('Laptop', 'Laptop Bag'), false));
  });

  describe('numbers', () => {
    it('reads number words', () => assert.ok(same(5, 'five')));
    it('reads compound number words', () => assert.ok(same(125, 'one hundred and twenty-five')));
    it('reads thousands separators', () => assert.ok(same(1200, '1,200')));
    it('reads full-width digits', () => assert.ok(same(5, '５')));
    it('tells 5 from 15', () => assert.equal(same(5, '15'), false));
    it('applies an absolute tolerance', () => assert.ok(same(100, '100.4', [{ field: 'v', type: 'number', tolerance: { abs: 0.5 } }])));
    it('applies a relative tolerance', () => assert.equal(same(100, '103', [{ field: 'v', type: 'number', tolerance: { rel: 0.02 } }]), false));
  });

  describe('currency', () => {
    it('reads "Free" as $0.00', () => assert.ok(same('Free', '$0.00')));
    it('reads "no charge" as free', () => assert.ok(same('Free', 'no charge')));
    it('tells Free from $5', () => assert.equal(same('Free', '$5'), false));
    it('reads codes and symbols alike', () => assert.ok(same('$1,200.00', '1200 USD')));
    it('tells a different currency apart', () => assert.equal(same('$24.99', '€24.99'), false));
  });

  describe('booleans', () => {
    it('reads yes as true', () => assert.ok(same(true, 'yes')));
    it('reads ✓ as true', () => assert.ok(same(true, '✓')));
    it('reads "false" as false', () => assert.ok(same(false, 'false')));
    it('tells yes from no', () => assert.equal(same(true, 'no'), false));
  });

  describe('quantities, converted with convert-units', () => {
    it('40 L/min = 40 LPM', () => assert.ok(same('40 L/min', '40 LPM')));
    it('32 °C = 89.6 °F', () => assert.ok(same('32 °C', '89.6 °F')));
    it('2 kW = 2000 W', () => assert.ok(same('2 kW', '2000 W')));
    it('40 L/min = 2.4 m³/h', () => assert.ok(same('40 L/min', '2.4 m³/h')));
    it('allows a converted value rounded to the digits written (32 °C ≈ 90 °F)', () => assert.ok(same('32 °C', '90 °F')));
    it('tells 40 °C from 40 °F', () => assert.equal(same('40 °C', '40 °F'), false));
    it('tells litres per minute from litres per hour', () => assert.equal(same('40 L/min', '40 L/h'), false));
    it('does not convert between kinds of quantity', () => assert.equal(same('40 L/min', '40 kW'), false));
    it('takes the rule unit for a bare input number', () => assert.ok(same(32, '89.6 °F', [{ field: 'v', type: 'quantity', unit: '°C' }])));
  });

  describe('dates', () => {
    it('reads ISO against day-month-year words', () => assert.ok(same('2024-07-19', '19 July 2024')));
    it('reads month-first words with a weekday', () => assert.ok(same('2024-07-19', 'Friday, July 19th, 2024')));
    it('reads US numeric dates', () => assert.ok(same('2024-07-19', '07/19/2024')));
    it('reads dotted day-first dates', () => assert.ok(same('2024-07-19', '19.07.2024')));
    it('tells the 17th from the 19th', () => assert.equal(same('2024-07-19', '17 July 2024'), false));
  });

  describe('enums', () => {
    const rules: MatchRule[] = [{ field: 'v', type: 'enum', synonyms: { auto: ['automatic'], manual: ['hand'] } }];
    it('accepts a synonym from the rule', () => assert.ok(same('auto', 'Automatic', rules)));
    it('rejects another enum value', () => assert.equal(same('auto', 'hand', rules), false));
  });
});

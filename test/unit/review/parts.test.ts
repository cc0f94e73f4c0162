import assert from 'node:assert/strict';
import fc from 'fast-check';
import { ExpiryQueue, assessRisk, diff, missingTicks, readTicks, valueAt } from '../../../core/review';

describe('review parts', () => {
  describe('diff', () => {
    it('names changed, added and removed fields by path', () => {
      assert.deepEqual(diff({ a: 1, b: { c: [1, 2] }, d: 'x' }, { a: 2, b: { c: [1, 3] }, e: true }), [
        { path: 'a', kind: 'changed', from: 1, to: 2 },
        { path: 'b.c[1]', kind: 'changed', from: 2, to: 3 },
        { path: 'd', kind: 'removed', from: 'x' },
        { path: 'e', kind: 'added', to: true },
      ]);
    });

    it('finds no change between equal documents', () => {
      fc.assert(fc.property(fc.jsonValue(), (v) => diff(v, structuredClone(v)).length === 0));
    });

    it('compares a string output with an object input as a whole', () => {
      assert.deepEqual(diff({ a: 1 }, 'text'), [
        { path: 'a', kind: 'removed', from: 1 },
        { path: '', kind: 'added', to: 'text' },
      ]);
    });

    it('reads a value back by the path it reports', () => {
      assert.equal(valueAt({ b: { c: [1, 3] } }, 'b.c[1]'), 3);
    });
  });

  describe('checklist', () => {
    it('marks configured items from a list of labels and ignores unknown ones', () => {
      assert.deepEqual(readTicks(['a', 'b'], ['a', 'zzz']), { a: true, b: false });
    });

    it('lists what is still unticked', () => {
      assert.deepEqual(missingTicks({ a: true, b: false }), ['b']);
    });

    it('is complete when nothing is configured', () => {
      assert.deepEqual(missingTicks(readTicks([], undefined)), []);
    });
  });

  describe('low-risk rule', () => {
    const rule = { maxRelativeChange: 0.05 };

    it('holds when every numeric value moves by less than the limit', () => {
      assert.equal(assessRisk({ flow: 104.9, temp: 30 }, { flow: 100, temp: 30 }, rule).lowRisk, true);
    });

    it('fails at the limit itself', () => {
      assert.equal(assessRisk({ flow: 105 }, { flow: 100 }, rule).lowRisk, false);
    });

    it('fails when a value has no baseline', () => {
      assert.match(assessRisk({ flow: 101, temp: 30 }, { flow: 100 }, rule).reason, /temp has no numeric baseline/);
    });

    it('fails when the output has no numeric value', () => {
      assert.equal(assessRisk({ action: 'open' }, { action: 'open' }, rule).lowRisk, false);
    });

    it('looks only at the named fields when fields are given', () => {
      assert.equal(assessRisk({ flow: 101, other: 999 }, { flow: 100, other: 1 }, { ...rule, fields: ['flow'] }).lowRisk, true);
    });

    it('treats any move away from a zero baseline as large', () => {
      assert.equal(assessRisk({ flow: 0.001 }, { flow: 0 }, rule).lowRisk, false);
    });
  });

  describe('expiry queue', () => {
    it('pops deadlines earliest first', () => {
      fc.assert(
        fc.property(fc.array(fc.integer()), (ats) => {
          const q = new ExpiryQueue();
          ats.forEach((at, i) => q.push({ at, id: String(i) }));
          const out: number[] = [];
          for (let d = q.pop(); d; d = q.pop()) out.push(d.at);
          assert.deepEqual(out, [...ats].sort((a, b) => a - b));
        }),
      );
    });
  });
});

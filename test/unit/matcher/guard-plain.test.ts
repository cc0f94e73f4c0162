import assert from 'node:assert/strict';
import { withPlainObjects } from '../../../core/matcher/guard';

describe('matcher/guard withPlainObjects', () => {
  it('returns the very value when nothing in it lacks a prototype', () => {
    const v = { a: [1, { b: 'x' }], c: null };
    assert.equal(withPlainObjects(v), v);
  });

  it('rebuilds only the path to an object without a prototype, which then turns into text', () => {
    const bare = Object.assign(Object.create(null), { n: 1 });
    const kept = { k: 1 };
    const v = { list: [kept, bare], other: kept };
    const out = withPlainObjects(v);
    assert.notEqual(out, v);
    assert.equal(Object.getPrototypeOf(out.list[1]), Object.prototype);
    assert.deepEqual(out.list[1], { n: 1 });
    assert.equal(out.list[0], kept);
    assert.equal(out.other, kept);
    assert.equal(String(out.list), '[object Object],[object Object]');
    // The caller's value is left as it was.
    assert.equal(Object.getPrototypeOf(v.list[1]), null);
  });
});

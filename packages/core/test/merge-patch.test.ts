import { expect } from 'chai';
import fc from 'fast-check';
import { applyMergePatch } from '@isx/core';

describe('applyMergePatch (RFC 7396)', () => {
  // The examples of RFC 7396, appendix A.
  const examples: Array<[unknown, unknown, unknown]> = [
    [{ a: 'b' }, { a: 'c' }, { a: 'c' }],
    [{ a: 'b' }, { b: 'c' }, { a: 'b', b: 'c' }],
    [{ a: 'b' }, { a: null }, {}],
    [{ a: 'b', b: 'c' }, { a: null }, { b: 'c' }],
    [{ a: ['b'] }, { a: 'c' }, { a: 'c' }],
    [{ a: 'c' }, { a: ['b'] }, { a: ['b'] }],
    [{ a: { b: 'c' } }, { a: { b: 'd', c: null } }, { a: { b: 'd' } }],
    [{ a: [{ b: 'c' }] }, { a: [1] }, { a: [1] }],
    [
      ['a', 'b'],
      ['c', 'd'],
      ['c', 'd'],
    ],
    [{ a: 'b' }, ['c'], ['c']],
    [{ a: 'foo' }, null, null],
    [{ a: 'foo' }, 'bar', 'bar'],
    [{ e: null }, { a: 1 }, { e: null, a: 1 }],
    [[1, 2], { a: 'b', c: null }, { a: 'b' }],
    [{}, { a: { bb: { ccc: null } } }, { a: { bb: {} } }],
  ];

  examples.forEach(([target, patch, result], i) => {
    it(`gives the RFC result for example ${i + 1}: ${JSON.stringify(target)} + ${JSON.stringify(patch)}`, () => {
      expect(applyMergePatch(target, patch)).to.deep.equal(result);
    });
  });

  it('removes a field when the patch sets it to null', () => {
    expect(applyMergePatch({ name: 'x', budget: 10 }, { budget: null })).to.deep.equal({ name: 'x' });
  });

  it('merges nested objects field by field', () => {
    const target = { budget: { amount: 10, currency: 'EUR' }, name: 'x' };
    expect(applyMergePatch(target, { budget: { amount: 20 } })).to.deep.equal({
      budget: { amount: 20, currency: 'EUR' },
      name: 'x',
    });
  });

  it('replaces arrays whole rather than merging them', () => {
    expect(applyMergePatch({ tags: ['a', 'b', 'c'] }, { tags: ['z'] })).to.deep.equal({ tags: ['z'] });
  });

  it('changes neither the target nor the patch', () => {
    const target = { a: { b: 1, c: [1, 2] }, d: 'x' };
    const patch = { a: { b: null, e: { f: 1 } }, d: null, g: [3] };
    const targetCopy = structuredClone(target);
    const patchCopy = structuredClone(patch);
    const result = applyMergePatch(target, patch);
    expect(result).to.deep.equal({ a: { c: [1, 2], e: { f: 1 } }, g: [3] });
    expect(target).to.deep.equal(targetCopy);
    expect(patch).to.deep.equal(patchCopy);
    expect(result).to.not.equal(target);
    expect((result as { a: unknown }).a).to.not.equal(target.a);
  });

  it('never changes its arguments, whatever JSON they hold', () => {
    fc.assert(
      fc.property(fc.jsonValue(), fc.jsonValue(), (target, patch) => {
        const targetCopy = structuredClone(target);
        const patchCopy = structuredClone(patch);
        applyMergePatch(target, patch);
        expect(target).to.deep.equal(targetCopy);
        expect(patch).to.deep.equal(patchCopy);
      }),
    );
  });

  it('is idempotent: applying a patch twice gives the same result as once', () => {
    fc.assert(
      fc.property(fc.jsonValue(), fc.jsonValue(), (target, patch) => {
        const once = applyMergePatch(target, patch);
        expect(applyMergePatch(once, patch)).to.deep.equal(once);
      }),
    );
  });
});

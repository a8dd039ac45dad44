import { expect } from 'chai';
import fc from 'fast-check';
import {
  checkCoverage,
  coversExactly,
  hashPartitioner,
  isEmptyRange,
  lexicalPartitioner,
  rangeContains,
  type KeyRange,
} from '@isx/core';

const KEY_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._~:-'.split('');
const keyArb = fc.string({ unit: fc.constantFrom(...KEY_ALPHABET), minLength: 1, maxLength: 40 });

/** Partition keys in the style of the hash partitioner: 8 lowercase hex digits. */
const hexPointArb = fc.integer({ min: 0, max: 0xffffffff }).map((n) => n.toString(16).padStart(8, '0'));
/** Partition keys in the style of the lexical partitioner: short keys. */
const lexicalPointArb = fc.string({ unit: fc.constantFrom(...KEY_ALPHABET), minLength: 1, maxLength: 6 });

/** Sorted, distinct, non-empty split points. */
function splitPoints(point: fc.Arbitrary<string>, minLength = 0): fc.Arbitrary<string[]> {
  return fc
    .uniqueArray(point, { minLength, maxLength: 24 })
    .map((points) => points.filter((p) => p !== '').sort());
}

/** ['', p1), [p1, p2), ..., [pn, ∞): the tiling the split points describe. */
function tiling(points: readonly string[]): KeyRange[] {
  const starts = ['', ...points];
  return starts.map((start, i) => ({ start, end: points[i] ?? null }));
}

const styles = [
  { name: 'hash-style hex', point: hexPointArb },
  { name: 'lexical', point: lexicalPointArb },
] as const;

describe('coverage properties', () => {
  for (const style of styles) {
    describe(`over ${style.name} split points`, () => {
      it('finds nothing wrong with a tiling, whatever order its ranges come in', () => {
        const arb = splitPoints(style.point).chain((points) => {
          const ranges = tiling(points);
          return fc.shuffledSubarray(ranges, { minLength: ranges.length, maxLength: ranges.length });
        });
        fc.assert(
          fc.property(arb, (ranges) => {
            const report = checkCoverage(ranges);
            expect(report).to.deep.equal({ gaps: [], overlaps: [], empty: [], outside: [] });
            expect(coversExactly(report)).to.equal(true);
          }),
        );
      });

      it('puts every key in exactly one range, for both partitioners', () => {
        fc.assert(
          fc.property(
            splitPoints(style.point),
            fc.array(keyArb, { minLength: 1, maxLength: 20 }),
            (points, keys) => {
              const ranges = tiling(points);
              for (const key of keys) {
                for (const partitioner of [hashPartitioner, lexicalPartitioner]) {
                  const partitionKey = partitioner.partitionKey(key);
                  const holders = ranges.filter((range) => rangeContains(range, partitionKey));
                  expect(holders, `${partitioner.name} ${partitionKey}`).to.have.length(1);
                }
              }
            },
          ),
        );
      });

      it('reports the missing range as a gap when one range is removed', () => {
        const arb = splitPoints(style.point, 1).chain((points) =>
          fc.record({ points: fc.constant(points), removed: fc.nat({ max: points.length }) }),
        );
        fc.assert(
          fc.property(arb, ({ points, removed }) => {
            const ranges = tiling(points);
            const missing = ranges[removed]!;
            const report = checkCoverage(ranges.filter((_, i) => i !== removed));
            expect(report.gaps).to.deep.equal([missing]);
            expect(report.overlaps).to.deep.equal([]);
            expect(coversExactly(report)).to.equal(false);
          }),
        );
      });

      it('reports an overlap when one range is given twice', () => {
        const arb = splitPoints(style.point).chain((points) =>
          fc.record({ points: fc.constant(points), doubled: fc.nat({ max: points.length }) }),
        );
        fc.assert(
          fc.property(arb, ({ points, doubled }) => {
            const ranges = tiling(points);
            const report = checkCoverage([...ranges, { ...ranges[doubled]! }]);
            expect(report.overlaps).to.have.length(1);
            expect(report.gaps).to.deep.equal([]);
          }),
        );
      });

      it('reports a gap or an overlap when a boundary moves on one side only', () => {
        // Range i starts at `moved` instead of points[i-1], while range i-1 still ends at points[i-1].
        const arb = splitPoints(style.point, 1).chain((points) =>
          fc.record({
            points: fc.constant(points),
            index: fc.integer({ min: 1, max: points.length }),
            moved: style.point,
          }),
        );
        fc.assert(
          fc.property(arb, ({ points, index, moved }) => {
            const ranges = tiling(points);
            const boundary = ranges[index]!.start;
            const end = ranges[index]!.end;
            fc.pre(moved !== boundary && (end === null || moved < end));
            ranges[index] = { start: moved, end };
            const report = checkCoverage(ranges);
            expect(coversExactly(report)).to.equal(false);
            if (moved > boundary) {
              expect(report.gaps).to.deep.equal([{ start: boundary, end: moved }]);
              expect(report.overlaps).to.deep.equal([]);
            } else {
              expect(report.overlaps).to.not.deep.equal([]);
              expect(report.gaps).to.deep.equal([]);
            }
          }),
        );
      });

      it('reports an overlap when a range is stretched past its neighbour', () => {
        const arb = splitPoints(style.point, 1).chain((points) =>
          fc.record({ points: fc.constant(points), index: fc.nat({ max: points.length - 1 }) }),
        );
        fc.assert(
          fc.property(arb, ({ points, index }) => {
            const ranges = tiling(points);
            ranges[index] = { start: ranges[index]!.start, end: ranges[index + 1]!.end };
            const report = checkCoverage(ranges);
            expect(report.overlaps).to.have.length(1);
            expect(report.gaps).to.deep.equal([]);
          }),
        );
      });
    });
  }

  it('reports exactly the uncovered stretches as gaps, and an overlap whenever two ranges share a key', () => {
    // A model over a small alphabet: the points split the key space into atoms
    // ['', a), [a, b), ..., [e, ∞); a range covers an atom when it contains its first key.
    const points = ['a', 'b', 'c', 'd', 'e'];
    const atoms = ['', ...points];
    const rangeArb = fc.record({
      start: fc.constantFrom('', ...points),
      end: fc.option(fc.constantFrom(...points), { nil: null }),
    });
    fc.assert(
      fc.property(fc.array(rangeArb, { maxLength: 6 }), rangeArb, (ranges, space) => {
        fc.pre(!isEmptyRange(space));
        const report = checkCoverage(ranges, space);
        fc.pre(report.outside.length === 0);
        const live = ranges.filter((range) => !isEmptyRange(range));
        const inSpace = atoms.filter((atom) => rangeContains(space, atom));
        const uncovered = inSpace.filter((atom) => !live.some((range) => rangeContains(range, atom)));
        const inGaps = inSpace.filter((atom) => report.gaps.some((gap) => rangeContains(gap, atom)));
        expect(inGaps).to.deep.equal(uncovered);
        const shared = atoms.some((atom) => live.filter((range) => rangeContains(range, atom)).length > 1);
        expect(report.overlaps.length > 0).to.equal(shared);
        for (const [a, b] of report.overlaps) {
          expect(atoms.some((atom) => rangeContains(a, atom) && rangeContains(b, atom))).to.equal(true);
        }
        expect(report.empty).to.deep.equal(ranges.filter(isEmptyRange));
      }),
      { numRuns: 2000 },
    );
  });

  it('finds nothing wrong with a tiling of the lexical key space [a, {)', () => {
    const space: KeyRange = { start: 'a', end: '{' };
    const inner = fc.string({
      unit: fc.constantFrom(...'abcdefghijklmnopqrstuvwxyz'.split('')),
      maxLength: 5,
    });
    fc.assert(
      fc.property(fc.uniqueArray(inner.map((s) => `b${s}`)), (raw) => {
        const points = [...raw].sort();
        const starts = ['a', ...points];
        const ranges = starts.map((start, i) => ({ start, end: points[i] ?? '{' }));
        expect(coversExactly(checkCoverage(ranges, space))).to.equal(true);
      }),
    );
  });
});

import { expect } from 'chai';
import {
  checkCoverage,
  compareEnds,
  compareRanges,
  coversExactly,
  describeCoverage,
  formatRange,
  FULL_RANGE,
  isEmptyRange,
  rangeContains,
  type KeyRange,
} from '@isx/core';

const r = (start: string, end: string | null): KeyRange => ({ start, end });

describe('KeyRange', () => {
  describe('rangeContains', () => {
    it('includes the start and excludes the end', () => {
      expect(rangeContains(r('b', 'd'), 'b')).to.equal(true);
      expect(rangeContains(r('b', 'd'), 'c')).to.equal(true);
      expect(rangeContains(r('b', 'd'), 'czzz')).to.equal(true);
      expect(rangeContains(r('b', 'd'), 'd')).to.equal(false);
      expect(rangeContains(r('b', 'd'), 'a')).to.equal(false);
    });

    it('treats an end of null as beyond every key', () => {
      expect(rangeContains(r('n', null), 'zzzzzzzz')).to.equal(true);
      expect(rangeContains(r('n', null), '~~~')).to.equal(true);
      expect(rangeContains(r('n', null), 'm')).to.equal(false);
    });

    it("treats '' as the lowest key, so the full range holds everything", () => {
      expect(rangeContains(FULL_RANGE, '')).to.equal(true);
      expect(rangeContains(FULL_RANGE, '00000000')).to.equal(true);
      expect(rangeContains(FULL_RANGE, 'ffffffff')).to.equal(true);
      expect(rangeContains(r('', 'a'), '')).to.equal(true);
    });

    it('compares by code unit, so capitals sort before lowercase letters', () => {
      expect(rangeContains(r('a', 'n'), 'Zed')).to.equal(false);
      expect(rangeContains(r('A', 'a'), 'Zed')).to.equal(true);
    });
  });

  describe('isEmptyRange', () => {
    it('is true when the end is at or below the start', () => {
      expect(isEmptyRange(r('b', 'b'))).to.equal(true);
      expect(isEmptyRange(r('c', 'b'))).to.equal(true);
      expect(isEmptyRange(r('', ''))).to.equal(true);
    });

    it('is false for a range that holds a key, including an unbounded one', () => {
      expect(isEmptyRange(r('b', 'c'))).to.equal(false);
      expect(isEmptyRange(r('zzz', null))).to.equal(false);
      expect(isEmptyRange(FULL_RANGE)).to.equal(false);
    });
  });

  describe('compareRanges', () => {
    it('orders by start first', () => {
      expect(compareRanges(r('a', 'z'), r('b', 'c'))).to.be.below(0);
      expect(compareRanges(r('b', 'c'), r('a', 'z'))).to.be.above(0);
    });

    it('orders equal starts by end, with null last', () => {
      expect(compareRanges(r('a', 'b'), r('a', 'c'))).to.be.below(0);
      expect(compareRanges(r('a', null), r('a', 'c'))).to.be.above(0);
      expect(compareRanges(r('a', 'c'), r('a', null))).to.be.below(0);
      expect(compareRanges(r('a', null), r('a', null))).to.equal(0);
      expect(compareRanges(r('a', 'c'), r('a', 'c'))).to.equal(0);
    });

    it('sorts a shuffled tiling back into order', () => {
      const sorted = [r('', 'g'), r('g', 'n'), r('n', 't'), r('t', null)];
      const shuffled = [sorted[2]!, sorted[0]!, sorted[3]!, sorted[1]!];
      expect(shuffled.sort(compareRanges)).to.deep.equal(sorted);
    });
  });

  describe('compareEnds', () => {
    it('puts null above every string', () => {
      expect(compareEnds(null, 'zzzz')).to.equal(1);
      expect(compareEnds('zzzz', null)).to.equal(-1);
      expect(compareEnds(null, null)).to.equal(0);
      expect(compareEnds('a', 'b')).to.equal(-1);
    });
  });

  describe('formatRange', () => {
    it('writes a bounded range with quoted ends', () => {
      expect(formatRange(r('a', 'n'))).to.equal('["a", "n")');
    });

    it('writes an unbounded end as infinity', () => {
      expect(formatRange(r('n', null))).to.equal('["n", ∞)');
      expect(formatRange(FULL_RANGE)).to.equal('["", ∞)');
    });
  });

  describe('checkCoverage', () => {
    it('finds nothing wrong with a clean tiling, in any order', () => {
      const report = checkCoverage([r('n', null), r('', 'g'), r('g', 'n')]);
      expect(report).to.deep.equal({ gaps: [], overlaps: [], empty: [], outside: [] });
      expect(coversExactly(report)).to.equal(true);
      expect(describeCoverage(report)).to.deep.equal([]);
    });

    it('accepts a single range over the whole space', () => {
      expect(coversExactly(checkCoverage([FULL_RANGE]))).to.equal(true);
    });

    it('reports a gap between two ranges', () => {
      const report = checkCoverage([r('', 'g'), r('h', null)]);
      expect(report.gaps).to.deep.equal([r('g', 'h')]);
      expect(report.overlaps).to.deep.equal([]);
      expect(coversExactly(report)).to.equal(false);
      expect(describeCoverage(report)).to.deep.equal(['gap: no range covers ["g", "h")']);
    });

    it('reports a gap at the start and at the end of the space', () => {
      const report = checkCoverage([r('b', 'x')]);
      expect(report.gaps).to.deep.equal([r('', 'b'), r('x', null)]);
    });

    it('reports the whole space as a gap when there are no ranges', () => {
      expect(checkCoverage([]).gaps).to.deep.equal([FULL_RANGE]);
    });

    it('reports two ranges that overlap', () => {
      const report = checkCoverage([r('', 'h'), r('g', null)]);
      expect(report.overlaps).to.deep.equal([[r('', 'h'), r('g', null)]]);
      expect(report.gaps).to.deep.equal([]);
      expect(describeCoverage(report)).to.deep.equal(['overlap: ["", "h") and ["g", ∞)']);
    });

    it('reports a range that lies inside another as an overlap', () => {
      const report = checkCoverage([FULL_RANGE, r('c', 'd')]);
      expect(report.overlaps).to.deep.equal([[FULL_RANGE, r('c', 'd')]]);
    });

    it('reports the same range given twice as an overlap', () => {
      const report = checkCoverage([r('', 'n'), r('', 'n'), r('n', null)]);
      expect(report.overlaps).to.have.length(1);
      expect(report.gaps).to.deep.equal([]);
    });

    it('reports an empty range and a range whose end is below its start', () => {
      const report = checkCoverage([r('', 'n'), r('n', 'n'), r('q', 'p'), r('n', null)]);
      expect(report.empty).to.deep.equal([r('n', 'n'), r('q', 'p')]);
      expect(report.gaps).to.deep.equal([]);
      expect(report.overlaps).to.deep.equal([]);
      expect(describeCoverage(report)).to.include('empty range ["n", "n")');
    });

    it('reports ranges that reach outside the key space', () => {
      const space = r('a', '{');
      const report = checkCoverage([r('', 'n'), r('n', null)], space);
      expect(report.outside).to.deep.equal([r('', 'n'), r('n', null)]);
      expect(coversExactly(report)).to.equal(false);
      expect(describeCoverage(report)).to.include('range ["n", ∞) reaches outside the key space');
    });

    it('accepts a tiling of a bounded key space', () => {
      const space = r('a', '{');
      expect(coversExactly(checkCoverage([r('a', 'n'), r('n', '{')], space))).to.equal(true);
    });

    it('reports a gap at the end of a bounded key space', () => {
      const report = checkCoverage([r('a', 'n'), r('n', 'x')], r('a', '{'));
      expect(report.gaps).to.deep.equal([r('x', '{')]);
      expect(report.outside).to.deep.equal([]);
    });

    it('does not call two disjoint ranges below the key space an overlap', () => {
      // [a, c) and [d, ∞) share no key; both start below the space, which is what is wrong.
      const report = checkCoverage([r('a', 'c'), r('d', null)], r('m', null));
      expect(report.outside).to.deep.equal([r('a', 'c'), r('d', null)]);
      expect(report.overlaps).to.deep.equal([]);
    });
  });
});

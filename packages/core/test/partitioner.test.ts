import { expect } from 'chai';
import fc from 'fast-check';
import { hashPartitioner, lexicalPartitioner, partitionerFor, rangeContains, type KeyRange } from '@isx/core';

const KEY_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._~:-'.split('');
const keyArb = fc.string({ unit: fc.constantFrom(...KEY_ALPHABET), minLength: 1, maxLength: 64 });

/** Eight equal ranges over the 32-bit hash space: ['', '20000000'), ..., ['e0000000', ∞). */
function eightHashRanges(): KeyRange[] {
  const bounds = Array.from({ length: 7 }, (_, i) => ((i + 1) * 0x20000000).toString(16).padStart(8, '0'));
  return ['', ...bounds].map((start, i) => ({ start, end: bounds[i] ?? null }));
}

describe('partitioners', () => {
  describe('hash', () => {
    it('maps any key to exactly 8 lowercase hex digits', () => {
      fc.assert(
        fc.property(fc.string({ unit: 'grapheme', minLength: 0, maxLength: 64 }), (key) => {
          expect(hashPartitioner.partitionKey(key)).to.match(/^[0-9a-f]{8}$/);
        }),
      );
    });

    it('pads small hashes with leading zeros', () => {
      const keys = Array.from({ length: 5000 }, (_, i) => `k${i}`);
      const partitionKeys = keys.map((k) => hashPartitioner.partitionKey(k));
      expect(partitionKeys.some((p) => p.startsWith('0'))).to.equal(true);
      for (const p of partitionKeys) expect(p).to.have.length(8);
    });

    it('is deterministic', () => {
      fc.assert(
        fc.property(keyArb, (key) => {
          const copy = [...key].join('');
          expect(hashPartitioner.partitionKey(copy)).to.equal(hashPartitioner.partitionKey(key));
        }),
      );
    });

    it('keeps its pinned values, so stored entities never change shard', () => {
      // Computed independently from FNV-1a over UTF-8 followed by the murmur3 finaliser.
      expect(hashPartitioner.partitionKey('spring-sale')).to.equal('d5b45ff5');
      expect(hashPartitioner.partitionKey('a')).to.equal('1a80b1b3');
      expect(hashPartitioner.partitionKey('K')).to.equal('ec217097');
    });

    it('sends keys that differ in one character to different partition keys', () => {
      expect(hashPartitioner.partitionKey('user-1')).to.not.equal(hashPartitioner.partitionKey('user-2'));
      expect(hashPartitioner.partitionKey('a')).to.not.equal(hashPartitioner.partitionKey('b'));
    });

    it('spreads 10,000 keys over 8 equal hash ranges with 10% to 15% in each', () => {
      const ranges = eightHashRanges();
      const counts = ranges.map(() => 0);
      for (let i = 0; i < 10_000; i += 1) {
        const partitionKey = hashPartitioner.partitionKey(`campaign-${i}`);
        const index = ranges.findIndex((r) => rangeContains(r, partitionKey));
        expect(index).to.be.at.least(0);
        counts[index]! += 1;
      }
      for (const count of counts) {
        expect(count).to.be.within(1000, 1500);
      }
    });

    it('spreads sequential numeric keys as evenly as named ones', () => {
      const ranges = eightHashRanges();
      const counts = ranges.map(() => 0);
      for (let i = 0; i < 10_000; i += 1) {
        const partitionKey = hashPartitioner.partitionKey(String(i));
        counts[ranges.findIndex((r) => rangeContains(r, partitionKey))]! += 1;
      }
      for (const count of counts) expect(count).to.be.within(1000, 1500);
    });
  });

  describe('lexical', () => {
    it('uses the key itself as the partition key', () => {
      fc.assert(
        fc.property(keyArb, (key) => {
          expect(lexicalPartitioner.partitionKey(key)).to.equal(key);
        }),
      );
    });

    it('keeps the order of keys, so a-m and n-z split like a phone book', () => {
      const firstHalf: KeyRange = { start: 'a', end: 'n' };
      expect(rangeContains(firstHalf, lexicalPartitioner.partitionKey('mallory'))).to.equal(true);
      expect(rangeContains(firstHalf, lexicalPartitioner.partitionKey('nancy'))).to.equal(false);
    });
  });

  describe('partitionerFor', () => {
    it('returns the partitioner of the given name', () => {
      expect(partitionerFor('hash')).to.equal(hashPartitioner);
      expect(partitionerFor('lexical')).to.equal(lexicalPartitioner);
      expect(partitionerFor('hash').name).to.equal('hash');
      expect(partitionerFor('lexical').name).to.equal('lexical');
    });
  });
});

import { expect } from 'chai';
import { isValidKey, isValidTypeName, keyProblem, MAX_KEY_LENGTH, parseKey } from '@isx/core';

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (error) {
    return (error as { code?: string }).code;
  }
  return undefined;
}

describe('keys', () => {
  describe('parseKey', () => {
    it('returns a valid key unchanged', () => {
      expect(parseKey('spring-sale_2024.v1~draft:7')).to.equal('spring-sale_2024.v1~draft:7');
    });

    it('normalises the Kelvin sign to the letter K, which is then valid', () => {
      expect('\u212A').to.not.equal('K');
      expect(parseKey('\u212A')).to.equal('K');
      expect(parseKey('\u212Aelvin-1')).to.equal('Kelvin-1');
      expect(isValidKey('\u212A')).to.equal(true);
    });

    it('refuses an empty key with INVALID_KEY', () => {
      expect(codeOf(() => parseKey(''))).to.equal('INVALID_KEY');
      expect(keyProblem('')).to.match(/empty/);
    });

    it('accepts a key of exactly 256 characters', () => {
      expect(MAX_KEY_LENGTH).to.equal(256);
      const key = 'a'.repeat(256);
      expect(parseKey(key)).to.equal(key);
      expect(isValidKey(key)).to.equal(true);
    });

    it('refuses a key of 257 characters and says how long it was', () => {
      const key = 'a'.repeat(257);
      expect(codeOf(() => parseKey(key))).to.equal('INVALID_KEY');
      expect(keyProblem(key)).to.match(/257/);
    });

    it('counts length after normalisation', () => {
      expect(isValidKey('a'.repeat(255) + '\u212A')).to.equal(true);
      expect(isValidKey('a'.repeat(256) + '\u212A')).to.equal(false);
    });

    for (const [label, key] of [
      ['a space', 'a b'],
      ['a slash', 'a/b'],
      ['a percent sign', 'a%20b'],
      ['a question mark', 'a?b'],
      ['a hash', 'a#b'],
      ['a non-ASCII letter', 'café'],
      ['a letter with a combining accent', 'cafe\u0301'],
      ['Cyrillic letters', 'ключ'],
      ['an emoji', 'key-\u{1F600}'],
      ['a newline', 'a\nb'],
      ['a NUL character', 'a\u0000b'],
    ] as const) {
      it(`refuses a key holding ${label}`, () => {
        expect(isValidKey(key)).to.equal(false);
        expect(keyProblem(key)).to.match(/only the characters/);
        expect(codeOf(() => parseKey(key))).to.equal('INVALID_KEY');
      });
    }

    it('carries the offending key in the error details', () => {
      try {
        parseKey('a b');
        expect.fail('parseKey should have thrown');
      } catch (error) {
        const err = error as { code: string; status: number; details: { key: string } };
        expect(err.code).to.equal('INVALID_KEY');
        expect(err.status).to.equal(400);
        expect(err.details.key).to.equal('a b');
      }
    });

    it('accepts every character of the key alphabet', () => {
      const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._~:-';
      expect(parseKey(alphabet)).to.equal(alphabet);
    });
  });

  describe('isValidTypeName', () => {
    it('accepts lowercase words joined by hyphens', () => {
      expect(isValidTypeName('campaign')).to.equal(true);
      expect(isValidTypeName('ad-group2')).to.equal(true);
    });

    it('refuses names with capitals, a leading digit, underscores or more than 63 characters', () => {
      expect(isValidTypeName('Campaign')).to.equal(false);
      expect(isValidTypeName('2fa')).to.equal(false);
      expect(isValidTypeName('ad_group')).to.equal(false);
      expect(isValidTypeName('')).to.equal(false);
      expect(isValidTypeName('a'.repeat(63))).to.equal(true);
      expect(isValidTypeName('a'.repeat(64))).to.equal(false);
    });
  });
});

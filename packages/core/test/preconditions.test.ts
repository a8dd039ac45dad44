import { expect } from 'chai';
import { checkIfMatch, parseIfMatch, versionEtag, type IfMatch } from '@isx/core';

interface ErrorShape {
  code: string;
  status: number;
  details?: { currentVersion: number | null };
}

function errorOf(fn: () => unknown): ErrorShape | undefined {
  try {
    fn();
  } catch (error) {
    return error as ErrorShape;
  }
  return undefined;
}

describe('preconditions', () => {
  describe('versionEtag', () => {
    it('formats a version as a strong ETag', () => {
      expect(versionEtag(3)).to.equal('"3"');
    });

    it('gives a value that parseIfMatch reads back', () => {
      expect(parseIfMatch(versionEtag(42))).to.deep.equal({ kind: 'versions', versions: [42] });
    });
  });

  describe('parseIfMatch', () => {
    it('returns undefined when the request has no If-Match', () => {
      expect(parseIfMatch(undefined)).to.equal(undefined);
    });

    it('reads a quoted version', () => {
      expect(parseIfMatch('"3"')).to.deep.equal({ kind: 'versions', versions: [3] });
    });

    it('reads a bare version', () => {
      expect(parseIfMatch('3')).to.deep.equal({ kind: 'versions', versions: [3] });
      expect(parseIfMatch(' 12 ')).to.deep.equal({ kind: 'versions', versions: [12] });
    });

    it('reads a list of versions', () => {
      expect(parseIfMatch('"1", "2",3')).to.deep.equal({ kind: 'versions', versions: [1, 2, 3] });
    });

    it('reads * as "the entity exists"', () => {
      expect(parseIfMatch('*')).to.deep.equal({ kind: 'any' });
      expect(parseIfMatch(' * ')).to.deep.equal({ kind: 'any' });
    });

    for (const header of [
      '',
      ' ',
      'abc',
      '"abc"',
      '-1',
      '"1.5"',
      '1,,2',
      '1;2',
      '*, "3"',
      '"1" "2"',
      '1234567890123456',
    ]) {
      it(`refuses ${JSON.stringify(header)} with INVALID_PRECONDITION rather than ignoring it`, () => {
        const err = errorOf(() => parseIfMatch(header));
        expect(err?.code).to.equal('INVALID_PRECONDITION');
        expect(err?.status).to.equal(400);
      });
    }
  });

  describe('checkIfMatch', () => {
    const v = (...versions: number[]): IfMatch => ({ kind: 'versions', versions });

    it('lets any write through when there is no condition', () => {
      expect(errorOf(() => checkIfMatch(undefined, undefined))).to.equal(undefined);
      expect(errorOf(() => checkIfMatch(undefined, 5))).to.equal(undefined);
    });

    it('passes when the current version is the one given, or one of a list', () => {
      expect(errorOf(() => checkIfMatch(v(3), 3))).to.equal(undefined);
      expect(errorOf(() => checkIfMatch(v(1, 3, 5), 3))).to.equal(undefined);
    });

    it('passes * when the entity exists', () => {
      expect(errorOf(() => checkIfMatch({ kind: 'any' }, 1))).to.equal(undefined);
    });

    it('fails with PRECONDITION_FAILED and the current version when the versions differ', () => {
      const err = errorOf(() => checkIfMatch(v(2), 3));
      expect(err?.code).to.equal('PRECONDITION_FAILED');
      expect(err?.status).to.equal(412);
      expect(err?.details?.currentVersion).to.equal(3);
    });

    it('fails * and versions alike when the entity does not exist', () => {
      const any = errorOf(() => checkIfMatch({ kind: 'any' }, undefined));
      expect(any?.code).to.equal('PRECONDITION_FAILED');
      expect(any?.details?.currentVersion).to.equal(null);
      expect(errorOf(() => checkIfMatch(v(1), undefined))?.code).to.equal('PRECONDITION_FAILED');
    });

    it('works end to end from the header text', () => {
      expect(errorOf(() => checkIfMatch(parseIfMatch('"7"'), 7))).to.equal(undefined);
      expect(errorOf(() => checkIfMatch(parseIfMatch('7'), 8))?.code).to.equal('PRECONDITION_FAILED');
    });
  });
});

import { expect } from 'chai';
import { parseEntityPath } from '@isx/core';

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (error) {
    return (error as { code?: string }).code;
  }
  return undefined;
}

describe('parseEntityPath', () => {
  it('splits /type/key into type and key with no rest', () => {
    expect(parseEntityPath('/campaign/spring-sale')).to.deep.equal({
      type: 'campaign',
      key: 'spring-sale',
      rest: [],
    });
  });

  it('reads /type alone with no key', () => {
    expect(parseEntityPath('/campaign')).to.deep.equal({ type: 'campaign', key: undefined, rest: [] });
  });

  it('returns undefined for the root path', () => {
    expect(parseEntityPath('/')).to.equal(undefined);
    expect(parseEntityPath('')).to.equal(undefined);
    expect(parseEntityPath('/?x=1')).to.equal(undefined);
  });

  it('puts the segments after the key into rest', () => {
    expect(parseEntityPath('/campaign/spring/history/3')).to.deep.equal({
      type: 'campaign',
      key: 'spring',
      rest: ['history', '3'],
    });
  });

  it('ignores the query string', () => {
    expect(parseEntityPath('/campaign/spring?fields=name&x=/y')).to.deep.equal({
      type: 'campaign',
      key: 'spring',
      rest: [],
    });
    expect(parseEntityPath('/campaign?limit=5')?.key).to.equal(undefined);
  });

  it('percent-decodes the key', () => {
    expect(parseEntityPath('/campaign/%73pring%3A1')?.key).to.equal('spring:1');
  });

  it('normalises a decoded key, so an encoded Kelvin sign becomes K', () => {
    expect(parseEntityPath('/campaign/%E2%84%AA')?.key).to.equal('K');
  });

  it('refuses a key that is not valid percent-encoding with INVALID_KEY', () => {
    expect(codeOf(() => parseEntityPath('/campaign/a%ZZ'))).to.equal('INVALID_KEY');
    expect(codeOf(() => parseEntityPath('/campaign/%E2%84'))).to.equal('INVALID_KEY');
    expect(codeOf(() => parseEntityPath('/campaign/100%'))).to.equal('INVALID_KEY');
  });

  it('refuses a key that decodes to forbidden characters with INVALID_KEY', () => {
    expect(codeOf(() => parseEntityPath('/campaign/a%20b'))).to.equal('INVALID_KEY');
    expect(codeOf(() => parseEntityPath('/campaign/a%2Fb'))).to.equal('INVALID_KEY');
    expect(codeOf(() => parseEntityPath(`/campaign/${'a'.repeat(257)}`))).to.equal('INVALID_KEY');
  });
});

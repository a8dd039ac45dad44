import { expect } from 'chai';
import { LOG_LEVEL_ENV, logLevelFrom, requestIdFrom, requestIdSchema } from '@isx/core';

describe('request ids', () => {
  const fresh = (): string => 'fresh-id';

  it('keeps a sane id the caller sent', () => {
    expect(requestIdFrom('test-abc-123', fresh)).to.equal('test-abc-123');
    expect(requestIdFrom('a.b_c:d-9', fresh)).to.equal('a.b_c:d-9');
    expect(requestIdFrom('x'.repeat(128), fresh)).to.equal('x'.repeat(128));
  });

  it('replaces an id that is missing, empty, too long, sent twice or has other characters', () => {
    for (const bad of [undefined, '', 'x'.repeat(129), 'has spaces', 'semi;colon', 'ünï', ['a', 'b']]) {
      expect(requestIdFrom(bad, fresh), JSON.stringify(bad)).to.equal('fresh-id');
    }
  });

  it('makes fresh ids that pass its own schema, and different ones each time', () => {
    const a = requestIdFrom(undefined);
    const b = requestIdFrom(undefined);
    expect(requestIdSchema.safeParse(a).success).to.equal(true);
    expect(a).to.not.equal(b);
  });
});

describe('the log level from the environment', () => {
  it('takes --log-level over ISX_LOG_LEVEL', () => {
    expect(logLevelFrom('warn', { [LOG_LEVEL_ENV]: 'debug' })).to.equal('warn');
  });

  it('takes ISX_LOG_LEVEL, in any case, when --log-level is not given', () => {
    expect(logLevelFrom(undefined, { [LOG_LEVEL_ENV]: 'debug' })).to.equal('debug');
    expect(logLevelFrom(undefined, { [LOG_LEVEL_ENV]: ' TRACE ' })).to.equal('trace');
  });

  it('leaves the flag set its default when neither is given', () => {
    expect(logLevelFrom(undefined, {})).to.equal(undefined);
    expect(logLevelFrom(undefined, { [LOG_LEVEL_ENV]: '' })).to.equal(undefined);
  });

  it('refuses a bad ISX_LOG_LEVEL in one line that names it', () => {
    expect(() => logLevelFrom(undefined, { [LOG_LEVEL_ENV]: 'loud' }))
      .to.throw(/^ISX_LOG_LEVEL must be one of .*debug.*; it is "loud"\.$/)
      .with.property('code', 'INVALID_CONFIG');
  });

  it('does not look at ISX_LOG_LEVEL when the flag is given, even a bad one', () => {
    expect(logLevelFrom('info', { [LOG_LEVEL_ENV]: 'loud' })).to.equal('info');
  });
});

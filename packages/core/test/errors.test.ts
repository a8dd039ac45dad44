import { expect } from 'chai';
import fc from 'fast-check';
import {
  ERROR_STATUS,
  errorBodySchema,
  errorFromBody,
  isIsxError,
  IsxError,
  RetryableError,
  validationError,
  type ErrorCode,
} from '@isx/core';
import { z } from 'zod';

const CODES = Object.keys(ERROR_STATUS) as ErrorCode[];
/** Codes whose failures retrying cannot fix, whoever sends them. */
const TERMINAL_CODES: ErrorCode[] = [
  'INVALID_JSON',
  'VALIDATION_FAILED',
  'NOT_FOUND',
  'PRECONDITION_FAILED',
  'INTERNAL',
];

describe('errors', () => {
  it('carries the code, the status of the code and the details', () => {
    const err = new IsxError('NOT_FOUND', 'No campaign has the key "x".', { details: { key: 'x' } });
    expect(err.code).to.equal('NOT_FOUND');
    expect(err.status).to.equal(404);
    expect(err.details).to.deep.equal({ key: 'x' });
    expect(err.retryable).to.equal(false);
    expect(err).to.be.an('error');
  });

  it('marks a RetryableError as retryable, with a default delay', () => {
    const err = new RetryableError('NODE_UNAVAILABLE', 'down');
    expect(err.retryable).to.equal(true);
    expect(err.retryAfterMs).to.equal(100);
    expect(new RetryableError('NODE_UNAVAILABLE', 'down', { retryAfterMs: 5 }).retryAfterMs).to.equal(5);
  });

  it('keeps the cause on the error but never puts it on the wire', () => {
    const cause = new Error('disk said no at /var/secret/path');
    const err = new IsxError('INTERNAL', 'failed', { cause });
    expect(err.cause).to.equal(cause);
    expect(JSON.stringify(err.toBody())).to.not.include('secret');
  });

  it('never puts a stack trace into the envelope, for any code, message and details', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...CODES),
        fc.string(),
        fc.option(fc.jsonValue(), { nil: undefined }),
        fc.boolean(),
        (code, message, details, retryable) => {
          const err = retryable
            ? new RetryableError(code, message, { details, cause: new Error('inner') })
            : new IsxError(code, message, { details, cause: new Error('inner') });
          const body = err.toBody();
          const text = JSON.stringify(body);
          expect(err.stack).to.be.a('string');
          expect(body.error).to.not.have.property('stack');
          expect(body.error).to.not.have.property('cause');
          expect(text).to.not.include('errors.test.ts');
          expect(text).to.not.include('    at ');
          expect(errorBodySchema.safeParse(body).success).to.equal(true);
        },
      ),
    );
  });

  it('writes retryable only when it is true', () => {
    expect(new IsxError('NOT_FOUND', 'x').toBody()).to.deep.equal({
      error: { code: 'NOT_FOUND', message: 'x' },
    });
    expect(new RetryableError('NODE_TIMEOUT', 'y').toBody().error.retryable).to.equal(true);
  });

  it('round-trips the code, message, details and retryable flag of every error through its envelope', () => {
    for (const code of CODES) {
      const retryable = new RetryableError(code, `msg ${code}`, { details: { n: 1 } });
      const back = errorFromBody(retryable.toBody());
      expect(back.code).to.equal(code);
      expect(back.message).to.equal(`msg ${code}`);
      expect(back.details).to.deep.equal({ n: 1 });
      expect(back.retryable, code).to.equal(true);
      expect(back.status).to.equal(ERROR_STATUS[code]);

      expect(errorFromBody(new IsxError(code, 'm').toBody()).code).to.equal(code);
    }
  });

  it('round-trips a terminal error as not retryable', () => {
    for (const code of TERMINAL_CODES) {
      const back = errorFromBody(new IsxError(code, 'm').toBody());
      expect(back.code).to.equal(code);
      expect(back.retryable, code).to.equal(false);
    }
  });

  it('treats WRONG_SHARD from a peer as retryable even without the flag', () => {
    const err = errorFromBody({ error: { code: 'WRONG_SHARD', message: 'moved' } });
    expect(err.retryable).to.equal(true);
    expect(err.status).to.equal(421);
  });

  it('maps a code it does not know to NODE_ERROR', () => {
    const err = errorFromBody({ error: { code: 'TEAPOT', message: 'short and stout' } });
    expect(err.code).to.equal('NODE_ERROR');
    expect(err.message).to.equal('short and stout');
  });

  it('keeps the status the peer actually answered with', () => {
    const err = errorFromBody({ error: { code: 'INTERNAL', message: 'x' } }, 503);
    expect(err.code).to.equal('INTERNAL');
    expect(err.status).to.equal(503);
    expect(errorFromBody({ error: { code: 'INTERNAL', message: 'x' } }).status).to.equal(500);
  });

  it('recognises its errors by shape rather than by class', () => {
    expect(isIsxError(new IsxError('CONFLICT', 'x'))).to.equal(true);
    expect(isIsxError(errorFromBody({ error: { code: 'CONFLICT', message: 'x' } }))).to.equal(true);
    const lookalike = Object.assign(new Error('x'), { code: 'CONFLICT', status: 409, toBody: () => ({}) });
    expect(isIsxError(lookalike)).to.equal(true);
    expect(isIsxError(Object.assign(new Error('x'), { code: 'ENOENT' }))).to.equal(false);
    expect(isIsxError({ code: 'CONFLICT', status: 409, toBody: () => ({}) })).to.equal(false);
  });

  it('turns a zod failure into VALIDATION_FAILED with one issue per problem', () => {
    const result = z.strictObject({ name: z.string(), budget: z.number() }).safeParse({ name: 1 });
    expect(result.success).to.equal(false);
    const err = validationError(result.error!, 'campaign body');
    expect(err.code).to.equal('VALIDATION_FAILED');
    expect(err.status).to.equal(400);
    expect(err.message).to.match(/^The campaign body is not valid \(name: /);
    const details = err.details as { issues: Array<{ path: string }> };
    expect(details.issues.map((i) => i.path)).to.deep.equal(['name', 'budget']);
  });
});

/**
 * Every kind of bad input of issue 2, sent through a real router to real nodes: each gets
 * its documented 4xx and error code, no stack trace, and leaves the stored entity exactly
 * as it was.
 */
import { expect } from 'chai';
import { expectError, raw, type RawRequest } from './support/http.js';
import { startTestCluster, type TestCluster } from './support/cluster.js';

const valid = {
  name: 'Baseline',
  status: 'active',
  budgetCents: 1_000,
  startsAt: '2026-01-01',
  endsAt: '2026-02-01',
};

describe('bad input through the router', function () {
  let test: TestCluster;
  let router: string;

  before(async function () {
    test = await startTestCluster({ nodes: 2, partitioner: 'lexical' });
    router = test.cluster.routerUrl;
    for (const key of ['target', 'north']) {
      expect((await raw(router, 'PUT', `/campaign/${key}`, { body: valid })).status).to.equal(200);
    }
  });
  after(async function () {
    await test?.dispose();
  });

  /** Sends a bad request to an existing entity and checks the answer and that nothing changed. */
  async function refused(
    method: string,
    key: string,
    request: RawRequest,
    status: number,
    code: string,
  ): Promise<void> {
    const before = await raw(router, 'GET', `/campaign/${key}`);
    expect(before.status).to.equal(200);
    expectError(await raw(router, method, `/campaign/${key}`, request), status, code);
    const after = await raw(router, 'GET', `/campaign/${key}`);
    expect(after.json, 'the stored entity is unchanged').to.deep.equal(before.json);
  }

  it('refuses invalid JSON with 400 INVALID_JSON', async function () {
    await refused(
      'PUT',
      'target',
      { body: '{"name": "x",', headers: { 'content-type': 'application/json' } },
      400,
      'INVALID_JSON',
    );
  });

  it('refuses a body that is not valid UTF-8 with 400 INVALID_JSON', async function () {
    const body = Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x7d]);
    await refused(
      'PUT',
      'target',
      { body, headers: { 'content-type': 'application/json' } },
      400,
      'INVALID_JSON',
    );
  });

  for (const [label, text] of [
    ['an array', '[1,2,3]'],
    ['a string', '"hello"'],
    ['null', 'null'],
    ['a number', '42'],
  ] as const) {
    it(`refuses a body that is ${label} with 400 INVALID_BODY`, async function () {
      await refused(
        'PUT',
        'target',
        { body: text, headers: { 'content-type': 'application/json' } },
        400,
        'INVALID_BODY',
      );
    });
  }

  it('refuses the wrong content type with 415 UNSUPPORTED_MEDIA_TYPE', async function () {
    await refused(
      'PUT',
      'target',
      { body: JSON.stringify(valid), headers: { 'content-type': 'text/plain' } },
      415,
      'UNSUPPORTED_MEDIA_TYPE',
    );
  });

  it('refuses a body with no content type with 415 UNSUPPORTED_MEDIA_TYPE', async function () {
    await refused(
      'PATCH',
      'target',
      { body: JSON.stringify({ status: 'paused' }) },
      415,
      'UNSUPPORTED_MEDIA_TYPE',
    );
  });

  it('refuses a body over 1 MiB with 413 PAYLOAD_TOO_LARGE (declared length, at the router)', async function () {
    const big = JSON.stringify({ ...valid, name: 'x'.repeat(1024 * 1024) });
    await refused(
      'PUT',
      'target',
      { body: big, headers: { 'content-type': 'application/json' } },
      413,
      'PAYLOAD_TOO_LARGE',
    );
  });

  it('refuses a chunked body that grows past 1 MiB with 413 PAYLOAD_TOO_LARGE (at the node)', async function () {
    const big = JSON.stringify({ ...valid, name: 'x'.repeat(1024 * 1024 + 10) });
    await refused(
      'PUT',
      'target',
      { body: big, chunked: true, headers: { 'content-type': 'application/json' } },
      413,
      'PAYLOAD_TOO_LARGE',
    );
  });

  it('refuses an illegal key with 400 INVALID_KEY', async function () {
    for (const path of [
      '/campaign/has%20space',
      '/campaign/slash%2Fin',
      '/campaign/%E2%82%AC',
      '/campaign/bad%ZZ',
    ]) {
      expectError(await raw(router, 'PUT', path, { body: valid }), 400, 'INVALID_KEY');
    }
  });

  it('refuses an empty key with 400 INVALID_KEY', async function () {
    expectError(await raw(router, 'PUT', '/campaign/', { body: valid }), 400, 'INVALID_KEY');
  });

  it('refuses a key over 256 characters with 400 INVALID_KEY, and accepts one of exactly 256', async function () {
    expectError(
      await raw(router, 'PUT', `/campaign/a${'b'.repeat(256)}`, { body: valid }),
      400,
      'INVALID_KEY',
    );
    expect((await raw(router, 'PUT', `/campaign/a${'b'.repeat(255)}`, { body: valid })).status).to.equal(200);
  });

  for (const property of ['__proto__', 'constructor', 'prototype']) {
    it(`refuses "${property}" in a body with 400 FORBIDDEN_PROPERTY, at the top or nested`, async function () {
      const top = `{"name":"x","status":"draft","budgetCents":1,"${property}":{"polluted":true}}`;
      const nested = `{"name":"x","status":"draft","budgetCents":1,"extra":{"${property}":{"polluted":true}}}`;
      for (const body of [top, nested]) {
        await refused(
          'PUT',
          'target',
          { body, headers: { 'content-type': 'application/json' } },
          400,
          'FORBIDDEN_PROPERTY',
        );
      }
      expect(({} as Record<string, unknown>).polluted).to.equal(undefined);
    });
  }

  it('refuses an unknown entity type with 404 UNKNOWN_TYPE', async function () {
    expectError(await raw(router, 'PUT', '/advertiser/acme', { body: valid }), 404, 'UNKNOWN_TYPE');
    expectError(await raw(router, 'GET', '/advertiser/acme'), 404, 'UNKNOWN_TYPE');
  });

  it('refuses a missing field with 400 VALIDATION_FAILED naming it', async function () {
    const { name: _name, ...missing } = valid;
    const before = await raw(router, 'GET', '/campaign/target');
    const answer = await raw(router, 'PUT', '/campaign/target', { body: missing });
    expectError(answer, 400, 'VALIDATION_FAILED');
    expect(JSON.stringify(answer.json)).to.contain('name');
    expect((await raw(router, 'GET', '/campaign/target')).json).to.deep.equal(before.json);
  });

  it('refuses a field of the wrong type with 400 VALIDATION_FAILED', async function () {
    await refused('PUT', 'target', { body: { ...valid, budgetCents: '1000' } }, 400, 'VALIDATION_FAILED');
    await refused('PUT', 'target', { body: { ...valid, status: 'running' } }, 400, 'VALIDATION_FAILED');
    await refused('PATCH', 'target', { body: { budgetCents: 12.5 } }, 400, 'VALIDATION_FAILED');
  });

  it('refuses an unknown field with 400 VALIDATION_FAILED', async function () {
    await refused('PUT', 'target', { body: { ...valid, budget: 5 } }, 400, 'VALIDATION_FAILED');
  });

  it('refuses endsAt before startsAt with 400 VALIDATION_FAILED, on PUT and on PATCH', async function () {
    await refused(
      'PUT',
      'target',
      { body: { ...valid, startsAt: '2026-03-01', endsAt: '2026-02-01' } },
      400,
      'VALIDATION_FAILED',
    );
    await refused('PATCH', 'target', { body: { endsAt: '2025-12-31' } }, 400, 'VALIDATION_FAILED');
  });

  it('refuses an id in the body that differs from the key with 400 KEY_MISMATCH', async function () {
    await refused('PUT', 'target', { body: { ...valid, id: 'someone-else' } }, 400, 'KEY_MISMATCH');
  });

  it('refuses integers beyond 2^53 with 400 NUMBER_OUT_OF_RANGE', async function () {
    for (const number of ['9007199254740993', '18446744073709551616', '1e400']) {
      const body = `{"name":"x","status":"draft","budgetCents":${number}}`;
      await refused(
        'PUT',
        'target',
        { body, headers: { 'content-type': 'application/json' } },
        400,
        'NUMBER_OUT_OF_RANGE',
      );
    }
  });

  it('accepts 2^53 - 1, the largest exact integer', async function () {
    const answer = await raw(router, 'PUT', '/campaign/maxint', {
      body: { ...valid, budgetCents: Number.MAX_SAFE_INTEGER },
    });
    expect(answer.status).to.equal(200);
    const data = (await raw(router, 'GET', '/campaign/maxint')).json.data as { budgetCents: number };
    expect(data.budgetCents).to.equal(Number.MAX_SAFE_INTEGER);
  });

  it('refuses an If-Match that does not match with 412 PRECONDITION_FAILED', async function () {
    await refused(
      'PUT',
      'north',
      { body: { ...valid, name: 'Changed' }, headers: { 'if-match': '"99"' } },
      412,
      'PRECONDITION_FAILED',
    );
    await refused(
      'PATCH',
      'north',
      { body: { name: 'Changed' }, headers: { 'if-match': '"0"' } },
      412,
      'PRECONDITION_FAILED',
    );
    await refused('DELETE', 'north', { headers: { 'if-match': '"7"' } }, 412, 'PRECONDITION_FAILED');
  });

  it('refuses a malformed If-Match with 400 INVALID_PRECONDITION rather than ignoring it', async function () {
    await refused(
      'PUT',
      'north',
      { body: valid, headers: { 'if-match': 'version-three' } },
      400,
      'INVALID_PRECONDITION',
    );
  });

  it('refuses a method the API does not have with 405 METHOD_NOT_ALLOWED', async function () {
    expectError(await raw(router, 'POST', '/campaign/target', { body: valid }), 405, 'METHOD_NOT_ALLOWED');
  });
});

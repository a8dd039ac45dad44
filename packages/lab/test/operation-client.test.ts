/**
 * How the lab's client classifies the router's answers, with nock standing in for the router:
 * `fail` only when the operation provably did not apply, `info` whenever it may have.
 */
import { expect } from 'chai';
import nock from 'nock';
import { freePort } from '../src/free-port.js';
import { OperationClient } from '../src/experiment/operation-client.js';
import { registerCodec } from '../src/experiment/register-values.js';

const ROUTER = 'http://router.test';

function client(routerUrl = ROUTER, timeoutMs = 500): OperationClient {
  return new OperationClient({ routerUrl, type: 'campaign', codec: registerCodec('campaign'), timeoutMs });
}

function envelope(code: string) {
  return { error: { code, message: code } };
}

// Importing nock switches its interceptor on for every suite; keep it to this one, since it
// hides socket reuse from keep-alive agents in the real-socket suites.
nock.restore();

describe('the lab client classifying answers', function () {
  before(() => {
    nock.activate();
    nock.disableNetConnect();
  });
  after(() => {
    nock.cleanAll();
    nock.enableNetConnect();
    nock.restore();
  });
  afterEach(() => nock.cleanAll());

  it('reads the value and version of an entity, and null for a 404', async function () {
    nock(ROUTER)
      .get('/campaign/k1')
      .reply(200, { key: 'k1', version: 4, data: { name: 'v9' } });
    nock(ROUTER).get('/campaign/k2').reply(404, envelope('NOT_FOUND'));
    expect(await client().perform({ f: 'read', key: 'k1' })).to.deep.equal({
      type: 'ok',
      value: 'v9',
      version: 4,
    });
    expect(await client().perform({ f: 'read', key: 'k2' })).to.deep.equal({ type: 'ok', value: null });
  });

  it('sends If-Match for a cas and If-None-Match for a create, with the value in the body', async function () {
    nock(ROUTER, { reqheaders: { 'if-match': '"3"' } })
      .put('/campaign/k1', (body: { name?: string }) => body.name === 'v1')
      .reply(200, { key: 'k1', version: 4 });
    nock(ROUTER, { reqheaders: { 'if-none-match': '*' } })
      .put('/campaign/k2')
      .reply(201, { key: 'k2', version: 1 });
    const cas = await client().perform({ f: 'cas', key: 'k1', value: 'v1', expectedVersion: 3 });
    const create = await client().perform({ f: 'create', key: 'k2', value: 'v2' });
    expect(cas).to.deep.equal({ type: 'ok', version: 4 });
    expect(create).to.deep.equal({ type: 'ok', version: 1 });
  });

  it('calls a refusal before apply a fail: 412, 404, and the router finding no node', async function () {
    nock(ROUTER).put('/campaign/k1').reply(412, envelope('PRECONDITION_FAILED'));
    nock(ROUTER).delete('/campaign/k1').reply(404, envelope('NOT_FOUND'));
    nock(ROUTER).put('/campaign/k1').reply(503, envelope('NODE_UNAVAILABLE'));
    nock(ROUTER).put('/campaign/k1').reply(503, envelope('SHARD_MOVING'));
    const c = client();
    expect(await c.perform({ f: 'cas', key: 'k1', value: 'v1', expectedVersion: 1 })).to.deep.equal({
      type: 'fail',
      error: 'PRECONDITION_FAILED',
    });
    expect(await c.perform({ f: 'delete', key: 'k1' })).to.deep.equal({ type: 'fail', error: 'NOT_FOUND' });
    expect(await c.perform({ f: 'write', key: 'k1', value: 'v2' })).to.deep.equal({
      type: 'fail',
      error: 'NODE_UNAVAILABLE',
    });
    expect((await c.perform({ f: 'write', key: 'k1', value: 'v3' })).type).to.equal('fail');
  });

  it('calls every answer that leaves the outcome open info: 502, 504, other 503s, a body that is not an envelope', async function () {
    nock(ROUTER).put('/campaign/k1').reply(502, envelope('NODE_CONNECTION_LOST'));
    nock(ROUTER).put('/campaign/k1').reply(504, envelope('NODE_TIMEOUT'));
    nock(ROUTER).put('/campaign/k1').reply(503, envelope('SHUTTING_DOWN'));
    nock(ROUTER).put('/campaign/k1').reply(500, 'oops');
    const c = client();
    const outcomes = [];
    for (let i = 0; i < 4; i += 1) outcomes.push(await c.perform({ f: 'write', key: 'k1', value: `v${i}` }));
    expect(outcomes.map((o) => [o.type, o.error])).to.deep.equal([
      ['info', 'NODE_CONNECTION_LOST'],
      ['info', 'NODE_TIMEOUT'],
      ['info', 'SHUTTING_DOWN'],
      ['info', 'HTTP_500'],
    ]);
  });

  it('calls its own timeout info', async function () {
    nock(ROUTER).put('/campaign/k1').delay(1_000).reply(200, { key: 'k1', version: 1 });
    expect(await client(ROUTER, 100).perform({ f: 'write', key: 'k1', value: 'v1' })).to.deep.equal({
      type: 'info',
      error: 'TIMEOUT',
    });
  });

  it('calls a refused connection to the router a fail', async function () {
    nock.enableNetConnect('127.0.0.1');
    const closed = `http://127.0.0.1:${await freePort()}`;
    expect(await client(closed).perform({ f: 'write', key: 'k1', value: 'v1' })).to.deep.equal({
      type: 'fail',
      error: 'ECONNREFUSED',
    });
  });
});

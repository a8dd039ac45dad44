/**
 * What the typed entity handle sends for each operation (method, path, body, conditional
 * headers) and what it refuses to send at all, with nock standing in for the router and the
 * nodes.
 */
import { expect } from 'chai';
import nock from 'nock';
import { IsxClient } from '@isx/client';
import {
  answer,
  envelope,
  FakeClock,
  isolateNetwork,
  layout,
  NODE_2,
  ROUTER,
  routerServesMaps,
  type RequestLog,
  rejection,
} from './support/fake-cluster.js';

interface Campaign {
  name: string;
  status?: string;
  budgetCents?: number;
}

describe('client: entity operations', () => {
  isolateNetwork();
  let log: RequestLog;
  let client: IsxClient;

  beforeEach(() => {
    log = [];
    const clock = new FakeClock();
    client = new IsxClient({ routerUrl: `${ROUTER}/`, clock, sleep: clock.sleep });
    routerServesMaps(log, layout(1));
  });
  afterEach(async () => {
    await client.close();
  });

  it('sends a put as JSON with no condition headers unless asked', async () => {
    nock(NODE_2, { badheaders: ['if-match', 'if-none-match'] })
      .put('/campaign/omega', { name: 'Omega', budgetCents: 100 })
      .matchHeader('content-type', 'application/json')
      .reply(answer(log, NODE_2, 200, { key: 'omega', version: 1 }));

    const result = await client
      .entity<Campaign>('campaign')
      .put('omega', { name: 'Omega', budgetCents: 100 });

    expect(result).to.deep.equal({ key: 'omega', version: 1 });
    expect(log).to.include('node-2 PUT /campaign/omega');
  });

  it('sends If-Match as the version in quotes on a conditional put', async () => {
    nock(NODE_2)
      .put('/campaign/omega')
      .matchHeader('if-match', '"3"')
      .reply(answer(log, NODE_2, 200, { key: 'omega', version: 4 }));

    const result = await client.entity<Campaign>('campaign').put('omega', { name: 'Omega' }, { ifMatch: 3 });

    expect(result.version).to.equal(4);
  });

  it('sends If-None-Match: * on a put that must create', async () => {
    nock(NODE_2, { badheaders: ['if-match'] })
      .put('/campaign/omega')
      .matchHeader('if-none-match', '*')
      .reply(answer(log, NODE_2, 200, { key: 'omega', version: 1 }));

    await client.entity<Campaign>('campaign').put('omega', { name: 'Omega' }, { ifNoneMatch: '*' });
  });

  it('sends a patch as a JSON merge patch, with its If-Match', async () => {
    nock(NODE_2)
      .patch('/campaign/omega', { status: 'active', budgetCents: null })
      .matchHeader('content-type', 'application/merge-patch+json')
      .matchHeader('if-match', '"2"')
      .reply(answer(log, NODE_2, 200, { key: 'omega', version: 3 }));

    const result = await client
      .entity<Campaign>('campaign')
      .patch('omega', { status: 'active', budgetCents: null }, { ifMatch: 2 });

    expect(result).to.deep.equal({ key: 'omega', version: 3 });
  });

  it('sends If-Match on a conditional delete and returns the version of the deletion', async () => {
    nock(NODE_2)
      .delete('/campaign/omega')
      .matchHeader('if-match', '"5"')
      .reply(answer(log, NODE_2, 200, { key: 'omega', version: 6 }));

    expect(await client.entity('campaign').delete('omega', { ifMatch: 5 })).to.deep.equal({
      key: 'omega',
      version: 6,
    });
  });

  it('creates through the router with POST /:type even with the routing cache on', async () => {
    nock(ROUTER)
      .post('/campaign', { name: 'New' })
      .reply(function (uri) {
        log.push(`router POST ${uri}`);
        return [
          201,
          JSON.stringify({ key: '01J0000000000000000000000A', version: 1 }),
          { 'content-type': 'application/json', location: '/campaign/01J0000000000000000000000A' },
        ];
      });

    const created = await client.entity<Campaign>('campaign').create({ name: 'New' });

    expect(created).to.deep.equal({ key: '01J0000000000000000000000A', version: 1 });
    expect(log).to.deep.equal(['router POST /campaign']);
  });

  it('reports METHOD_NOT_ALLOWED from a router that does not create keys', async () => {
    nock(ROUTER)
      .post('/campaign')
      .reply(answer(log, ROUTER, 405, envelope('METHOD_NOT_ALLOWED', 'POST /campaign is not served yet.')));

    const error = await rejection(client.entity<Campaign>('campaign').create({ name: 'New' }));

    expect(error.code).to.equal('METHOD_NOT_ALLOWED');
    expect(log).to.deep.equal(['router POST /campaign']);
  });

  it('refuses an invalid key with INVALID_KEY before sending anything', async () => {
    const error = await rejection(client.entity('campaign').get('not a key'));

    expect(error.code).to.equal('INVALID_KEY');
    expect(log).to.deep.equal([]);
  });

  it('refuses an ifMatch that is not a version with INVALID_PRECONDITION before sending anything', async () => {
    const error = await rejection(client.entity('campaign').put('omega', { name: 'x' }, { ifMatch: 1.5 }));

    expect(error.code).to.equal('INVALID_PRECONDITION');
    expect(log).to.deep.equal([]);
  });

  it('refuses a body that is not a JSON object with INVALID_BODY', async () => {
    const campaigns = client.entity<Record<string, unknown>>('campaign');

    const error = await rejection(campaigns.put('omega', [1, 2] as unknown as Record<string, unknown>));

    expect(error.code).to.equal('INVALID_BODY');
    expect(log).to.deep.equal([]);
  });

  it('refuses a type name that cannot appear in a URL with INVALID_REQUEST', () => {
    expect(() => client.entity('Campaign/../admin'))
      .to.throw()
      .with.property('code', 'INVALID_REQUEST');
  });

  it('refuses a routerUrl that is not http(s) and a maxAttempts below 1 with INVALID_CONFIG', () => {
    expect(() => new IsxClient({ routerUrl: 'ftp://router' }))
      .to.throw()
      .with.property('code', 'INVALID_CONFIG');
    expect(() => new IsxClient({ routerUrl: ROUTER, maxAttempts: 0 }))
      .to.throw()
      .with.property('code', 'INVALID_CONFIG');
  });

  it('refuses requests after close() with SHUTTING_DOWN', async () => {
    await client.close();

    const error = await rejection(client.entity('campaign').get('omega'));

    expect(error.code).to.equal('SHUTTING_DOWN');
    expect(log).to.deep.equal([]);
  });
});

/**
 * Where the client sends each request, and how it follows the shard map when nodes say it is
 * wrong, with nock standing in for the router and two nodes. Each test asserts the exact
 * sequence of requests, so an extra reload or a stray retry fails it.
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
  NODE_1,
  NODE_2,
  refusingUrl,
  ROUTER,
  routerServesMaps,
  type RequestLog,
  rejection,
} from './support/fake-cluster.js';

const record = (key: string, version = 1) => ({ key, version, data: { name: key } });
const wrongShard = (mapVersion: number) =>
  envelope('WRONG_SHARD', 'Node node-1 does not own key "omega".', {
    shard: 'campaign-n-z',
    owner: 'node-2',
    ownerUrl: NODE_2,
    mapVersion,
  });

describe('client: routing with the shard map cache', () => {
  isolateNetwork();
  let log: RequestLog;
  let clock: FakeClock;
  let client: IsxClient | undefined;

  beforeEach(() => {
    log = [];
    clock = new FakeClock();
  });
  afterEach(async () => {
    await client?.close();
    client = undefined;
  });

  const connect = (options: { maxAttempts?: number; routingCache?: boolean } = {}) =>
    (client = new IsxClient({ routerUrl: ROUTER, clock, sleep: clock.sleep, ...options }));

  it('loads the map once and sends each keyed request straight to the node that owns the key', async () => {
    routerServesMaps(log, layout(1));
    nock(NODE_2)
      .get('/campaign/omega')
      .reply(answer(log, NODE_2, 200, record('omega')));
    nock(NODE_1)
      .get('/campaign/alpha')
      .reply(answer(log, NODE_1, 200, record('alpha')));
    const campaigns = connect().entity('campaign');

    expect(await campaigns.get('omega')).to.deep.equal(record('omega'));
    expect(await campaigns.get('alpha')).to.deep.equal(record('alpha'));

    expect(log).to.deep.equal([
      'router GET /cluster',
      'node-2 GET /campaign/omega',
      'node-1 GET /campaign/alpha',
    ]);
  });

  it('follows a 421 from a stale owner by reloading the map once and landing on the new owner', async () => {
    const moved = layout(2);
    routerServesMaps(log, layout(1, { high: { node: 'node-1', url: NODE_1 } }), moved);
    nock(NODE_1)
      .get('/campaign/omega')
      .reply(answer(log, NODE_1, 421, wrongShard(2)));
    nock(NODE_2)
      .get('/campaign/omega')
      .reply(answer(log, NODE_2, 200, record('omega', 7)));
    const campaigns = connect().entity('campaign');

    const read = await campaigns.get('omega');

    expect(read.version).to.equal(7);
    expect(log).to.deep.equal([
      'router GET /cluster',
      'node-1 GET /campaign/omega',
      'router GET /cluster',
      'node-2 GET /campaign/omega',
    ]);
    expect(clock.sleeps, 'the reload waited out the 100 ms since the first load').to.deep.equal([100]);
  });

  it('gives up with WRONG_SHARD after maxAttempts when the owner keeps refusing the key', async () => {
    routerServesMaps(log, layout(1, { high: { node: 'node-1', url: NODE_1 } }));
    nock(NODE_1)
      .get('/campaign/omega')
      .times(10)
      .reply(answer(log, NODE_1, 421, wrongShard(2)));
    const campaigns = connect({ maxAttempts: 3 }).entity('campaign');

    const error = await rejection(campaigns.get('omega'));

    expect(error.code).to.equal('WRONG_SHARD');
    expect(error.retryable).to.equal(true);
    expect(error.details).to.deep.include({ owner: 'node-2', ownerUrl: NODE_2, mapVersion: 2 });
    expect(log).to.deep.equal([
      'router GET /cluster',
      'node-1 GET /campaign/omega',
      'router GET /cluster',
      'node-1 GET /campaign/omega',
      'router GET /cluster',
      'node-1 GET /campaign/omega',
    ]);
  });

  it('shares one map load and one reload between concurrent requests that meet the same stale owner', async () => {
    routerServesMaps(log, layout(1, { high: { node: 'node-1', url: NODE_1 } }), layout(2));
    nock(NODE_1)
      .get(/^\/campaign\//)
      .times(2)
      .reply(answer(log, NODE_1, 421, wrongShard(2)));
    nock(NODE_2)
      .get(/^\/campaign\//)
      .times(2)
      .reply(answer(log, NODE_2, 200, record('omega')));
    const campaigns = connect().entity('campaign');

    await Promise.all([campaigns.get('omega'), campaigns.get('oscar')]);

    expect(log.filter((line) => line === 'router GET /cluster')).to.have.length(2);
    expect(log.filter((line) => line.startsWith('node-1'))).to.have.length(2);
    expect(log.filter((line) => line.startsWith('node-2'))).to.have.length(2);
  });

  it('does not reload again for a late 421 when the map has changed since that request was routed', async () => {
    routerServesMaps(log, layout(1, { high: { node: 'node-1', url: NODE_1 } }), layout(2));
    nock(NODE_1)
      .get('/campaign/omega')
      .reply(answer(log, NODE_1, 421, wrongShard(2)));
    nock(NODE_1)
      .get('/campaign/oscar')
      .delay(100)
      .reply(answer(log, NODE_1, 421, wrongShard(2)));
    nock(NODE_2)
      .get(/^\/campaign\//)
      .times(2)
      .reply(answer(log, NODE_2, 200, record('omega')));
    const campaigns = connect().entity('campaign');

    const early = campaigns.get('omega');
    const late = campaigns.get('oscar');
    await early;
    await late;

    // nock logs a delayed request when it arrives, so only the counts are in answer order.
    expect(log.filter((line) => line === 'router GET /cluster')).to.have.length(2);
    expect(log.filter((line) => line.startsWith('node-2'))).to.deep.equal([
      'node-2 GET /campaign/omega',
      'node-2 GET /campaign/oscar',
    ]);
  });

  it('backs off, reloads the map and resends a write refused with SHARD_MOVING', async () => {
    routerServesMaps(log, layout(1), layout(2));
    nock(NODE_2)
      .put('/campaign/omega')
      .reply(answer(log, NODE_2, 503, envelope('SHARD_MOVING', 'Shard campaign-n-z is moving.')))
      .put('/campaign/omega')
      .reply(answer(log, NODE_2, 200, { key: 'omega', version: 2 }));
    const campaigns = connect().entity('campaign');

    expect(await campaigns.put('omega', { name: 'Omega' })).to.deep.equal({ key: 'omega', version: 2 });

    expect(log).to.deep.equal([
      'router GET /cluster',
      'node-2 PUT /campaign/omega',
      'router GET /cluster',
      'node-2 PUT /campaign/omega',
    ]);
    expect(clock.sleeps, 'a 50 ms backoff, then the rest of the 100 ms between reloads').to.deep.equal([
      50, 50,
    ]);
  });

  it('falls back to the router when the owning node refuses the connection, and reloads the map', async () => {
    const deadNode = await refusingUrl();
    routerServesMaps(log, layout(1, { high: { node: 'node-2', url: deadNode } }));
    nock(ROUTER)
      .get('/campaign/omega')
      .reply(answer(log, ROUTER, 200, record('omega', 4)));
    const campaigns = connect().entity('campaign');

    const read = await campaigns.get('omega');
    await client!.close();

    expect(read.version).to.equal(4);
    expect([...log].sort()).to.deep.equal([
      'router GET /campaign/omega',
      'router GET /cluster',
      'router GET /cluster',
    ]);
  });

  it('sends every request through the router when the routing cache is off', async () => {
    nock(ROUTER)
      .get('/campaign/omega')
      .reply(answer(log, ROUTER, 200, record('omega')));
    nock(ROUTER)
      .delete('/campaign/alpha')
      .reply(answer(log, ROUTER, 200, { key: 'alpha', version: 3 }));
    const campaigns = connect({ routingCache: false }).entity('campaign');

    await campaigns.get('omega');
    await campaigns.delete('alpha');

    expect(log).to.deep.equal(['router GET /campaign/omega', 'router DELETE /campaign/alpha']);
  });

  it('waits before resending through the router when the cache is off and a node says WRONG_SHARD', async () => {
    nock(ROUTER)
      .get('/campaign/omega')
      .reply(answer(log, ROUTER, 421, wrongShard(2)))
      .get('/campaign/omega')
      .reply(answer(log, ROUTER, 200, record('omega')));
    const campaigns = connect({ routingCache: false }).entity('campaign');

    await campaigns.get('omega');

    expect(log).to.deep.equal(['router GET /campaign/omega', 'router GET /campaign/omega']);
    expect(clock.sleeps).to.deep.equal([50]);
  });

  it('asks the router about a type the cached map does not know', async () => {
    routerServesMaps(log, layout(1));
    nock(ROUTER)
      .get('/contact/bob')
      .reply(answer(log, ROUTER, 200, record('bob')));

    await connect().entity('contact').get('bob');

    expect(log).to.deep.equal(['router GET /cluster', 'router GET /contact/bob']);
  });

  it('serves requests through the router while GET /cluster fails, reloading at most every 100 ms', async () => {
    nock(ROUTER)
      .get('/cluster')
      .times(2)
      .reply(answer(log, ROUTER, 500, 'Internal Server Error'))
      .get(/^\/campaign\//)
      .times(3)
      .reply(answer(log, ROUTER, 200, record('omega')));
    const campaigns = connect().entity('campaign');

    await campaigns.get('omega');
    await campaigns.get('oscar');
    clock.time += 100;
    await campaigns.get('omega');

    expect(log).to.deep.equal([
      'router GET /cluster',
      'router GET /campaign/omega',
      'router GET /campaign/oscar',
      'router GET /cluster',
      'router GET /campaign/omega',
    ]);
  });

  it('loads the map on refreshMap() and routes by the new one from then on', async () => {
    routerServesMaps(log, layout(1), layout(5, { high: { node: 'node-1', url: NODE_1 } }));
    nock(NODE_2)
      .get('/campaign/omega')
      .reply(answer(log, NODE_2, 200, record('omega')));
    nock(NODE_1)
      .get('/campaign/omega')
      .reply(answer(log, NODE_1, 200, record('omega')));
    const c = connect();
    const campaigns = c.entity('campaign');

    await campaigns.get('omega');
    const map = await c.refreshMap();
    await campaigns.get('omega');

    expect(map.version).to.equal(5);
    expect(log).to.deep.equal([
      'router GET /cluster',
      'node-2 GET /campaign/omega',
      'router GET /cluster',
      'node-1 GET /campaign/omega',
    ]);
  });

  it('rejects refreshMap() with the reason when the router cannot serve the map', async () => {
    nock(ROUTER)
      .get('/cluster')
      .reply(answer(log, ROUTER, 503, envelope('NO_NODES', 'No node is up.')));

    const error = await rejection(connect().refreshMap());

    expect(error.code).to.equal('NO_NODES');
  });
});

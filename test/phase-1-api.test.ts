/**
 * The public entity API of DESIGN §8, driven through a real router and two real campaign
 * nodes (lexical ranges a–m and n–z), each with LevelDB on disk.
 */
import { expect } from 'chai';
import { expectError, raw } from './support/http.js';
import { startTestCluster, type TestCluster } from './support/cluster.js';

const valid = { name: 'Spring sale', status: 'draft', budgetCents: 50_000 };

describe('the entity API through the router (phase 1)', function () {
  let test: TestCluster;
  let router: string;

  before(async function () {
    test = await startTestCluster({ nodes: 2, partitioner: 'lexical' });
    router = test.cluster.routerUrl;
  });
  after(async function () {
    await test?.dispose();
  });

  it('routes each key to the node that owns its range', async function () {
    const low = await raw(router, 'PUT', '/campaign/alpha', { body: valid });
    const high = await raw(router, 'PUT', '/campaign/omega', { body: valid });
    expect(low.status).to.equal(200);
    expect(high.status).to.equal(200);
    expect(low.headers['x-isx-node']).to.equal('node-1');
    expect(high.headers['x-isx-node']).to.equal('node-2');
    expect(low.headers['x-isx-shard']).to.equal('campaign-a-m');
  });

  it('creates, reads, replaces, patches and deletes with growing versions', async function () {
    const created = await raw(router, 'PUT', '/campaign/lifecycle', {
      body: { ...valid, startsAt: '2026-05-01' },
    });
    expect(created.json).to.deep.equal({ key: 'lifecycle', version: 1 });
    expect(created.headers.etag).to.equal('"1"');

    const read = await raw(router, 'GET', '/campaign/lifecycle');
    expect(read.status).to.equal(200);
    const data = read.json.data as Record<string, unknown>;
    expect(data).to.include({
      id: 'lifecycle',
      name: 'Spring sale',
      status: 'draft',
      budgetCents: 50_000,
      startsAt: '2026-05-01',
    });
    expect(data.createdAt).to.equal(data.updatedAt);

    const replaced = await raw(router, 'PUT', '/campaign/lifecycle', { body: { ...valid, name: 'Renamed' } });
    expect(replaced.json).to.deep.equal({ key: 'lifecycle', version: 2 });
    const afterPut = (await raw(router, 'GET', '/campaign/lifecycle')).json.data as Record<string, unknown>;
    expect(afterPut.startsAt, 'PUT replaces the whole entity').to.equal(undefined);
    expect(afterPut.createdAt, 'createdAt survives a replace').to.equal(data.createdAt);

    const patched = await raw(router, 'PATCH', '/campaign/lifecycle', {
      body: { status: 'active', endsAt: '2026-12-31' },
    });
    expect(patched.json).to.deep.equal({ key: 'lifecycle', version: 3 });
    const afterPatch = (await raw(router, 'GET', '/campaign/lifecycle')).json.data as Record<string, unknown>;
    expect(afterPatch).to.include({ name: 'Renamed', status: 'active', endsAt: '2026-12-31' });

    const deleted = await raw(router, 'DELETE', '/campaign/lifecycle');
    expect(deleted.json).to.deep.equal({ key: 'lifecycle', version: 4 });
    expectError(await raw(router, 'GET', '/campaign/lifecycle'), 404, 'NOT_FOUND');

    const recreated = await raw(router, 'PUT', '/campaign/lifecycle', { body: valid });
    expect(recreated.json.version, 'a re-created key never reuses a version').to.equal(5);
  });

  it('ignores createdAt and updatedAt sent back by a client, and accepts the matching id', async function () {
    await raw(router, 'PUT', '/campaign/roundtrip', { body: valid });
    const first = (await raw(router, 'GET', '/campaign/roundtrip')).json.data as Record<string, unknown>;
    const again = await raw(router, 'PUT', '/campaign/roundtrip', {
      body: { ...first, createdAt: '1999-01-01T00:00:00Z' },
    });
    expect(again.status).to.equal(200);
    const second = (await raw(router, 'GET', '/campaign/roundtrip')).json.data as Record<string, unknown>;
    expect(second.createdAt).to.equal(first.createdAt);
  });

  it('applies a PATCH with null as removal of that field (JSON Merge Patch)', async function () {
    await raw(router, 'PUT', '/campaign/mergepatch', { body: { ...valid, startsAt: '2026-01-01' } });
    const patched = await raw(router, 'PATCH', '/campaign/mergepatch', { body: { startsAt: null } });
    expect(patched.status).to.equal(200);
    const data = (await raw(router, 'GET', '/campaign/mergepatch')).json.data as Record<string, unknown>;
    expect(data).not.to.have.property('startsAt');
  });

  it('answers 404 for a PATCH or DELETE of a campaign that does not exist', async function () {
    expectError(
      await raw(router, 'PATCH', '/campaign/nobody', { body: { status: 'active' } }),
      404,
      'NOT_FOUND',
    );
    expectError(await raw(router, 'DELETE', '/campaign/nobody'), 404, 'NOT_FOUND');
  });

  it('makes a write conditional on If-Match and succeeds on the current version', async function () {
    await raw(router, 'PUT', '/campaign/conditional', { body: valid });
    const ok = await raw(router, 'PUT', '/campaign/conditional', {
      body: valid,
      headers: { 'if-match': '"1"' },
    });
    expect(ok.json).to.deep.equal({ key: 'conditional', version: 2 });
  });

  it('creates only when absent with If-None-Match: *', async function () {
    const first = await raw(router, 'PUT', '/campaign/create-once', {
      body: valid,
      headers: { 'if-none-match': '*' },
    });
    expect(first.status).to.equal(200);
    expectError(
      await raw(router, 'PUT', '/campaign/create-once', { body: valid, headers: { 'if-none-match': '*' } }),
      412,
      'PRECONDITION_FAILED',
    );
  });

  it('lets exactly one of many concurrent writers with the same If-Match win', async function () {
    await raw(router, 'PUT', '/campaign/contended', { body: valid });
    const attempts = await Promise.all(
      Array.from({ length: 12 }, (_, i) =>
        raw(router, 'PUT', '/campaign/contended', {
          body: { ...valid, budgetCents: i },
          headers: { 'if-match': '"1"' },
        }),
      ),
    );
    expect(attempts.filter((a) => a.status === 200)).to.have.length(1);
    expect(attempts.filter((a) => a.status === 412)).to.have.length(11);
    const final = await raw(router, 'GET', '/campaign/contended');
    expect(final.json.version).to.equal(2);
  });

  it('serves GET /cluster with the map and every node up', async function () {
    const cluster = await raw(router, 'GET', '/cluster');
    expect(cluster.status).to.equal(200);
    const nodes = cluster.json.nodes as Array<{ id: string; status: string }>;
    expect(nodes.map((n) => `${n.id}:${n.status}`)).to.deep.equal(['node-1:up', 'node-2:up']);
    const types = cluster.json.types as Record<string, { shards: unknown[] }>;
    expect(types.campaign?.shards).to.have.length(2);
  });

  it('answers 421 WRONG_SHARD with the owner when a node is asked for a key it does not own', async function () {
    const node1 = test.cluster.node('node-1').spec.url;
    const wrong = await raw(node1, 'GET', '/campaign/omega');
    expectError(wrong, 421, 'WRONG_SHARD');
    const details = (wrong.json.error as { details: { owner: string; ownerUrl: string } }).details;
    expect(details.owner).to.equal('node-2');
    expect(details.ownerUrl).to.equal(test.cluster.node('node-2').spec.url);
  });
});

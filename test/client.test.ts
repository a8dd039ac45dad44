/**
 * `@isx/client` with its routing cache on, against a real router and two real campaign nodes
 * (lexical ranges a–m on node-1 and n–z on node-2, LevelDB on disk). What the client wrote is
 * read back through the router with plain fetch, so the check does not depend on the client.
 */
import { expect } from 'chai';
import { IsxClient } from '@isx/client';
import { startTestCluster, type TestCluster } from './support/cluster.js';

interface Campaign {
  name: string;
  status: 'draft' | 'active' | 'paused' | 'ended';
  budgetCents: number;
  startsAt?: string;
}

const valid: Campaign = { name: 'Spring sale', status: 'draft', budgetCents: 50_000 };

async function rejection(promise: Promise<unknown>): Promise<Record<string, unknown>> {
  try {
    await promise;
  } catch (error) {
    return error as Record<string, unknown>;
  }
  expect.fail('expected the call to fail');
}

describe('the client against a real cluster, routing cache on (phase 1)', function () {
  let test: TestCluster;
  let client: IsxClient;
  let router: string;

  const readThroughRouter = async (key: string) => {
    const response = await fetch(`${router}/campaign/${key}`);
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  };

  before(async function () {
    test = await startTestCluster({ nodes: 2, partitioner: 'lexical' });
    router = test.cluster.routerUrl;
    client = new IsxClient({ routerUrl: router, timeoutMs: 5_000 });
  });
  after(async function () {
    await client?.close();
    await test?.dispose();
  });

  it('puts, reads, patches, deletes and writes conditionally, and the router reads back the same entities', async function () {
    const campaigns = client.entity<Campaign>('campaign');

    expect(await campaigns.put('apple', valid)).to.deep.equal({ key: 'apple', version: 1 });
    expect(await campaigns.put('zebra', { ...valid, startsAt: '2026-05-01' })).to.deep.equal({
      key: 'zebra',
      version: 1,
    });
    const read = await campaigns.get('zebra');
    expect(read.version).to.equal(1);
    expect(read.data).to.include({ name: 'Spring sale', startsAt: '2026-05-01' });

    expect(await campaigns.patch('zebra', { status: 'active', startsAt: null })).to.deep.equal({
      key: 'zebra',
      version: 2,
    });
    const stale = await rejection(campaigns.put('zebra', { ...valid, name: 'Stale' }, { ifMatch: 1 }));
    expect(stale.code).to.equal('PRECONDITION_FAILED');
    expect(await campaigns.put('zebra', { ...valid, name: 'Current' }, { ifMatch: 2 })).to.deep.equal({
      key: 'zebra',
      version: 3,
    });

    expect((await campaigns.put('kiwi', valid, { ifNoneMatch: '*' })).version).to.equal(1);
    const again = await rejection(campaigns.put('kiwi', valid, { ifNoneMatch: '*' }));
    expect(again.code).to.equal('PRECONDITION_FAILED');

    expect(await campaigns.delete('apple', { ifMatch: 1 })).to.deep.equal({ key: 'apple', version: 2 });
    expect((await rejection(campaigns.get('apple'))).code).to.equal('NOT_FOUND');

    const zebra = await readThroughRouter('zebra');
    expect(zebra.status).to.equal(200);
    expect(zebra.body.version).to.equal(3);
    expect(zebra.body.data).to.include({ name: 'Current', status: 'draft' });
    expect(zebra.body.data).not.to.have.property('startsAt');
    expect((await readThroughRouter('kiwi')).body.version).to.equal(1);
    expect((await readThroughRouter('apple')).status).to.equal(404);
  });

  it("keeps reading node-2's range after node-1 and then the router are killed, straight from node-2", async function () {
    const campaigns = client.entity<Campaign>('campaign');
    await campaigns.put('yak', { ...valid, name: 'Yak' });
    await campaigns.put('fig', { ...valid, name: 'Fig' });

    await test.cluster.node('node-1').kill();
    expect((await campaigns.get('yak')).data.name).to.equal('Yak');
    const lost = await rejection(campaigns.get('fig'));
    expect(lost.code, "node-1's range is unavailable, as the router says").to.equal('NODE_UNAVAILABLE');
    expect(lost.retryable).to.equal(true);

    // With the router gone too, only a request sent straight to node-2 can still succeed.
    await test.cluster.router.kill();
    expect((await campaigns.get('yak')).data.name).to.equal('Yak');
  });
});

/**
 * Automatic splits (issue 6) on real processes: a replicated cluster whose shards grow past
 * `--max-shard-entities` splits them by itself, and a shard that takes most of the load is
 * split at a point between its busy keys; every acknowledged write reads back afterwards.
 */
import { expect } from 'chai';
import { hashPartitioner, rangeContains, type ClusterView } from '@isx/core';
import { fetchClusterView, leastCopies, until } from '@isx/lab';
import { startTestCluster, type TestCluster } from './support/cluster.js';

type ShardView = ClusterView['types'][string]['shards'][number];

const KEYS = Array.from({ length: 400 }, (_, i) => `grow-${i}`);

describe('automatic splits (issue 6)', function () {
  this.timeout(150_000);
  let test: TestCluster;

  before(async function () {
    test = await startTestCluster({
      mode: 'dynamic',
      nodes: 3,
      replicationFactor: 3,
      shardsPerType: 2,
      autoSplit: { maxShardEntities: 150, loadShare: 0.6, minOpsPerSec: 20 },
    });
    await until('every shard has three copies', 30_000, async () =>
      leastCopies(await fetchClusterView(test.cluster.routerUrl)) >= 3 ? true : undefined,
    );
  });

  after(async function () {
    await test?.dispose();
  });

  const campaigns = (view: ClusterView): ShardView[] => view.types.campaign?.shards ?? [];

  it('splits shards that grow past maxShardEntities until each holds no more, losing no write', async function () {
    const router = test.cluster.routerUrl;
    let next = 0;
    const failures: string[] = [];
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        for (let i = next++; i < KEYS.length; i = next++) {
          const response = await fetch(`${router}/campaign/${KEYS[i]}`, {
            method: 'PUT',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ name: `campaign ${i}`, status: 'draft', budgetCents: i }),
          });
          if (response.status !== 200)
            failures.push(`${KEYS[i]}: ${response.status} ${await response.text()}`);
        }
      }),
    );
    expect(failures).to.deep.equal([]);

    const view = await until('the shards report every record, none more than 150', 60_000, async () => {
      const seen = await fetchClusterView(router);
      const shards = campaigns(seen);
      // The reports come about once a second: wait until they count every record written.
      const counted = shards.reduce((sum, s) => sum + (s.records ?? 0), 0);
      return counted === KEYS.length && shards.every((s) => s.records !== undefined && s.records <= 150)
        ? seen
        : undefined;
    });
    const shards = campaigns(view);
    expect(shards.length, 'two shards of 200 records need at least two splits').to.be.at.least(4);
    expect(view.autoSplits?.size).to.be.at.least(2);
    expect(
      shards.reduce((sum, s) => sum + (s.records ?? 0), 0),
      'every record is counted once',
    ).to.equal(KEYS.length);
    for (const shard of shards) expect(new Set([shard.node, ...(shard.backups ?? [])]).size).to.equal(3);

    for (const [i, key] of KEYS.entries()) {
      const response = await fetch(`${router}/campaign/${key}`);
      expect(response.status, key).to.equal(200);
      const body = (await response.json()) as { data: { name: string } };
      expect(body.data.name).to.equal(`campaign ${i}`);
    }
  });

  it('splits the shard that takes most of the load at a point between its busy keys', async function () {
    const router = test.cluster.routerUrl;
    const before = await fetchClusterView(router);
    const hot = campaigns(before)[0]!;
    const busy = KEYS.filter((key) => rangeContains(hot.range, hashPartitioner.partitionKey(key))).slice(
      0,
      24,
    );
    expect(busy.length, 'the shard holds keys to read').to.be.at.least(10);
    const loadSplitsBefore = before.autoSplits?.load ?? 0;
    let stop = false;
    let reads = 0;
    const readers = Array.from({ length: 4 }, async (_, r) => {
      for (let i = r; !stop; i += 1) {
        const response = await fetch(`${router}/campaign/${busy[i % busy.length]}`);
        expect(response.status).to.equal(200);
        await response.arrayBuffer();
        reads += 1;
      }
    });
    let after: ClusterView;
    try {
      after = await until('the busy shard is split for load', 40_000, async () => {
        const seen = await fetchClusterView(router);
        return (seen.autoSplits?.load ?? 0) > loadSplitsBefore ? seen : undefined;
      });
    } finally {
      stop = true;
      await Promise.all(readers);
    }
    expect(reads).to.be.greaterThan(100);
    const halves = campaigns(after).filter(
      (s) => rangeContains(hot.range, s.range.start) && s.range.start >= hot.range.start,
    );
    expect(halves.length, halves.map((s) => s.id).join(',')).to.be.at.least(2);
    const holders = new Set(
      busy.map((key) => halves.find((s) => rangeContains(s.range, hashPartitioner.partitionKey(key)))?.id),
    );
    expect(holders.size, 'the busy keys now lie in more than one shard').to.be.at.least(2);
    for (const key of busy) expect((await fetch(`${router}/campaign/${key}`)).status).to.equal(200);
  });
});

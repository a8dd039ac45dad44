import { expect } from 'chai';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseClusterConfig, ShardMap } from '@isx/core';
import { MapOwnership } from '@isx/shard';

const map = new ShardMap(
  parseClusterConfig({
    nodes: { 'node-1': { url: 'http://127.0.0.1:1' }, 'node-2': { url: 'http://127.0.0.1:2' } },
    types: {
      campaign: {
        partitioner: 'hash',
        shards: [
          { id: 'campaign-1', range: { start: '', end: '80000000' }, node: 'node-1' },
          { id: 'campaign-2', range: { start: '80000000', end: null }, node: 'node-2' },
        ],
      },
    },
  }),
  1,
);
const RANGE = { start: '', end: '80000000' };

describe('fences on a map-following node', function () {
  it('refuses writes to a fenced shard with 503 SHARD_MOVING and admits them again once unfenced', async function () {
    const ownership = new MapOwnership('node-1', map);
    const key = ['a', 'b', 'c', 'd', 'e', 'f', 'g'].find(
      (k) => map.locate('campaign', k).shard.node === 'node-1',
    )!;
    await ownership.fence('campaign-1', 'campaign', RANGE);
    expect(() => ownership.beginWrite('campaign', key))
      .to.throw()
      .with.property('code', 'SHARD_MOVING');
    ownership.unfence('campaign-1');
    ownership.beginWrite('campaign', key).end();
  });

  it('tells its owner when a fence outlives its time to live', async function () {
    const expired: string[] = [];
    const ownership = new MapOwnership('node-1', map, (shardId) => expired.push(shardId));
    await ownership.fence('campaign-1', 'campaign', RANGE, 20);
    await sleep(60);
    expect(expired).to.deep.equal(['campaign-1']);
  });

  it('forgets the time to live of a fence that was lifted, or replaced by a newer fence', async function () {
    const expired: string[] = [];
    const ownership = new MapOwnership('node-1', map, (shardId) => expired.push(shardId));
    await ownership.fence('campaign-1', 'campaign', RANGE, 20);
    ownership.unfence('campaign-1');
    await ownership.fence('campaign-1', 'campaign', RANGE, 30);
    await ownership.fence('campaign-1', 'campaign', RANGE, 500);
    await sleep(80);
    expect(expired).to.deep.equal([]);
    ownership.unfence('campaign-1');
  });

  it('refuses to fence a shard it does not own', async function () {
    const ownership = new MapOwnership('node-1', map);
    try {
      await ownership.fence('campaign-2', 'campaign', { start: '80000000', end: null });
      expect.fail('fenced a shard of another node');
    } catch (error) {
      expect(error).to.have.property('code', 'UNKNOWN_SHARD');
    }
  });
});

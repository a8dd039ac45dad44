import { expect } from 'chai';
import fc from 'fast-check';
import {
  hashPartitioner,
  lexicalPartitioner,
  parseClusterConfig,
  rangeContains,
  ShardMap,
  type ClusterConfig,
} from '@isx/core';

const KEY_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._~:-'.split('');
const keyArb = fc.string({ unit: fc.constantFrom(...KEY_ALPHABET), minLength: 1, maxLength: 40 });
const hexPointArb = fc.integer({ min: 1, max: 0xffffffff }).map((n) => n.toString(16).padStart(8, '0'));
const lexicalPointArb = fc.string({ unit: fc.constantFrom(...KEY_ALPHABET), minLength: 1, maxLength: 5 });

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (error) {
    return (error as { code?: string }).code;
  }
  return undefined;
}

const NODES = {
  'node-1': { url: 'http://127.0.0.1:4001' },
  'node-2': { url: 'http://127.0.0.1:4002' },
  'node-3': { url: 'http://127.0.0.1:4003' },
};

function phaseOneMap(): ShardMap {
  return new ShardMap(
    parseClusterConfig({
      nodes: NODES,
      types: {
        campaign: {
          partitioner: 'lexical',
          keySpace: { start: 'a', end: '{' },
          shards: [
            { id: 'campaign-n-z', range: { start: 'n', end: '{' }, node: 'node-2' },
            { id: 'campaign-a-m', range: { start: 'a', end: 'n' }, node: 'node-1' },
          ],
        },
      },
    }),
    7,
  );
}

/** A validated config whose one type is split at `points`, shards spread over three nodes. */
function tiledConfig(partitioner: 'hash' | 'lexical', points: readonly string[]): ClusterConfig {
  const nodeIds = Object.keys(NODES);
  const starts = ['', ...points];
  const shards = starts.map((start, i) => ({
    id: `s-${i}`,
    range: { start, end: points[i] ?? null },
    node: nodeIds[i % nodeIds.length]!,
  }));
  return parseClusterConfig({ nodes: NODES, types: { thing: { partitioner, shards } } });
}

describe('ShardMap', () => {
  it('finds the shard and node that own a key', () => {
    const map = phaseOneMap();
    const placement = map.locate('campaign', 'spring-sale');
    expect(placement.shard.id).to.equal('campaign-n-z');
    expect(placement.shard.node).to.equal('node-2');
    expect(placement.nodeUrl).to.equal('http://127.0.0.1:4002');
    expect(placement.partitionKey).to.equal('spring-sale');
    expect(map.locate('campaign', 'autumn').shard.id).to.equal('campaign-a-m');
    expect(map.locate('campaign', 'mzzz').shard.id).to.equal('campaign-a-m');
    expect(map.locate('campaign', 'n').shard.id).to.equal('campaign-n-z');
  });

  it('keeps its version and knows its types', () => {
    const map = phaseOneMap();
    expect(map.version).to.equal(7);
    expect(map.types).to.deep.equal(['campaign']);
    expect(map.hasType('campaign')).to.equal(true);
    expect(map.hasType('order')).to.equal(false);
  });

  it('refuses an unknown type with UNKNOWN_TYPE', () => {
    const map = phaseOneMap();
    try {
      map.locate('order', 'abc');
      expect.fail('locate should have thrown');
    } catch (error) {
      const err = error as { code: string; status: number; details: { type: string } };
      expect(err.code).to.equal('UNKNOWN_TYPE');
      expect(err.status).to.equal(404);
      expect(err.details.type).to.equal('order');
    }
  });

  it('refuses keys outside the lexical key space [a, {) with KEY_NOT_COVERED', () => {
    const map = phaseOneMap();
    for (const key of ['Apple', 'Zebra', '0day', '-x', '~tilde']) {
      expect(
        codeOf(() => map.locate('campaign', key)),
        key,
      ).to.equal('KEY_NOT_COVERED');
    }
    try {
      map.locate('campaign', 'Zebra');
      expect.fail('locate should have thrown');
    } catch (error) {
      const err = error as { status: number; message: string; details: { partitionKey: string } };
      expect(err.status).to.equal(400);
      expect(err.details.partitionKey).to.equal('Zebra');
      expect(err.message).to.include('["a", "{")');
    }
  });

  it('refuses exactly the keys that fall outside the key space', () => {
    const map = phaseOneMap();
    fc.assert(
      fc.property(keyArb, (key) => {
        const inside = key >= 'a' && key < '{';
        expect(
          codeOf(() => map.locate('campaign', key)),
          key,
        ).to.equal(inside ? undefined : 'KEY_NOT_COVERED');
      }),
    );
  });

  it('covers both ends of the lexical key space', () => {
    const map = phaseOneMap();
    expect(map.locate('campaign', 'a').shard.id).to.equal('campaign-a-m');
    expect(map.locate('campaign', 'zzzz').shard.id).to.equal('campaign-n-z');
  });

  it('lists the shards of each node', () => {
    const map = phaseOneMap();
    expect(map.shardsOf('node-1').map((s) => s.id)).to.deep.equal(['campaign-a-m']);
    expect(map.shardsOf('node-1')[0]!.type).to.equal('campaign');
    expect(map.shardsOf('node-3')).to.deep.equal([]);
    expect(map.nodeUrl('node-2')).to.equal('http://127.0.0.1:4002');
    expect(map.nodeUrl('node-9')).to.equal(undefined);
  });

  it('uses the hash of the key when the type partitions by hash', () => {
    const map = new ShardMap(tiledConfig('hash', ['80000000']));
    const key = 'spring-sale';
    const placement = map.locate('thing', key);
    expect(placement.partitionKey).to.equal(hashPartitioner.partitionKey(key));
    expect(placement.shard.id).to.equal(placement.partitionKey < '80000000' ? 's-0' : 's-1');
  });

  for (const [name, partitioner, pointArb] of [
    ['hash', hashPartitioner, hexPointArb],
    ['lexical', lexicalPartitioner, lexicalPointArb],
  ] as const) {
    it(`finds the same shard as a linear scan, for many ${name} shards`, () => {
      const pointsArb = fc.uniqueArray(pointArb, { minLength: 0, maxLength: 200 }).map((p) => [...p].sort());
      fc.assert(
        fc.property(pointsArb, fc.array(keyArb, { minLength: 1, maxLength: 30 }), (points, keys) => {
          const config = tiledConfig(name, points);
          const map = new ShardMap(config);
          const shards = config.types.thing!.shards;
          for (const key of keys) {
            const expected = shards.find((s) => rangeContains(s.range, partitioner.partitionKey(key)));
            const placement = map.locate('thing', key);
            expect(placement.shard.id, key).to.equal(expected!.id);
            expect(placement.nodeUrl).to.equal(NODES[placement.shard.node as keyof typeof NODES].url);
          }
        }),
        { numRuns: 200 },
      );
    });

    it(`puts a key whose partition key is a split point in the shard that starts there (${name})`, () => {
      // Split at the partition keys of the generated keys themselves, so every lookup hits a boundary.
      fc.assert(
        fc.property(fc.uniqueArray(keyArb, { minLength: 1, maxLength: 100 }), (keys) => {
          const points = [...new Set(keys.map((k) => partitioner.partitionKey(k)))].sort();
          const map = new ShardMap(tiledConfig(name, points));
          for (const key of keys) {
            const index = points.indexOf(partitioner.partitionKey(key));
            expect(map.locate('thing', key).shard.id, key).to.equal(`s-${index + 1}`);
          }
        }),
        { numRuns: 100 },
      );
    });
  }
});

import { expect } from 'chai';
import { checkCoverage, coversExactly, hashPartitioner, ShardMap } from '@isx/core';
import { manualLayout } from '@isx/lab';

const urls = (n: number): string[] => Array.from({ length: n }, (_, i) => `http://127.0.0.1:${5000 + i}`);

describe('manual layouts for a local cluster', function () {
  it('splits two lexical nodes into phase 1’s a–m and n–z', function () {
    const config = manualLayout({ type: 'campaign', partitioner: 'lexical', nodeUrls: urls(2) });
    const layout = config.types.campaign!;
    expect(layout.keySpace).to.deep.equal({ start: 'a', end: '{' });
    expect(layout.shards).to.deep.equal([
      { id: 'campaign-a-m', range: { start: 'a', end: 'n' }, node: 'node-1' },
      { id: 'campaign-n-z', range: { start: 'n', end: '{' }, node: 'node-2' },
    ]);
  });

  it('tiles the key space exactly for every node count', function () {
    for (let n = 1; n <= 26; n += 1) {
      for (const partitioner of ['lexical', 'hash'] as const) {
        const layout = manualLayout({ type: 'campaign', partitioner, nodeUrls: urls(n) }).types.campaign!;
        const report = checkCoverage(
          layout.shards.map((s) => s.range),
          layout.keySpace,
        );
        expect(coversExactly(report), `${partitioner} × ${n}`).to.equal(true);
        expect(new Set(layout.shards.map((s) => s.id)).size).to.equal(n);
      }
    }
  });

  it('spreads hashed keys over hash ranges roughly evenly', function () {
    const map = new ShardMap(manualLayout({ type: 'campaign', partitioner: 'hash', nodeUrls: urls(4) }));
    const counts = new Map<string, number>();
    for (let i = 0; i < 8000; i += 1) {
      const node = map.locate('campaign', `campaign-${i}`).shard.node;
      counts.set(node, (counts.get(node) ?? 0) + 1);
    }
    expect(counts.size).to.equal(4);
    for (const count of counts.values()) expect(count).to.be.within(1600, 2400);
    expect(hashPartitioner.partitionKey('x')).to.match(/^[0-9a-f]{8}$/);
  });

  it('refuses a lexical layout with more nodes than letters', function () {
    expect(() => manualLayout({ type: 'campaign', partitioner: 'lexical', nodeUrls: urls(27) })).to.throw(
      RangeError,
    );
  });
});

import { expect } from 'chai';
import fc from 'fast-check';
import { checkCoverage, coversExactly, splitPoint, type ShardAssignment } from '@isx/core';
import { initialShards, planMoves } from '@isx/router';

describe('placement', function () {
  it('deals a new type’s shards over its nodes in turn, covering the hash space', function () {
    const shards = initialShards('campaign', 8, ['node-1', 'node-2', 'node-3']);
    expect(shards.map((s) => s.node)).to.deep.equal([
      'node-1',
      'node-2',
      'node-3',
      'node-1',
      'node-2',
      'node-3',
      'node-1',
      'node-2',
    ]);
    expect(coversExactly(checkCoverage(shards.map((s) => s.range)))).to.equal(true);
  });

  it('plans moves until shard counts differ by at most one, only onto the given nodes', function () {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 64 }), fc.integer({ min: 1, max: 9 }), (count, nodes) => {
        const ids = Array.from({ length: nodes }, (_, i) => `node-${i + 1}`);
        const shards = initialShards('t', count, ['node-1']);
        const moves = planMoves(shards, ids);
        const owner = new Map(shards.map((s) => [s.id, s.node]));
        for (const move of moves) {
          expect(owner.get(move.shardId)).to.equal(move.from);
          owner.set(move.shardId, move.to);
        }
        const counts = ids.map((id) => [...owner.values()].filter((n) => n === id).length);
        expect(Math.max(...counts) - Math.min(...counts)).to.be.at.most(1);
        expect(
          planMoves(
            [...owner].map(([id, node]) => ({ ...shards.find((s) => s.id === id)!, node })),
            ids,
          ),
        ).to.deep.equal([]);
      }),
    );
  });

  it('keeps the map covering the key space exactly once through any sequence of splits', function () {
    fc.assert(
      fc.property(
        fc.array(fc.nat(), { maxLength: 60 }),
        fc.constantFrom('hash' as const, 'lexical' as const),
        (picks, partitioner) => {
          let shards: ShardAssignment[] =
            partitioner === 'hash'
              ? initialShards('t', 4, ['n'])
              : [{ id: 't-1', range: { start: '', end: null }, node: 'n' }];
          for (const pick of picks) {
            const shard = shards[pick % shards.length]!;
            const at = splitPoint(shard.range, partitioner);
            if (at === undefined) continue;
            expect(at > shard.range.start && (shard.range.end === null || at < shard.range.end)).to.equal(
              true,
            );
            shards = shards.flatMap((s) =>
              s === shard
                ? [
                    { ...s, range: { start: s.range.start, end: at } },
                    { id: `t-${shards.length + 1}`, range: { start: at, end: s.range.end }, node: 'n' },
                  ]
                : [s],
            );
            expect(coversExactly(checkCoverage(shards.map((s) => s.range)))).to.equal(true);
          }
        },
      ),
    );
  });
});

/**
 * Automatic splits: which shards the policy proposes (size, load, hot keys, caps), the load
 * book's freshness and primary checks, where a busy half goes, and the splitter acting only
 * on a proposal that held for two rounds.
 */
import { expect } from 'chai';
import { pino } from 'pino';
import { ShardMap, type Clock, type ShardLoad } from '@isx/core';
import { AutoSplitter } from '../src/auto-splitter.js';
import { ShardLoadBook } from '../src/shard-load-book.js';
import { proposeSplits, spreadTarget, type SplitPolicy } from '../src/split-policy.js';
import { config, LOWER, UPPER, WHOLE } from './support/replica-sets.js';

const POLICY: SplitPolicy = {
  maxShardEntities: 1_000,
  loadShare: 0.5,
  minOpsPerSec: 100,
  maxShardsPerType: 8,
};

function twoShards(): ShardMap {
  return new ShardMap(
    config({
      note: [
        { id: 'note-1', range: LOWER, node: 'n1', backups: ['n2', 'n3'], epoch: 1 },
        { id: 'note-2', range: UPPER, node: 'n2', backups: ['n1', 'n3'], epoch: 1 },
      ],
    }),
    5,
  );
}

function loads(entries: Record<string, Omit<ShardLoad, 'shardId'>>): (id: string) => ShardLoad | undefined {
  return (id) => (entries[id] ? { shardId: id, ...entries[id] } : undefined);
}

describe('proposeSplits', () => {
  it('proposes a shard above maxShardEntities, split at the middle', () => {
    const proposals = proposeSplits(
      twoShards(),
      loads({ 'note-1': { records: 1_001, opsPerSec: 0 }, 'note-2': { records: 1_000, opsPerSec: 0 } }),
      POLICY,
    );
    expect(proposals).to.deep.equal([{ shardId: 'note-1', type: 'note', cause: 'size', measured: 1_001 }]);
  });

  it('proposes a shard above the load share at its reported split point', () => {
    const proposals = proposeSplits(
      twoShards(),
      loads({
        'note-1': { records: 10, opsPerSec: 300, loadSplitAt: '40000000' },
        'note-2': { records: 10, opsPerSec: 100, loadSplitAt: 'c0000000' },
      }),
      POLICY,
    );
    expect(proposals).to.deep.equal([
      { shardId: 'note-1', type: 'note', cause: 'load', at: '40000000', measured: 0.75 },
    ]);
  });

  it('leaves alone a busy shard with no split point (one hot key), or with a point outside it', () => {
    const map = twoShards();
    const hot = loads({
      'note-1': { records: 10, opsPerSec: 900 },
      'note-2': { records: 10, opsPerSec: 10 },
    });
    expect(proposeSplits(map, hot, POLICY)).to.deep.equal([]);
    const outside = loads({
      'note-1': { records: 10, opsPerSec: 900, loadSplitAt: '90000000' },
      'note-2': { records: 10, opsPerSec: 10 },
    });
    expect(proposeSplits(map, outside, POLICY)).to.deep.equal([]);
  });

  it('does not split for load below minOpsPerSec, nor any type at maxShardsPerType, nor with a knob at 0', () => {
    const map = twoShards();
    const quiet = loads({
      'note-1': { records: 10, opsPerSec: 90, loadSplitAt: '40000000' },
      'note-2': { records: 1, opsPerSec: 1 },
    });
    expect(proposeSplits(map, quiet, POLICY)).to.deep.equal([]);
    const big = loads({ 'note-1': { records: 5_000, opsPerSec: 900, loadSplitAt: '40000000' } });
    expect(proposeSplits(map, big, { ...POLICY, maxShardsPerType: 2 })).to.deep.equal([]);
    expect(proposeSplits(map, big, { ...POLICY, maxShardEntities: 0, loadShare: 0 })).to.deep.equal([]);
  });

  it('splits a type with a single busy shard: all of its load is one shard’s', () => {
    const map = new ShardMap(
      config({ note: [{ id: 'note-1', range: WHOLE, node: 'n1', backups: [], epoch: 0 }] }),
      1,
    );
    const proposals = proposeSplits(
      map,
      loads({ 'note-1': { records: 3, opsPerSec: 150, loadSplitAt: '7f000000' } }),
      POLICY,
    );
    expect(proposals.map((p) => [p.shardId, p.cause, p.at])).to.deep.equal([['note-1', 'load', '7f000000']]);
  });
});

describe('spreadTarget', () => {
  it('hands the new half to the quietest backup that leads fewer shards than its primary', () => {
    const map = new ShardMap(
      config({
        note: [
          { id: 'note-1', range: LOWER, node: 'n1', backups: ['n2', 'n3'], epoch: 1 },
          {
            id: 'note-3',
            range: { start: '80000000', end: 'c0000000' },
            node: 'n1',
            backups: ['n2', 'n3'],
            epoch: 1,
          },
          {
            id: 'note-2',
            range: { start: 'c0000000', end: null },
            node: 'n2',
            backups: ['n1', 'n3'],
            epoch: 1,
          },
        ],
      }),
      7,
    );
    const load = loads({ 'note-2': { records: 1, opsPerSec: 500 } });
    expect(
      spreadTarget(map, 'note-3', () => true, load),
      'n3 leads none and is quiet',
    ).to.equal('n3');
    expect(
      spreadTarget(map, 'note-3', (id) => id !== 'n3', load),
      'n2 is busier but leads fewer',
    ).to.equal('n2');
    expect(spreadTarget(map, 'note-3', (id) => id === 'n1', load)).to.equal(undefined);
  });
});

describe('ShardLoadBook', () => {
  it('counts a report only while it is fresh and from the shard’s primary', () => {
    let at = 0;
    const clock: Clock = { now: () => at, monotonic: () => at };
    const book = new ShardLoadBook(clock);
    const map = twoShards();
    book.record('n1', [{ shardId: 'note-1', records: 5, opsPerSec: 1 }]);
    book.record('n1', [{ shardId: 'note-2', records: 7, opsPerSec: 1 }]);
    expect(book.get(map, 'note-1')?.records).to.equal(5);
    expect(book.get(map, 'note-2'), 'n1 does not lead note-2').to.equal(undefined);
    at += 6_000;
    expect(book.get(map, 'note-1'), 'stale').to.equal(undefined);
    book.record('n1', [{ shardId: 'note-1', records: 6, opsPerSec: 1 }]);
    book.forget('note-1');
    expect(book.get(map, 'note-1')).to.equal(undefined);
  });
});

describe('AutoSplitter', () => {
  it('splits only a proposal made on two rounds in a row, then spreads it', async () => {
    let at = 0;
    const book = new ShardLoadBook({ now: () => at, monotonic: () => at });
    const done: string[] = [];
    const splitter = new AutoSplitter({
      policy: POLICY,
      book,
      map: () => twoShards(),
      split: (shardId, point) => {
        done.push(`split ${shardId} at ${point ?? 'middle'}`);
        return Promise.resolve('note-3');
      },
      afterSplit: (proposal, newShardId) => {
        done.push(`spread ${newShardId} (${proposal.cause})`);
        return Promise.resolve();
      },
      logger: pino({ level: 'silent' }),
      intervalMs: 3_600_000,
    });
    try {
      book.record('n1', [{ shardId: 'note-1', records: 2_000, opsPerSec: 0 }]);
      await splitter.tick();
      expect(done, 'one round is not enough').to.deep.equal([]);
      await splitter.tick();
      expect(done).to.deep.equal(['split note-1 at middle', 'spread note-3 (size)']);
      expect(splitter.done).to.deep.equal({ size: 1, load: 0 });
      book.record('n1', [{ shardId: 'note-1', records: 2_000, opsPerSec: 0 }]);
      await splitter.tick();
      expect(done, 'the count starts again after a split').to.have.length(2);
      at += 10_000;
      await splitter.tick();
      expect(done, 'a stale report is not acted on').to.have.length(2);
    } finally {
      await splitter.close();
    }
  });

  it('puts off a split the cluster refuses and tries again on a later round', async () => {
    const book = new ShardLoadBook({ now: () => 0, monotonic: () => 0 });
    let refuse = true;
    let splits = 0;
    const splitter = new AutoSplitter({
      policy: POLICY,
      book,
      map: () => twoShards(),
      split: () => {
        if (refuse) return Promise.reject(new Error('Shard note-1 is moving; split it afterwards.'));
        splits += 1;
        return Promise.resolve('note-3');
      },
      afterSplit: () => Promise.resolve(),
      logger: pino({ level: 'silent' }),
      intervalMs: 3_600_000,
    });
    try {
      book.record('n1', [{ shardId: 'note-1', records: 2_000, opsPerSec: 0 }]);
      await splitter.tick();
      await splitter.tick();
      expect(splits).to.equal(0);
      refuse = false;
      await splitter.tick();
      expect(splits).to.equal(1);
      expect(splitter.done.size).to.equal(1);
    } finally {
      await splitter.close();
    }
  });
});

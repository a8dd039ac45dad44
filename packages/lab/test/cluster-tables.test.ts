/** The shard table of `isx shards` and `isx status`: replica columns, and size and load where reported. */
import { expect } from 'chai';
import type { ClusterView } from '@isx/core';
import { movesTable, progressOf, shardsTable } from '../src/cluster-tables.js';

function view(shards: ClusterView['types'][string]['shards']): ClusterView {
  return {
    version: 3,
    mode: 'dynamic',
    nodes: [],
    types: { campaign: { partitioner: 'hash', keySpace: { start: '', end: null }, shards } },
  };
}

describe('shardsTable', () => {
  it('shows each shard’s records and operations per second when its primary reported them', () => {
    const table = shardsTable(
      view([
        {
          id: 'campaign-1',
          range: { start: '', end: '80000000' },
          node: 'node-1',
          backups: ['node-2'],
          epoch: 2,
          records: 1234,
          opsPerSec: 56.4,
        },
        {
          id: 'campaign-2',
          range: { start: '80000000', end: null },
          node: 'node-2',
          backups: ['node-1'],
          epoch: 1,
        },
      ]),
    );
    const [header, , first, second] = table.split('\n');
    expect(header).to.match(/PRIMARY\s+BACKUPS\s+EPOCH\s+RECORDS\s+OPS\/S/);
    expect(first).to.match(/campaign-1 .* node-2\s+2\s+1234\s+56$/);
    expect(second, 'not reported yet').to.match(/campaign-2 .*\s+-\s+-$/);
  });

  it('leaves the columns out where nothing was reported (a manual cluster)', () => {
    const table = shardsTable(view([{ id: 'campaign-1', range: { start: '', end: null }, node: 'node-1' }]));
    expect(table).not.to.match(/RECORDS/);
    expect(table.split('\n')[0]).to.match(/NODE\s*$/);
  });
});

describe('the progress of a move', () => {
  type Move = NonNullable<ClusterView['moves']>[number];
  const started = Date.parse('2026-01-01T12:00:00Z');
  const move = (fields: Partial<Move>): Move => ({
    shardId: 'campaign-2',
    type: 'campaign',
    kind: 'move-replica',
    reason: 'balance',
    from: 'node-3',
    to: 'node-4',
    phase: 'copying',
    startedAt: new Date(started).toISOString(),
    ...fields,
  });

  it('shows a long copy as a bar with entities copied of the total, the bytes, the time so far and a guess of the time left', () => {
    const text = progressOf(
      move({ entitiesCopied: 2_000, entitiesTotal: 5_064, bytesCopied: 1_100_000 }),
      started + 8_000,
    );
    expect(text).to.equal('[#######-------------] 39% 2,000/5,064 entities, 1.1 MB, 8.0 s in, ~13 s left');
  });

  it('never shows 100 % before the last entity is copied, nor a time left once the copy is done', () => {
    expect(progressOf(move({ entitiesCopied: 4_999, entitiesTotal: 5_000 }), started + 60_000)).to.match(
      /\] 99% 4,999\/5,000 entities, 1 min 00 s in, ~1 s left$/,
    );
    expect(
      progressOf(move({ phase: 'removing', entitiesCopied: 5_000, entitiesTotal: 5_000 }), started + 61_000),
    ).to.equal('[####################] 100% 5,000/5,000 entities, 1 min 01 s in');
  });

  it('shows the count alone when the total is unknown, and no times against a clock behind the router', () => {
    expect(progressOf(move({ entitiesCopied: 12_345 }), started - 5_000)).to.equal('12,345 entities');
    expect(progressOf(move({ phase: 'catching-up' }), started)).to.equal('');
  });

  it('lists each move with its phase in the table of `isx status`', () => {
    const table = movesTable(
      {
        version: 3,
        mode: 'dynamic',
        nodes: [],
        types: {},
        moves: [move({ entitiesCopied: 2_500, entitiesTotal: 5_000 })],
      },
      started + 10_000,
    );
    const [header, , row] = table.split('\n');
    expect(header).to.match(/SHARD\s+STEP\s+FROM\s+TO\s+PHASE\s+PROGRESS/);
    expect(row).to.match(
      /campaign-2\s+move-replica \(balance\)\s+node-3\s+node-4\s+copying\s+\[#{10}-{10}\] 50%/,
    );
  });
});

import { expect } from 'chai';
import type { ShardAssignment } from '@isx/core';
import { BackupAcknowledgements } from '../src/replication/backup-acknowledgements.js';

const shard = (backups: string[], epoch: number): ShardAssignment => ({
  id: 's1',
  range: { start: '', end: null },
  node: 'node-a',
  backups,
  epoch,
});

describe('backup acknowledgements (replication lag)', () => {
  it('shows a backup one entry behind while its answer is awaited, and level once it acknowledges', () => {
    const acks = new BackupAcknowledgements();
    acks.sent('s1', 1, 1);
    acks.acknowledged('s1', 1, 'node-b', 1);
    acks.sent('s1', 1, 2);
    expect(acks.lag([shard(['node-b'], 1)])).to.deep.equal([{ shardId: 's1', backup: 'node-b', entries: 1 }]);
    acks.acknowledged('s1', 1, 'node-b', 2);
    expect(acks.lag([shard(['node-b'], 1)])).to.deep.equal([{ shardId: 's1', backup: 'node-b', entries: 0 }]);
  });

  it('reports nothing for a backup that has acknowledged nothing in the epoch, rather than guess', () => {
    const acks = new BackupAcknowledgements();
    acks.sent('s1', 1, 7);
    acks.acknowledged('s1', 1, 'node-b', 7);
    expect(acks.lag([shard(['node-b', 'node-c'], 1)]).map((l) => l.backup)).to.deep.equal(['node-b']);
  });

  it('starts afresh in a new epoch and ignores answers from an old one', () => {
    const acks = new BackupAcknowledgements();
    acks.sent('s1', 1, 3);
    acks.acknowledged('s1', 1, 'node-b', 3);
    expect(acks.lag([shard(['node-b'], 2)]), 'the map has moved on').to.deep.equal([]);
    acks.sent('s1', 2, 4);
    acks.acknowledged('s1', 1, 'node-b', 4);
    expect(acks.lag([shard(['node-b'], 2)])).to.deep.equal([]);
    acks.acknowledged('s1', 2, 'node-b', 4);
    expect(acks.lag([shard(['node-b'], 2)])).to.deep.equal([{ shardId: 's1', backup: 'node-b', entries: 0 }]);
  });

  it('leaves out a backup no longer in the shard’s in-sync set', () => {
    const acks = new BackupAcknowledgements();
    acks.sent('s1', 1, 1);
    acks.acknowledged('s1', 1, 'node-b', 1);
    expect(acks.lag([shard([], 1)])).to.deep.equal([]);
  });
});

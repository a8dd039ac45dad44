/**
 * The replication coordinator: dropping a backup a primary reported. The rebalancer is not
 * involved, only told (`changed`).
 */
import { expect } from 'chai';
import { closeWorldsAfterEach, WHOLE, world, rejection } from './support/replica-sets.js';

describe('the replication coordinator: dropping a backup a primary reported', function () {
  closeWorldsAfterEach();

  it('refuses a report from another epoch with STALE_EPOCH and changes nothing', async function () {
    const w = world({ note: [{ id: 's1', range: WHOLE, node: 'n1', backups: ['n2', 'n3'], epoch: 5 }] });
    const before = structuredClone(w.cluster.map().config);
    for (const epoch of [4, 6]) {
      const error = await rejection(w.coordinator.drop({ shardId: 's1', epoch, node: 'n2' }));
      expect(error.code).to.equal('STALE_EPOCH');
    }
    expect(w.cluster.map().config).to.deep.equal(before);
    expect(w.cluster.commits).to.deep.equal([]);
    expect(w.cluster.announcements).to.equal(0);
    expect(w.calls.posts).to.deep.equal([]);
    expect(w.changes).to.equal(0);
  });

  it('removes the reported backup under a new epoch and answers with the new map', async function () {
    const w = world({ note: [{ id: 's1', range: WHOLE, node: 'n1', backups: ['n2', 'n3'], epoch: 5 }] });
    const wire = await w.coordinator.drop({ shardId: 's1', epoch: 5, node: 'n2' });
    expect(w.cluster.shard('s1')).to.deep.include({ node: 'n1', backups: ['n3'], epoch: 6 });
    expect(wire.version).to.equal(2);
    expect(wire.config.types['note']?.shards[0]).to.deep.include({ backups: ['n3'], epoch: 6 });
    expect(w.cluster.commits).to.have.length(1);
    expect(w.cluster.commits[0]?.announce).to.equal(false);
    expect(w.cluster.announcements).to.equal(1);
    expect(w.events).to.deep.equal(['commit', 'announce', 'changed']);
    expect(w.changes).to.equal(1);
  });

  it('refuses a second report from the epoch the first one replaced', async function () {
    const w = world({ note: [{ id: 's1', range: WHOLE, node: 'n1', backups: ['n2', 'n3'], epoch: 5 }] });
    await w.coordinator.drop({ shardId: 's1', epoch: 5, node: 'n2' });
    const error = await rejection(w.coordinator.drop({ shardId: 's1', epoch: 5, node: 'n3' }));
    expect(error.code).to.equal('STALE_EPOCH');
    expect(w.cluster.shard('s1')).to.deep.include({ backups: ['n3'], epoch: 6 });
  });

  it('answers the map unchanged for a node that is not a backup of the shard', async function () {
    const w = world({ note: [{ id: 's1', range: WHOLE, node: 'n1', backups: ['n2', 'n3'], epoch: 5 }] });
    const wire = await w.coordinator.drop({ shardId: 's1', epoch: 5, node: 'n4' });
    expect(wire.version).to.equal(1);
    expect(w.cluster.shard('s1')).to.deep.include({ backups: ['n2', 'n3'], epoch: 5 });
    expect(w.cluster.commits).to.deep.equal([]);
  });

  it('refuses a report on a shard the map does not have with UNKNOWN_SHARD', async function () {
    const w = world({ note: [{ id: 's1', range: WHOLE, node: 'n1', backups: ['n2'], epoch: 5 }] });
    const error = await rejection(w.coordinator.drop({ shardId: 's9', epoch: 5, node: 'n2' }));
    expect(error.code).to.equal('UNKNOWN_SHARD');
  });
});

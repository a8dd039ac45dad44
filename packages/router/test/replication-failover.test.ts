/**
 * The replication coordinator: failover of a dead node. The nodes' log positions are answered
 * by the fake caller's `status`; the rebalancer is not involved, only told (`changed`).
 */
import { expect } from 'chai';
import { closeWorldsAfterEach, logPositions, WHOLE, LOWER, UPPER, world } from './support/replica-sets.js';

describe('the replication coordinator: failover of a dead node', function () {
  closeWorldsAfterEach();

  it('promotes the live in-sync backup with the highest seq under a new epoch', async function () {
    const w = world({
      note: [{ id: 's1', range: WHOLE, node: 'n1', backups: ['n2', 'n3', 'n4'], epoch: 3 }],
    });
    w.live.delete('n1');
    w.calls.status = logPositions({ n2: 5, n3: 9, n4: 7 });
    await w.coordinator.failover('n1');
    expect(w.calls.gets).to.deep.equal(
      ['n2', 'n3', 'n4'].map((node) => ({
        node,
        path: '/internal/shards/status',
        query: { shardId: 's1' },
        timeoutMs: 500,
      })),
    );
    expect(w.cluster.shard('s1')).to.deep.include({ node: 'n3', backups: ['n2', 'n4'], epoch: 4 });
    expect(w.cluster.map().version).to.equal(2);
    expect(w.cluster.commits[0]?.announce).to.equal(false);
    expect(w.events).to.deep.equal([
      'n2 GET /internal/shards/status',
      'n3 GET /internal/shards/status',
      'n4 GET /internal/shards/status',
      'commit',
      'announce',
      'changed',
    ]);
    expect(w.changes).to.equal(1);
  });

  it('never promotes a backup that is not live, however far its log goes', async function () {
    const w = world({ note: [{ id: 's1', range: WHOLE, node: 'n1', backups: ['n2', 'n3'], epoch: 3 }] });
    w.live.delete('n1');
    w.live.delete('n3');
    w.calls.status = logPositions({ n2: 4, n3: 99 });
    await w.coordinator.failover('n1');
    expect(w.cluster.shard('s1')).to.deep.include({ node: 'n2', backups: [], epoch: 4 });
    expect(w.calls.gets.map((g) => g.node)).to.deep.equal(['n2']);
    expect(w.changes).to.equal(1);
  });

  it('promotes a backup that answers over one whose log position cannot be read', async function () {
    const w = world({ note: [{ id: 's1', range: WHOLE, node: 'n1', backups: ['n2', 'n3'], epoch: 3 }] });
    w.live.delete('n1');
    // n2 is first in the set and would win a tie, but cannot tell its position.
    w.calls.status = logPositions({ n3: 0 });
    await w.coordinator.failover('n1');
    expect(w.calls.gets.map((g) => g.node)).to.deep.equal(['n2', 'n3']);
    expect(w.cluster.shard('s1')).to.deep.include({ node: 'n3', backups: ['n2'], epoch: 4 });
  });

  it('removes a dead backup from the sets of the shards it backed, each under a new epoch', async function () {
    const w = world({
      note: [
        { id: 's1', range: LOWER, node: 'n2', backups: ['n1', 'n3'], epoch: 3 },
        { id: 's2', range: UPPER, node: 'n3', backups: ['n4', 'n1'], epoch: 8 },
      ],
      other: [{ id: 'o1', range: WHOLE, node: 'n4', backups: ['n5'], epoch: 2 }],
    });
    w.live.delete('n1');
    await w.coordinator.failover('n1');
    expect(w.cluster.shard('s1')).to.deep.include({ node: 'n2', backups: ['n3'], epoch: 4 });
    expect(w.cluster.shard('s2')).to.deep.include({ node: 'n3', backups: ['n4'], epoch: 9 });
    expect(w.cluster.shard('o1')).to.deep.include({ node: 'n4', backups: ['n5'], epoch: 2 });
    expect(w.cluster.commits).to.have.length(1);
    expect(w.cluster.announcements).to.equal(1);
    expect(w.calls.gets).to.deep.equal([]);
    expect(w.events).to.deep.equal(['commit', 'announce', 'changed']);
  });

  it('promotes for the shards a dead node led and drops it from those it backed in one change', async function () {
    const w = world({
      note: [
        { id: 's1', range: LOWER, node: 'n1', backups: ['n2', 'n3'], epoch: 3 },
        { id: 's2', range: UPPER, node: 'n4', backups: ['n1', 'n5'], epoch: 8 },
      ],
    });
    w.live.delete('n1');
    w.calls.status = logPositions({ n2: 9, n3: 9 });
    await w.coordinator.failover('n1');
    expect(w.cluster.shard('s1')).to.deep.include({ node: 'n2', backups: ['n3'], epoch: 4 });
    expect(w.cluster.shard('s2')).to.deep.include({ node: 'n4', backups: ['n5'], epoch: 9 });
    expect(w.cluster.commits).to.have.length(1);
    expect(w.changes).to.equal(1);
  });

  it('leaves a shard whose backups are all dead as it is, and changes nothing else', async function () {
    const w = world({
      note: [
        { id: 's1', range: LOWER, node: 'n1', backups: ['n2'], epoch: 3 },
        { id: 's2', range: UPPER, node: 'n3' },
      ],
    });
    w.live.delete('n1');
    w.live.delete('n2');
    const before = structuredClone(w.cluster.map().config);
    await w.coordinator.failover('n1');
    expect(w.cluster.map().config).to.deep.equal(before);
    expect(w.cluster.map().version).to.equal(1);
    expect(w.cluster.commits).to.deep.equal([]);
    expect(w.cluster.announcements).to.equal(0);
  });

  it('leaves a shard without backups on a dead node as it is', async function () {
    const w = world({ note: [{ id: 's1', range: WHOLE, node: 'n1' }] });
    w.live.delete('n1');
    await w.coordinator.failover('n1');
    expect(w.cluster.shard('s1')).to.deep.equal({ id: 's1', range: WHOLE, node: 'n1' });
    expect(w.cluster.commits).to.deep.equal([]);
  });
});

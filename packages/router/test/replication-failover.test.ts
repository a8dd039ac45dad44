/** The replication coordinator: failover of a dead node. */
import { expect } from 'chai';
import nock from 'nock';
import { nockForSuite, url, WHOLE, LOWER, UPPER, world, status } from './support/replica-sets.js';

describe('the replication coordinator: failover of a dead node', function () {
  nockForSuite();

  it('promotes the live in-sync backup with the highest seq under a new epoch', async function () {
    const w = world({
      note: [{ id: 's1', range: WHOLE, node: 'n1', backups: ['n2', 'n3', 'n4'], epoch: 3 }],
    });
    w.live.delete('n1');
    status('n2', 's1', 5);
    status('n3', 's1', 9);
    status('n4', 's1', 7);
    await w.coordinator.failover('n1');
    expect(nock.isDone()).to.equal(true);
    expect(w.cluster.shard('s1')).to.deep.include({ node: 'n3', backups: ['n2', 'n4'], epoch: 4 });
    expect(w.cluster.map().version).to.equal(2);
    expect(w.cluster.commits[0]?.announce).to.equal(false);
    expect(w.events.slice(0, 2)).to.deep.equal(['commit', 'announce']);
    await w.coordinator.settled();
  });

  it('never promotes a backup that is not live, however far its log goes', async function () {
    const w = world({ note: [{ id: 's1', range: WHOLE, node: 'n1', backups: ['n2', 'n3'], epoch: 3 }] }, 2);
    w.live.delete('n1');
    w.live.delete('n3');
    status('n2', 's1', 4);
    status('n3', 's1', 99);
    await w.coordinator.failover('n1');
    await w.coordinator.settled();
    expect(w.cluster.firstCommitted('s1')).to.deep.include({ node: 'n2', backups: [], epoch: 4 });
    await w.coordinator.settled();
  });

  it('promotes a backup that answers over one whose log position cannot be read', async function () {
    const w = world({ note: [{ id: 's1', range: WHOLE, node: 'n1', backups: ['n2', 'n3'], epoch: 3 }] }, 2);
    w.live.delete('n1');
    nock(url('n2')).get('/internal/shards/status').query(true).reply(500, 'not json');
    status('n3', 's1', 0);
    await w.coordinator.failover('n1');
    expect(w.cluster.shard('s1')).to.deep.include({ node: 'n3', backups: ['n2'], epoch: 4 });
    await w.coordinator.settled();
  });

  it('removes a dead backup from the sets of the shards it backed, each under a new epoch', async function () {
    const w = world(
      {
        note: [
          { id: 's1', range: LOWER, node: 'n2', backups: ['n1', 'n3'], epoch: 3 },
          { id: 's2', range: UPPER, node: 'n3', backups: ['n4', 'n1'], epoch: 8 },
        ],
        other: [{ id: 'o1', range: WHOLE, node: 'n4', backups: ['n5'], epoch: 2 }],
      },
      2,
    );
    w.live.delete('n1');
    await w.coordinator.failover('n1');
    expect(w.cluster.shard('s1')).to.deep.include({ node: 'n2', backups: ['n3'], epoch: 4 });
    expect(w.cluster.shard('s2')).to.deep.include({ node: 'n3', backups: ['n4'], epoch: 9 });
    expect(w.cluster.shard('o1')).to.deep.include({ node: 'n4', backups: ['n5'], epoch: 2 });
    expect(w.cluster.commits).to.have.length(1);
    expect(w.cluster.announcements).to.equal(1);
    await w.coordinator.settled();
  });

  it('promotes for the shards a dead node led and drops it from those it backed in one change', async function () {
    const w = world(
      {
        note: [
          { id: 's1', range: LOWER, node: 'n1', backups: ['n2', 'n3'], epoch: 3 },
          { id: 's2', range: UPPER, node: 'n4', backups: ['n1', 'n5'], epoch: 8 },
        ],
      },
      2,
    );
    w.live.delete('n1');
    status('n2', 's1', 9);
    status('n3', 's1', 9);
    await w.coordinator.failover('n1');
    expect(w.cluster.shard('s1')).to.deep.include({ node: 'n2', backups: ['n3'], epoch: 4 });
    expect(w.cluster.shard('s2')).to.deep.include({ node: 'n4', backups: ['n5'], epoch: 9 });
    expect(w.cluster.commits).to.have.length(1);
    await w.coordinator.settled();
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
    await w.coordinator.settled();
    expect(w.cluster.map().config).to.deep.equal(before);
    expect(w.cluster.map().version).to.equal(1);
    expect(w.cluster.commits).to.deep.equal([]);
    expect(w.cluster.announcements).to.equal(0);
  });

  it('leaves a shard without backups on a dead node as it is', async function () {
    const w = world({ note: [{ id: 's1', range: WHOLE, node: 'n1' }] });
    w.live.delete('n1');
    await w.coordinator.failover('n1');
    await w.coordinator.settled();
    expect(w.cluster.shard('s1')).to.deep.equal({ id: 's1', range: WHOLE, node: 'n1' });
    expect(w.cluster.commits).to.deep.equal([]);
  });
});

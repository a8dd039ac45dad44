/** The replication coordinator: repair of under-replicated shards. */
import { expect } from 'chai';
import { IsxError } from '@isx/core';
import { nockForSuite, url, WHOLE, LOWER, UPPER, world } from './support/replica-sets.js';

describe('the replication coordinator: repair of under-replicated shards', function () {
  nockForSuite();

  it('fences the primary, has the target copy from it, adds it under a new epoch, announces and unfences', async function () {
    const w = world({ note: [{ id: 's1', range: WHOLE, node: 'n1', backups: ['n2'], epoch: 2 }] });
    for (const id of ['n4', 'n5']) w.live.delete(id);
    w.calls.answer = (_node, path) =>
      Promise.resolve(path === '/internal/shards/copy' ? { entities: 3, bytes: 120 } : {});
    w.coordinator.repair();
    await w.coordinator.settled();
    const scope = { shardId: 's1', type: 'note', range: WHOLE };
    expect(w.calls.posts).to.deep.equal([
      {
        node: 'n1',
        path: '/internal/shards/fence',
        body: { ...scope, ttlMs: 30_000 },
        timeoutMs: undefined,
      },
      {
        node: 'n3',
        path: '/internal/shards/copy',
        body: { ...scope, sourceUrl: url('n1') },
        timeoutMs: 30_000,
      },
      { node: 'n1', path: '/internal/shards/unfence', body: scope, timeoutMs: undefined },
    ]);
    expect(w.events).to.deep.equal([
      'n1 /internal/shards/fence',
      'n3 /internal/shards/copy',
      'commit',
      'announce',
      'n1 /internal/shards/unfence',
    ]);
    expect(w.cluster.shard('s1')).to.deep.include({ node: 'n1', backups: ['n2', 'n3'], epoch: 3 });
    expect(w.cluster.commits[0]?.announce).to.equal(false);
  });

  it('lets a replica that was away briefly catch up from the log instead of copying the shard', async function () {
    const w = world({ note: [{ id: 's1', range: WHOLE, node: 'n1', backups: ['n2'], epoch: 2 }] });
    for (const id of ['n4', 'n5']) w.live.delete(id);
    w.calls.catchUp = true;
    w.calls.answer = (_node, path) =>
      Promise.resolve(path === '/internal/shards/catch-up' ? { entries: 4, seq: 42 } : {});
    w.coordinator.repair();
    await w.coordinator.settled();
    expect(w.events).to.deep.equal([
      'n1 /internal/shards/fence',
      'n3 /internal/shards/catch-up',
      'commit',
      'announce',
      'n1 /internal/shards/unfence',
    ]);
    expect(w.calls.posts[1]).to.deep.equal({
      node: 'n3',
      path: '/internal/shards/catch-up',
      body: { shardId: 's1', sourceUrl: url('n1') },
      timeoutMs: 30_000,
    });
    expect(w.cluster.shard('s1')).to.deep.include({ node: 'n1', backups: ['n2', 'n3'], epoch: 3 });
  });

  it('chooses the live node with the fewest replicas among those that serve the type', async function () {
    const w = world({
      note: [
        { id: 's1', range: LOWER, node: 'n1', backups: ['n2'], epoch: 2 },
        { id: 's2', range: UPPER, node: 'n4', backups: ['n2', 'n5'], epoch: 4 },
      ],
      other: [{ id: 'o1', range: WHOLE, node: 'n4', backups: ['n3'], epoch: 1 }],
    });
    // n3 holds as little as n5 and sorts first, but does not serve notes; n4 holds two shards.
    w.live.set('n3', ['other']);
    w.live.set('n4', ['note', 'other']);
    w.coordinator.repair();
    await w.coordinator.settled();
    expect(w.cluster.shard('s1')).to.deep.include({ node: 'n1', backups: ['n2', 'n5'], epoch: 3 });
    expect(w.cluster.shard('o1')).to.deep.include({ backups: ['n3'], epoch: 1 });
    expect(w.calls.posts.filter((p) => p.path === '/internal/shards/copy').map((p) => p.node)).to.deep.equal([
      'n5',
    ]);
  });

  it('never picks a node that already holds the shard, even when it holds the fewest replicas', async function () {
    const w = world({
      note: [
        { id: 's1', range: LOWER, node: 'n1', backups: ['n2'], epoch: 2 },
        // Unreplicated shards still count towards a node's load.
        { id: 's2', range: { start: '80000000', end: 'c0000000' }, node: 'n3' },
        { id: 's3', range: { start: 'c0000000', end: null }, node: 'n3' },
      ],
    });
    for (const id of ['n4', 'n5']) w.live.delete(id);
    w.coordinator.repair();
    await w.coordinator.settled();
    expect(w.calls.posts.find((p) => p.path === '/internal/shards/copy')?.node).to.equal('n3');
    expect(w.cluster.shard('s1')).to.deep.include({ backups: ['n2', 'n3'], epoch: 3 });
  });

  it('adds nothing when every live node that serves the type already holds the shard', async function () {
    const w = world({ note: [{ id: 's1', range: WHOLE, node: 'n1', backups: ['n2'], epoch: 2 }] });
    for (const id of ['n3', 'n4', 'n5']) w.live.delete(id);
    w.coordinator.repair();
    await w.coordinator.settled();
    expect(w.calls.posts).to.deep.equal([]);
    expect(w.cluster.commits).to.deep.equal([]);
  });

  it('does not repair a shard whose primary is not live', async function () {
    const w = world({ note: [{ id: 's1', range: WHOLE, node: 'n1', backups: ['n2'], epoch: 2 }] });
    w.live.delete('n1');
    w.coordinator.repair();
    await w.coordinator.settled();
    expect(w.calls.posts).to.deep.equal([]);
  });

  it('adds replicas until the shard has the replication factor, one at a time', async function () {
    const w = world({ note: [{ id: 's1', range: WHOLE, node: 'n1', backups: [], epoch: 7 }] });
    w.coordinator.repair();
    await w.coordinator.settled();
    expect(w.cluster.shard('s1')).to.deep.include({ node: 'n1', backups: ['n2', 'n3'], epoch: 9 });
    expect(w.calls.posts.map((p) => `${p.node} ${p.path}`)).to.deep.equal([
      'n1 /internal/shards/fence',
      'n2 /internal/shards/copy',
      'n1 /internal/shards/unfence',
      'n1 /internal/shards/fence',
      'n3 /internal/shards/copy',
      'n1 /internal/shards/unfence',
    ]);
  });

  it('unfences the primary and leaves the set as it is when the copy fails', async function () {
    const w = world({ note: [{ id: 's1', range: WHOLE, node: 'n1', backups: ['n2'], epoch: 2 }] });
    w.calls.answer = (_node, path) =>
      path === '/internal/shards/copy'
        ? Promise.reject(new IsxError('NODE_ERROR', 'copy failed'))
        : Promise.resolve({});
    w.coordinator.repair();
    await w.coordinator.settled();
    expect(w.events).to.deep.equal([
      'n1 /internal/shards/fence',
      'n3 /internal/shards/copy',
      'n1 /internal/shards/unfence',
    ]);
    expect(w.cluster.shard('s1')).to.deep.include({ backups: ['n2'], epoch: 2 });
  });

  it('starts over, without adding the copy, when the set changed while the copy ran', async function () {
    const w = world({ note: [{ id: 's1', range: WHOLE, node: 'n1', backups: ['n2'], epoch: 2 }] });
    let copies = 0;
    w.calls.answer = async (_node, path) => {
      if (path === '/internal/shards/copy' && (copies += 1) === 1) {
        // A drop under the copy's feet: n2 leaves under epoch 3.
        await w.coordinator.drop({ shardId: 's1', epoch: 2, node: 'n2' });
      }
      return {};
    };
    w.coordinator.repair();
    await w.coordinator.settled();
    const copied = w.calls.posts.filter((p) => p.path === '/internal/shards/copy').map((p) => p.node);
    expect(copied[0]).to.equal('n3');
    // The first copy is never added under epoch 2; the set is rebuilt from epoch 3.
    expect(w.cluster.commits[0]?.config.types['note']?.shards[0]).to.deep.include({
      backups: [],
      epoch: 3,
    });
    const final = w.cluster.shard('s1');
    expect(final.node).to.equal('n1');
    expect(final.backups).to.have.length(2);
    expect(final.epoch).to.equal(5);
  });
});

/**
 * The replica mover's protocols, call by call against the recording fake caller: adding a
 * learner (copy and catch-up while writes go on, then a short fence for the last entries and
 * the map change), handing the primary over, and removing a replica. Every map change is saved
 * without announcing it, then announced, and is abandoned if the set changed meanwhile.
 */
import { expect } from 'chai';
import { IsxError } from '@isx/core';
import type { StepProgress } from '../src/replica-mover.js';
import {
  closeWorldsAfterEach,
  logPositions,
  rejection,
  url,
  WHOLE,
  world,
  type World,
} from './support/replica-sets.js';

const scope = { shardId: 's1', type: 'note', range: WHOLE };
/** The fence's time to live, after which a fenced node asks the router whether it still leads. */
const FENCE_TTL_MS = 10_000;
const sourced = { shardId: 's1', sourceUrl: url('n1') };

/** s1 led by n1 with the backups given, in epoch 2. */
function oneShard(backups: string[]): World {
  return world({ note: [{ id: 's1', range: WHOLE, node: 'n1', backups, epoch: 2 }] });
}

/** Answers each catch-up with the next number of entries from `entries` (the last one repeats). */
function catchUpEntries(w: World, entries: number[]): void {
  let next = 0;
  w.calls.answer = (node, path, body) => {
    if (path !== '/internal/shards/catch-up') return w.calls.reply(node, path, body);
    const answer = entries[Math.min(next, entries.length - 1)]!;
    next += 1;
    return Promise.resolve({ entries: answer, seq: 100 });
  };
}

describe('the replica mover: adding a replica', function () {
  closeWorldsAfterEach();

  it('has a fresh node copy the shard, catch up, and join under a short fence and a new epoch', async function () {
    const w = oneShard(['n2']);
    w.calls.status = (_node, shardId) => ({ shardId, seq: 7, entities: 3 });
    w.calls.answer = (node, path, body) =>
      path === '/internal/shards/copy'
        ? w.calls.reply(node, path, body).then(() => ({ entities: 3, bytes: 120 }))
        : w.calls.reply(node, path, body);
    const phases: StepProgress[] = [];
    await w.mover.addReplica('s1', 'n3', (p) => phases.push(p));
    expect(w.events).to.deep.equal([
      'n3 /internal/shards/catch-up', // refused: n3 holds nothing of s1
      'n1 GET /internal/shards/status',
      'n3 /internal/shards/copy',
      'n3 /internal/shards/catch-up',
      'n1 /internal/shards/fence',
      'n3 /internal/shards/catch-up',
      'commit',
      'n1 /internal/map', // the primary and the new backup hear first
      'n3 /internal/map',
      'announce',
      'n1 /internal/shards/unfence',
    ]);
    expect(w.calls.posts.filter((p) => p.path !== '/internal/map')).to.deep.equal([
      { node: 'n3', path: '/internal/shards/catch-up', body: sourced, timeoutMs: 600_000 },
      {
        node: 'n3',
        path: '/internal/shards/copy',
        body: { ...scope, sourceUrl: url('n1') },
        timeoutMs: 600_000,
      },
      { node: 'n3', path: '/internal/shards/catch-up', body: sourced, timeoutMs: 600_000 },
      {
        node: 'n1',
        path: '/internal/shards/fence',
        body: { ...scope, ttlMs: FENCE_TTL_MS },
        timeoutMs: undefined,
      },
      { node: 'n3', path: '/internal/shards/catch-up', body: sourced, timeoutMs: 600_000 },
      { node: 'n1', path: '/internal/shards/unfence', body: scope, timeoutMs: undefined },
    ]);
    expect(w.calls.gets).to.deep.equal([
      {
        node: 'n1',
        path: '/internal/shards/status',
        query: { shardId: 's1', count: '1' },
        timeoutMs: 10_000,
      },
    ]);
    expect(w.cluster.shard('s1')).to.deep.include({ node: 'n1', backups: ['n2', 'n3'], epoch: 3 });
    expect(w.cluster.commits.map((c) => c.announce)).to.deep.equal([false]);
    expect(phases).to.deep.equal([
      { phase: 'catching-up' },
      { phase: 'copying', entitiesCopied: 0, bytesCopied: 0, entitiesTotal: 3 },
      { phase: 'catching-up', entitiesCopied: 3, bytesCopied: 120 },
      { phase: 'cutover' },
    ]);
  });

  it('skips the copy when the target can catch up from the log', async function () {
    const w = oneShard(['n2']);
    w.calls.holding.add('n3 s1');
    catchUpEntries(w, [4, 0]);
    await w.mover.addReplica('s1', 'n3', () => undefined);
    expect(w.events).to.deep.equal([
      'n3 /internal/shards/catch-up',
      'n1 /internal/shards/fence',
      'n3 /internal/shards/catch-up',
      'commit',
      'n1 /internal/map',
      'n3 /internal/map',
      'announce',
      'n1 /internal/shards/unfence',
    ]);
    expect(w.calls.gets).to.deep.equal([]);
    expect(w.cluster.shard('s1')).to.deep.include({ backups: ['n2', 'n3'], epoch: 3 });
  });

  it('keeps the primary fenced when it does not take the new map, so it never writes without the new backup', async function () {
    const w = oneShard(['n2']);
    w.calls.holding.add('n3 s1');
    catchUpEntries(w, [0]);
    const answer = w.calls.answer;
    w.calls.answer = (node, path, body) =>
      node === 'n1' && path === '/internal/map'
        ? Promise.reject(new IsxError('NODE_UNAVAILABLE', 'no answer'))
        : answer(node, path, body);
    await w.mover.addReplica('s1', 'n3', () => undefined);
    expect(w.cluster.shard('s1')).to.deep.include({ backups: ['n2', 'n3'], epoch: 3 });
    expect(w.events).to.not.include('n1 /internal/shards/unfence');
  });

  it('catches up while writes go on until 32 entries or fewer are missing, five rounds at most', async function () {
    const before = (w: World): number =>
      w.events.slice(0, w.events.indexOf('n1 /internal/shards/fence')).length;
    const close = oneShard(['n2']);
    close.calls.holding.add('n3 s1');
    catchUpEntries(close, [500, 40, 32, 0]);
    await close.mover.addReplica('s1', 'n3', () => undefined);
    expect(before(close)).to.equal(3);
    const far = oneShard(['n2']);
    far.calls.holding.add('n3 s1');
    catchUpEntries(far, [500, 400, 300, 200, 100, 50]);
    await far.mover.addReplica('s1', 'n3', () => undefined);
    expect(before(far)).to.equal(6);
    expect(far.cluster.shard('s1')).to.deep.include({ backups: ['n2', 'n3'], epoch: 3 });
  });

  it('leaves the set as it is, and the primary never fenced, when the copy fails', async function () {
    const w = oneShard(['n2']);
    w.calls.answer = (node, path, body) =>
      path === '/internal/shards/copy'
        ? Promise.reject(new IsxError('NODE_ERROR', 'copy failed'))
        : w.calls.reply(node, path, body);
    const error = await rejection(w.mover.addReplica('s1', 'n3', () => undefined));
    expect(error.code).to.equal('NODE_ERROR');
    expect(w.events).to.deep.equal([
      'n3 /internal/shards/catch-up',
      'n1 GET /internal/shards/status',
      'n3 /internal/shards/copy',
    ]);
    expect(w.cluster.shard('s1')).to.deep.include({ backups: ['n2'], epoch: 2 });
    expect(w.cluster.commits).to.deep.equal([]);
  });

  it('fails, unfences and leaves the set as it is when the last entries cannot be had under the fence', async function () {
    const w = oneShard(['n2']);
    // The copy works, but the log moved on too far for any catch-up since.
    w.calls.answer = (node, path, body) =>
      path === '/internal/shards/catch-up'
        ? Promise.reject(new IsxError('REPLICATION_GAP', 'the log moved on'))
        : w.calls.reply(node, path, body);
    const error = await rejection(w.mover.addReplica('s1', 'n3', () => undefined));
    expect(error.code).to.equal('REPLICATION_GAP');
    // Nothing long runs under the fence: no second copy.
    expect(w.events).to.deep.equal([
      'n3 /internal/shards/catch-up',
      'n1 GET /internal/shards/status',
      'n3 /internal/shards/copy',
      'n3 /internal/shards/catch-up',
      'n1 /internal/shards/fence',
      'n3 /internal/shards/catch-up',
      'n1 /internal/shards/unfence',
    ]);
    expect(w.cluster.shard('s1')).to.deep.include({ backups: ['n2'], epoch: 2 });
    expect(w.cluster.commits).to.deep.equal([]);
  });

  it('fails with CONFLICT, without adding the replica, when the epoch changed while it copied', async function () {
    const w = oneShard(['n2']);
    w.calls.answer = async (node, path, body) => {
      // A drop under the copy's feet: n2 leaves under epoch 3.
      if (path === '/internal/shards/copy') await w.coordinator.drop({ shardId: 's1', epoch: 2, node: 'n2' });
      return w.calls.reply(node, path, body);
    };
    expect((await rejection(w.mover.addReplica('s1', 'n3', () => undefined))).code).to.equal('CONFLICT');
    expect(w.cluster.shard('s1')).to.deep.include({ node: 'n1', backups: [], epoch: 3 });
    expect(w.cluster.commits).to.have.length(1); // the drop's
    expect(w.events.slice(w.events.indexOf('n1 /internal/shards/fence'))).to.deep.equal([
      'n1 /internal/shards/fence',
      'n3 /internal/shards/catch-up',
      'n1 /internal/shards/unfence',
    ]);
  });

  it('fails with CONFLICT, without adding the replica, when the primary changed while it copied, even in the same epoch', async function () {
    const w = oneShard(['n2']);
    w.calls.answer = async (node, path, body) => {
      if (path === '/internal/shards/copy')
        await w.cluster.rewrite('s1', (s) => {
          s.node = 'n2';
          s.backups = ['n1'];
        });
      return w.calls.reply(node, path, body);
    };
    expect((await rejection(w.mover.addReplica('s1', 'n3', () => undefined))).code).to.equal('CONFLICT');
    expect(w.cluster.shard('s1')).to.deep.include({ node: 'n2', backups: ['n1'], epoch: 2 });
    expect(w.cluster.commits).to.have.length(1); // the rewrite's
    expect(w.cluster.announcements).to.equal(0);
    expect(w.events.at(-1)).to.equal('n1 /internal/shards/unfence');
  });
});

describe('the replica mover: handing the primary over', function () {
  closeWorldsAfterEach();

  it('fences reads and writes, checks the seqs, swaps primary and backup under a new epoch and does not unfence', async function () {
    const w = oneShard(['n2', 'n3']);
    w.calls.status = logPositions({ n1: 9, n2: 9 });
    const pausedMs = await w.mover.transferPrimary('s1', 'n2', () => undefined);
    expect(w.events).to.deep.equal([
      'n1 /internal/shards/fence',
      'n1 GET /internal/shards/status',
      'n2 GET /internal/shards/status',
      'commit',
      'n1 /internal/map', // the old and the new primary hear first
      'n2 /internal/map',
      'announce',
    ]);
    expect(w.calls.posts.filter((p) => p.path !== '/internal/map')).to.deep.equal([
      {
        node: 'n1',
        path: '/internal/shards/fence',
        body: { ...scope, ttlMs: FENCE_TTL_MS, blocksReads: true },
        timeoutMs: undefined,
      },
    ]);
    expect(w.calls.gets.map((g) => [g.node, g.query])).to.deep.equal([
      ['n1', { shardId: 's1' }],
      ['n2', { shardId: 's1' }],
    ]);
    expect(w.cluster.shard('s1')).to.deep.include({ node: 'n2', backups: ['n1', 'n3'], epoch: 3 });
    expect(w.cluster.commits.map((c) => c.announce)).to.deep.equal([false]);
    expect(pausedMs).to.be.a('number').and.at.least(0);
    expect(w.released, 'requests held for the shard may go once both nodes have the map').to.deep.equal([
      's1',
    ]);
  });

  it('refuses with CANNOT_MOVE and unfences when the target lacks entries the primary has', async function () {
    const w = oneShard(['n2', 'n3']);
    w.calls.status = logPositions({ n1: 9, n2: 8 });
    const error = await rejection(w.mover.transferPrimary('s1', 'n2', () => undefined));
    expect(error.code).to.equal('CANNOT_MOVE');
    expect(w.events).to.deep.equal([
      'n1 /internal/shards/fence',
      'n1 GET /internal/shards/status',
      'n2 GET /internal/shards/status',
      'n1 /internal/shards/unfence',
    ]);
    expect(w.cluster.shard('s1')).to.deep.include({ node: 'n1', backups: ['n2', 'n3'], epoch: 2 });
    expect(w.released, 'released once unfenced').to.deep.equal(['s1']);
  });

  it('unfences and changes nothing when a log position cannot be read', async function () {
    const w = oneShard(['n2', 'n3']);
    w.calls.status = logPositions({ n1: 9 });
    await rejection(w.mover.transferPrimary('s1', 'n2', () => undefined));
    expect(w.events.at(-1)).to.equal('n1 /internal/shards/unfence');
    expect(w.cluster.commits).to.deep.equal([]);
  });

  it('refuses with CANNOT_MOVE, without a call, a target that is not an in-sync backup', async function () {
    const w = oneShard(['n2']);
    const error = await rejection(w.mover.transferPrimary('s1', 'n3', () => undefined));
    expect(error.code).to.equal('CANNOT_MOVE');
    expect(w.events).to.deep.equal([]);
  });

  it('fails with CONFLICT, does not hand over, and unfences, when the epoch changed meanwhile', async function () {
    const w = oneShard(['n2', 'n3']);
    let asked = 0;
    w.calls.status = async (_node, shardId) => {
      if ((asked += 1) === 1) await w.coordinator.drop({ shardId: 's1', epoch: 2, node: 'n3' });
      return { shardId, seq: 9 };
    };
    expect((await rejection(w.mover.transferPrimary('s1', 'n2', () => undefined))).code).to.equal('CONFLICT');
    expect(w.cluster.shard('s1')).to.deep.include({ node: 'n1', backups: ['n2'], epoch: 3 });
    expect(w.cluster.commits).to.have.length(1); // the drop's
    expect(w.events.at(-1)).to.equal('n1 /internal/shards/unfence');
  });
});

describe('the replica mover: removing a replica', function () {
  closeWorldsAfterEach();

  it('fences the primary around the map change, then has the removed node drop its copy', async function () {
    const w = oneShard(['n2', 'n3']);
    w.calls.holding.add('n3 s1');
    await w.mover.removeReplica('s1', 'n3', () => undefined);
    expect(w.events).to.deep.equal([
      'n1 /internal/shards/fence',
      'commit',
      'n1 /internal/map',
      'announce',
      'n1 /internal/shards/unfence',
      'n3 /internal/shards/drop',
    ]);
    expect(w.calls.posts.filter((p) => p.path !== '/internal/map')).to.deep.equal([
      {
        node: 'n1',
        path: '/internal/shards/fence',
        body: { ...scope, ttlMs: FENCE_TTL_MS },
        timeoutMs: undefined,
      },
      { node: 'n1', path: '/internal/shards/unfence', body: scope, timeoutMs: undefined },
      { node: 'n3', path: '/internal/shards/drop', body: scope, timeoutMs: 60_000 },
    ]);
    expect(w.cluster.shard('s1')).to.deep.include({ node: 'n1', backups: ['n2'], epoch: 3 });
    expect(w.cluster.commits.map((c) => c.announce)).to.deep.equal([false]);
    expect(w.calls.holding.has('n3 s1')).to.equal(false);
  });

  it('counts the replica removed even when the node cannot drop its copy', async function () {
    const w = oneShard(['n2', 'n3']);
    w.calls.answer = (node, path, body) =>
      path === '/internal/shards/drop'
        ? Promise.reject(new IsxError('NODE_UNAVAILABLE', 'gone'))
        : w.calls.reply(node, path, body);
    await w.mover.removeReplica('s1', 'n3', () => undefined);
    expect(w.cluster.shard('s1')).to.deep.include({ backups: ['n2'], epoch: 3 });
  });

  it('refuses with CANNOT_MOVE, without a call, to remove the primary', async function () {
    const w = oneShard(['n2', 'n3']);
    const error = await rejection(w.mover.removeReplica('s1', 'n1', () => undefined));
    expect(error.code).to.equal('CANNOT_MOVE');
    expect(w.events).to.deep.equal([]);
  });

  it('fails with CONFLICT, neither changing the set nor dropping the copy, when the epoch changed meanwhile', async function () {
    const w = oneShard(['n2', 'n3']);
    w.calls.answer = async (node, path, body) => {
      if (path === '/internal/shards/fence')
        await w.coordinator.drop({ shardId: 's1', epoch: 2, node: 'n2' });
      return w.calls.reply(node, path, body);
    };
    expect((await rejection(w.mover.removeReplica('s1', 'n3', () => undefined))).code).to.equal('CONFLICT');
    expect(w.cluster.shard('s1')).to.deep.include({ backups: ['n3'], epoch: 3 });
    expect(w.events).to.deep.equal([
      'n1 /internal/shards/fence',
      'commit', // the drop's
      'announce',
      'changed',
      'n1 /internal/shards/unfence',
    ]);
  });
});

/**
 * The router's replication coordinator driven through a fake cluster around a real shard map:
 * failover, dropping a backup a primary reported, and repair. A fake node caller records the
 * router's posts to nodes, and nock answers `GET /internal/shards/status` for each backup.
 */
import { expect } from 'chai';
import nock from 'nock';
import { pino } from 'pino';
import {
  CLUSTER_TOKEN_HEADER,
  IsxError,
  parseClusterConfig,
  ShardMap,
  type ClusterConfig,
  type ShardAssignment,
} from '@isx/core';
import type { ClusterState } from '../src/cluster-store.js';
import type { MoveCluster } from '../src/move-coordinator.js';
import type { NodeCaller } from '../src/node-calls.js';
import { ReplicationCoordinator } from '../src/replication-coordinator.js';

const TOKEN = 'cluster-secret';
const NODE_IDS = ['n1', 'n2', 'n3', 'n4', 'n5'] as const;
const url = (id: string): string => `http://${id}.test:5000`;
const WHOLE = { start: '', end: null };
const LOWER = { start: '', end: '80000000' };
const UPPER = { start: '80000000', end: null };

function config(types: Record<string, ShardAssignment[]>): ClusterConfig {
  return parseClusterConfig({
    nodes: Object.fromEntries(NODE_IDS.map((id) => [id, { url: url(id) }])),
    types: Object.fromEntries(
      Object.entries(types).map(([type, shards]) => [type, { partitioner: 'hash', shards }]),
    ),
    replication: { factor: 3, minInSync: 2 },
  });
}

/** Everything the coordinator did to the cluster and the nodes, in order. */
type Event = string;

/** A cluster like the ClusterManager's: changes run one at a time, commits version the map. */
class FakeCluster implements MoveCluster {
  readonly events: Event[];
  readonly commits: Array<{ config: ClusterConfig; announce: boolean | undefined }> = [];
  announcements = 0;
  #map: ShardMap;
  #changes: Promise<unknown> = Promise.resolve();

  constructor(initial: ClusterConfig, events: Event[]) {
    this.#map = new ShardMap(initial, 1);
    this.events = events;
  }

  state(): ClusterState {
    const map = { version: this.#map.version, config: this.#map.config };
    return { routerId: 'r1', map, nodes: [], nextNodeNumber: 6, moves: [] };
  }

  map(): ShardMap {
    return this.#map;
  }

  findShard(shardId: string): { type: string; shard: ShardAssignment } {
    for (const [type, layout] of Object.entries(this.#map.config.types)) {
      const shard = layout.shards.find((s) => s.id === shardId);
      if (shard) return { type, shard };
    }
    throw new IsxError('UNKNOWN_SHARD', `There is no shard ${shardId}.`);
  }

  change<T>(task: () => Promise<T>): Promise<T> {
    const run = this.#changes.then(task, task);
    this.#changes = run.catch(() => undefined);
    return run;
  }

  commit(_state: ClusterState, next: ClusterConfig, announce?: boolean): Promise<void> {
    const checked = parseClusterConfig(next);
    const changed = JSON.stringify(checked) !== JSON.stringify(this.#map.config);
    this.commits.push({ config: checked, announce });
    this.events.push('commit');
    this.#map = new ShardMap(checked, this.#map.version + (changed ? 1 : 0));
    return Promise.resolve();
  }

  announce(): Promise<void> {
    this.announcements += 1;
    this.events.push('announce');
    return Promise.resolve();
  }

  shard(shardId: string): ShardAssignment {
    return this.findShard(shardId).shard;
  }

  /** The shard as the first commit left it (a repair may follow a failover and commit again). */
  firstCommitted(shardId: string): ShardAssignment | undefined {
    const types = Object.values(this.commits[0]?.config.types ?? {});
    return types.flatMap((layout) => layout.shards).find((s) => s.id === shardId);
  }
}

/** Records every post; `answer` decides what a post answers (by default `{}`). */
class FakeCaller implements NodeCaller {
  readonly posts: Array<{ node: string; path: string; body: unknown; timeoutMs: number | undefined }> = [];
  readonly events: Event[];
  answer: (node: string, path: string) => Promise<unknown> = () => Promise.resolve({});

  constructor(events: Event[]) {
    this.events = events;
  }

  post(nodeUrl: string, path: string, body: unknown, timeoutMs?: number): Promise<unknown> {
    const node = NODE_IDS.find((id) => url(id) === nodeUrl) ?? nodeUrl;
    this.posts.push({ node, path, body, timeoutMs });
    this.events.push(`${node} ${path}`);
    return this.answer(node, path);
  }
}

interface World {
  cluster: FakeCluster;
  calls: FakeCaller;
  coordinator: ReplicationCoordinator;
  events: Event[];
  /** Which nodes are live, and the types each serves. */
  live: Map<string, string[]>;
}

function world(types: Record<string, ShardAssignment[]>, factor = 3): World {
  const events: Event[] = [];
  const cluster = new FakeCluster(config(types), events);
  const calls = new FakeCaller(events);
  const live = new Map<string, string[]>(NODE_IDS.map((id) => [id, ['note']]));
  const coordinator = new ReplicationCoordinator({
    cluster,
    calls,
    token: TOKEN,
    factor,
    liveNodes: () => [...live].map(([id, served]) => ({ id, types: served })),
    logger: pino({ level: 'silent' }),
  });
  return { cluster, calls, coordinator, events, live };
}

/** Has node `id` answer its log position of `shardId`, only when asked with the cluster token. */
function status(id: string, shardId: string, seq: number): nock.Scope {
  return nock(url(id), { reqheaders: { [CLUSTER_TOKEN_HEADER]: TOKEN } })
    .get('/internal/shards/status')
    .query({ shardId })
    .reply(200, { shardId, seq });
}

async function rejection(promise: Promise<unknown>): Promise<{ code?: string }> {
  try {
    await promise;
  } catch (error) {
    return error as { code?: string };
  }
  throw new Error('expected a rejection');
}

describe('the replication coordinator (failover, drop and repair of replica sets)', function () {
  // Importing nock switches its interceptor on, and the nocked-router suites of this package
  // rely on that; so this suite turns it on only if it is off, and leaves it as it found it.
  let nockWasActive = false;

  before(() => {
    nockWasActive = nock.isActive();
    if (!nockWasActive) nock.activate();
    nock.disableNetConnect();
  });

  after(() => {
    nock.cleanAll();
    nock.enableNetConnect();
    if (!nockWasActive) nock.restore();
  });

  afterEach(() => nock.cleanAll());

  describe('failover', function () {
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

  describe('drop', function () {
    it('refuses a report from another epoch with STALE_EPOCH and changes nothing', async function () {
      const w = world({ note: [{ id: 's1', range: WHOLE, node: 'n1', backups: ['n2', 'n3'], epoch: 5 }] });
      const before = structuredClone(w.cluster.map().config);
      for (const epoch of [4, 6]) {
        const error = await rejection(w.coordinator.drop({ shardId: 's1', epoch, node: 'n2' }));
        expect(error.code).to.equal('STALE_EPOCH');
      }
      await w.coordinator.settled();
      expect(w.cluster.map().config).to.deep.equal(before);
      expect(w.cluster.commits).to.deep.equal([]);
      expect(w.cluster.announcements).to.equal(0);
      expect(w.calls.posts).to.deep.equal([]);
    });

    it('removes the reported backup under a new epoch and answers with the new map', async function () {
      const w = world({ note: [{ id: 's1', range: WHOLE, node: 'n1', backups: ['n2', 'n3'], epoch: 5 }] }, 2);
      const wire = await w.coordinator.drop({ shardId: 's1', epoch: 5, node: 'n2' });
      expect(w.cluster.shard('s1')).to.deep.include({ node: 'n1', backups: ['n3'], epoch: 6 });
      expect(wire.version).to.equal(2);
      expect(wire.config.types['note']?.shards[0]).to.deep.include({ backups: ['n3'], epoch: 6 });
      expect(w.cluster.commits).to.have.length(1);
      expect(w.cluster.commits[0]?.announce).to.equal(false);
      await w.coordinator.settled();
      expect(w.cluster.announcements).to.equal(1);
    });

    it('refuses a second report from the epoch the first one replaced', async function () {
      const w = world({ note: [{ id: 's1', range: WHOLE, node: 'n1', backups: ['n2', 'n3'], epoch: 5 }] }, 2);
      await w.coordinator.drop({ shardId: 's1', epoch: 5, node: 'n2' });
      const error = await rejection(w.coordinator.drop({ shardId: 's1', epoch: 5, node: 'n3' }));
      expect(error.code).to.equal('STALE_EPOCH');
      expect(w.cluster.shard('s1')).to.deep.include({ backups: ['n3'], epoch: 6 });
      await w.coordinator.settled();
    });

    it('answers the map unchanged for a node that is not a backup of the shard', async function () {
      const w = world({ note: [{ id: 's1', range: WHOLE, node: 'n1', backups: ['n2', 'n3'], epoch: 5 }] }, 2);
      const wire = await w.coordinator.drop({ shardId: 's1', epoch: 5, node: 'n4' });
      expect(wire.version).to.equal(1);
      expect(w.cluster.shard('s1')).to.deep.include({ backups: ['n2', 'n3'], epoch: 5 });
      expect(w.cluster.commits).to.deep.equal([]);
      await w.coordinator.settled();
    });

    it('refuses a report on a shard the map does not have with UNKNOWN_SHARD', async function () {
      const w = world({ note: [{ id: 's1', range: WHOLE, node: 'n1', backups: ['n2'], epoch: 5 }] });
      const error = await rejection(w.coordinator.drop({ shardId: 's9', epoch: 5, node: 'n2' }));
      expect(error.code).to.equal('UNKNOWN_SHARD');
    });
  });

  describe('repair', function () {
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
      expect(
        w.calls.posts.filter((p) => p.path === '/internal/shards/copy').map((p) => p.node),
      ).to.deep.equal(['n5']);
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
});

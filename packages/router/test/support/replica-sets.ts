/**
 * Fixtures for the replication coordinator's tests: a fake cluster around a real ShardMap, a
 * caller that records what it was asked, and nock for the nodes' log positions.
 */
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
import type { ClusterState } from '../../src/cluster-store.js';
import type { MoveCluster } from '../../src/move-coordinator.js';
import type { NodeCaller } from '../../src/node-calls.js';
import { ReplicationCoordinator } from '../../src/replication-coordinator.js';

export const TOKEN = 'cluster-secret';
export const NODE_IDS = ['n1', 'n2', 'n3', 'n4', 'n5'] as const;
export const url = (id: string): string => `http://${id}.test:5000`;
export const WHOLE = { start: '', end: null };
export const LOWER = { start: '', end: '80000000' };
export const UPPER = { start: '80000000', end: null };

export function config(types: Record<string, ShardAssignment[]>): ClusterConfig {
  return parseClusterConfig({
    nodes: Object.fromEntries(NODE_IDS.map((id) => [id, { url: url(id) }])),
    types: Object.fromEntries(
      Object.entries(types).map(([type, shards]) => [type, { partitioner: 'hash', shards }]),
    ),
    replication: { factor: 3, minInSync: 2 },
  });
}

/** Everything the coordinator did to the cluster and the nodes, in order. */
export type Event = string;

/** A cluster like the ClusterManager's: changes run one at a time, commits version the map. */
export class FakeCluster implements MoveCluster {
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
export class FakeCaller implements NodeCaller {
  readonly posts: Array<{ node: string; path: string; body: unknown; timeoutMs: number | undefined }> = [];
  readonly events: Event[];
  answer: (node: string, path: string) => Promise<unknown> = () => Promise.resolve({});
  /**
   * Whether a target can catch up from the log. By default it holds nothing of the shard and
   * refuses, as a fresh node does; such refusals are not recorded, so the expectations below
   * describe the full-copy path unless a test turns catch-up on.
   */
  catchUp = false;

  constructor(events: Event[]) {
    this.events = events;
  }

  post(nodeUrl: string, path: string, body: unknown, timeoutMs?: number): Promise<unknown> {
    const node = NODE_IDS.find((id) => url(id) === nodeUrl) ?? nodeUrl;
    if (path === '/internal/shards/catch-up' && !this.catchUp) {
      return Promise.reject(new Error('REPLICATION_GAP: this node holds nothing of the shard'));
    }
    this.posts.push({ node, path, body, timeoutMs });
    this.events.push(`${node} ${path}`);
    return this.answer(node, path);
  }
}

export interface World {
  cluster: FakeCluster;
  calls: FakeCaller;
  coordinator: ReplicationCoordinator;
  events: Event[];
  /** Which nodes are live, and the types each serves. */
  live: Map<string, string[]>;
}

export function world(types: Record<string, ShardAssignment[]>, factor = 3): World {
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
export function status(id: string, shardId: string, seq: number): nock.Scope {
  return nock(url(id), { reqheaders: { [CLUSTER_TOKEN_HEADER]: TOKEN } })
    .get('/internal/shards/status')
    .query({ shardId })
    .reply(200, { shardId, seq });
}

export async function rejection(promise: Promise<unknown>): Promise<{ code?: string }> {
  try {
    await promise;
  } catch (error) {
    return error as { code?: string };
  }
  throw new Error('expected a rejection');
}

/** Turns nock on for one suite if it is off, and leaves it as it found it afterwards. */
export function nockForSuite(): void {
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
}

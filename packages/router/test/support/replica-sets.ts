/**
 * Fixtures for the replication tests: a fake cluster around a real ShardMap, a caller that
 * records what it was asked and answers as the nodes would, and `world`, which builds the
 * replication coordinator, a replica mover and a rebalancer over the same cluster and caller.
 * Nothing here goes to the network.
 */
import { pino } from 'pino';
import {
  IsxError,
  parseClusterConfig,
  ShardMap,
  type ClusterConfig,
  type ShardAssignment,
  type ShardStatus,
} from '@isx/core';
import type { ClusterEvents } from '../../src/cluster-events.js';
import type { ClusterState } from '../../src/cluster-store.js';
import type { MoveCluster } from '../../src/move-coordinator.js';
import type { NodeCaller } from '../../src/node-calls.js';
import type { ReplicaAction } from '../../src/replica-placement.js';
import { ReplicaMover } from '../../src/replica-mover.js';
import { Rebalancer } from '../../src/rebalancer.js';
import { ReplicationCoordinator } from '../../src/replication-coordinator.js';

export const NODE_IDS = ['n1', 'n2', 'n3', 'n4', 'n5'] as const;
export const url = (id: string): string => `http://${id}.test:5000`;
export const WHOLE = { start: '', end: null };
export const LOWER = { start: '', end: '80000000' };
export const UPPER = { start: '80000000', end: null };

/** `count` shards that split the hash space evenly between them. */
export function ranges(count: number): Array<{ start: string; end: string | null }> {
  const bound = (i: number): string =>
    Math.floor((i * 0x1_0000_0000) / count)
      .toString(16)
      .padStart(8, '0');
  return Array.from({ length: count }, (_, i) => ({
    start: i === 0 ? '' : bound(i),
    end: i === count - 1 ? null : bound(i + 1),
  }));
}

export function config(
  types: Record<string, ShardAssignment[]>,
  replication = { factor: 3, minInSync: 2 },
): ClusterConfig {
  return parseClusterConfig({
    nodes: Object.fromEntries(NODE_IDS.map((id) => [id, { url: url(id) }])),
    types: Object.fromEntries(
      Object.entries(types).map(([type, shards]) => [type, { partitioner: 'hash', shards }]),
    ),
    replication,
  });
}

/** Everything done to the cluster and the nodes, in order. */
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

  /** Changes a shard as something else would (an operator, another step), through a commit. */
  rewrite(shardId: string, edit: (shard: ShardAssignment) => void): Promise<void> {
    return this.change(async () => {
      const config = structuredClone(this.#map.config);
      const shard = Object.values(config.types)
        .flatMap((layout) => layout.shards)
        .find((s) => s.id === shardId);
      if (!shard) throw new IsxError('UNKNOWN_SHARD', `There is no shard ${shardId}.`);
      edit(shard);
      await this.commit(this.state(), config, false);
    });
  }

  /** The shards that have a replica set, as the placement planner takes them. */
  placed(): Array<{ id: string; type: string; node: string; backups: string[] }> {
    return Object.entries(this.#map.config.types).flatMap(([type, layout]) =>
      layout.shards
        .filter((s) => s.backups !== undefined)
        .map((s) => ({ id: s.id, type, node: s.node, backups: s.backups ?? [] })),
    );
  }
}

export interface Call {
  node: string;
  path: string;
  body: unknown;
  timeoutMs: number | undefined;
}

export interface GetCall {
  node: string;
  /** The path without its query. */
  path: string;
  query: Record<string, string>;
  timeoutMs: number | undefined;
}

/**
 * Records every call and answers it as a node would. Posts are answered by `answer`, which by
 * default is `reply`: a copy gives the target the shard and a catch-up is refused by a node that
 * holds nothing of it, as a fresh node refuses it (see `holding`). `GET /internal/shards/status`
 * is answered by `status`: by default every node is at seq 0.
 */
export class FakeCaller implements NodeCaller {
  readonly posts: Call[] = [];
  readonly gets: GetCall[] = [];
  readonly events: Event[];
  /** The copies the nodes hold, as `${node} ${shardId}`; a copy adds one, a drop takes it away. */
  readonly holding = new Set<string>();
  answer: (node: string, path: string, body: unknown) => Promise<unknown> = (node, path, body) =>
    this.reply(node, path, body);
  status: (node: string, shardId: string) => ShardStatus | Promise<ShardStatus> = (_node, shardId) => ({
    shardId,
    seq: 0,
  });

  constructor(events: Event[]) {
    this.events = events;
  }

  post(nodeUrl: string, path: string, body: unknown, timeoutMs?: number): Promise<unknown> {
    const node = nodeOf(nodeUrl);
    this.posts.push({ node, path, body, timeoutMs });
    this.events.push(`${node} ${path}`);
    return this.answer(node, path, body);
  }

  async get(nodeUrl: string, path: string, timeoutMs?: number): Promise<unknown> {
    const node = nodeOf(nodeUrl);
    const parsed = new URL(path, 'http://node');
    const query = Object.fromEntries(parsed.searchParams);
    this.gets.push({ node, path: parsed.pathname, query, timeoutMs });
    this.events.push(`${node} GET ${parsed.pathname}`);
    if (parsed.pathname === '/internal/shards/status') return this.status(node, query['shardId'] ?? '');
    if (parsed.pathname === '/internal/shards/copies') return { copies: [] };
    throw new IsxError('ROUTE_NOT_FOUND', `No route GET ${parsed.pathname} on this fake node.`);
  }

  /** What a node answers a post by default. */
  reply(node: string, path: string, body: unknown): Promise<unknown> {
    const shardId = (body as { shardId?: string }).shardId ?? '';
    switch (path) {
      case '/internal/shards/catch-up':
        if (!this.holding.has(`${node} ${shardId}`)) {
          return Promise.reject(
            new IsxError('REPLICATION_GAP', `This node holds nothing of shard ${shardId}.`),
          );
        }
        return Promise.resolve({ entries: 0, seq: 0 });
      case '/internal/shards/copy':
        this.holding.add(`${node} ${shardId}`);
        return Promise.resolve({ entities: 0, bytes: 0 });
      case '/internal/shards/drop':
        this.holding.delete(`${node} ${shardId}`);
        return Promise.resolve({});
      default:
        return Promise.resolve({});
    }
  }
}

function nodeOf(nodeUrl: string): string {
  return NODE_IDS.find((id) => url(id) === nodeUrl) ?? nodeUrl;
}

/** A `status` answer from a table of log positions; a node not in it cannot tell. */
export function logPositions(seqs: Record<string, number>): FakeCaller['status'] {
  return (node, shardId) => {
    const seq = seqs[node];
    if (seq === undefined) throw new IsxError('NODE_ERROR', `Node ${node} did not tell its log position.`);
    return { shardId, seq };
  };
}

/** A live node as the rebalancer sees it. */
export interface LiveNode {
  types: string[];
  draining: boolean;
}

export interface World {
  cluster: FakeCluster;
  calls: FakeCaller;
  coordinator: ReplicationCoordinator;
  mover: ReplicaMover;
  rebalancer: Rebalancer;
  events: Event[];
  /** Which nodes are live, the types each serves and whether it is draining. */
  live: Map<string, LiveNode>;
  /** How often the coordinator said a replica set changed (each is also an event `changed`). */
  changes: number;
  /** The steps the rebalancer finished, in order. */
  steps: Array<{ action: ReplicaAction; ok: boolean }>;
  /** Shards whose fence a step lifted (`onReleased`), in order. */
  released: string[];
  /** Run after the test, before the rebalancer closes (e.g. to let held answers go). */
  teardown: Array<() => void>;
}

export interface WorldOptions {
  factor?: number;
  minInSync?: number;
  maxConcurrent?: number;
  /** Told of the rebalancer's steps and the coordinator's promotions. */
  events?: ClusterEvents;
}

const worlds: World[] = [];

/**
 * A cluster of the nodes n1 to n5, all live and serving `note`, with the given shards; the
 * map's replication is the given factor (default 3) and minInSync (default 2).
 */
export function world(types: Record<string, ShardAssignment[]>, options: WorldOptions = {}): World {
  const { factor = 3, minInSync = 2 } = options;
  const logger = pino({ level: 'silent' });
  const events: Event[] = [];
  const cluster = new FakeCluster(config(types, { factor, minInSync }), events);
  const calls = new FakeCaller(events);
  const live = new Map<string, LiveNode>(NODE_IDS.map((id) => [id, { types: ['note'], draining: false }]));
  const released: string[] = [];
  const mover = new ReplicaMover({
    cluster,
    calls,
    logger,
    minInSync,
    onReleased: (id) => released.push(id),
  });
  const steps: World['steps'] = [];
  const rebalancer = new Rebalancer({
    cluster,
    mover,
    factor,
    minInSync,
    liveNodes: () => [...live].map(([id, node]) => ({ id, types: node.types, draining: node.draining })),
    ...(options.maxConcurrent === undefined ? {} : { maxConcurrent: options.maxConcurrent }),
    logger,
    onStep: (action, outcome) => steps.push({ action, ok: outcome.ok }),
    events: options.events,
  });
  const w: World = {
    cluster,
    calls,
    coordinator: new ReplicationCoordinator({
      cluster,
      calls,
      liveNodes: () => [...live.keys()].map((id) => ({ id })),
      onChange: () => {
        w.changes += 1;
        events.push('changed');
      },
      logger,
      events: options.events,
    }),
    mover,
    rebalancer,
    events,
    live,
    changes: 0,
    steps,
    released,
    teardown: [],
  };
  worlds.push(w);
  return w;
}

/** Closes the rebalancers of the worlds the suite's tests built, after each test. */
export function closeWorldsAfterEach(): void {
  afterEach(async () => {
    const built = worlds.splice(0);
    for (const w of built) for (const task of w.teardown) task();
    await Promise.all(built.map((w) => w.rebalancer.close()));
  });
}

export async function rejection(promise: Promise<unknown>): Promise<{ code?: string; message?: string }> {
  try {
    await promise;
  } catch (error) {
    return error as { code?: string; message?: string };
  }
  throw new Error('expected a rejection');
}

/** Resolves once `condition` holds, letting other work run in between; fails after `turns` turns. */
export async function until(condition: () => boolean, turns = 1_000): Promise<void> {
  for (let i = 0; i < turns; i += 1) {
    if (condition()) return;
    await new Promise((resolve) => setImmediate(resolve));
  }
  throw new Error('the condition never held');
}

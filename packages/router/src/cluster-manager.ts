/**
 * The configuration manager of a dynamic cluster (phase 2): the node registry, liveness
 * from heartbeats, and the shard map with every change to it.
 *
 * Every change of the map is checked for gaps and overlaps, given a higher version, and
 * saved (synced) before anything acts on it, so a router restarted after `kill -9` serves
 * exactly the map it last promised. Changes run one at a time. Liveness is never saved: it
 * is rebuilt from heartbeats, and a node known from before a restart is given a full
 * `deadAfterMs` to be heard from again. Shard moves, balancing and the abandoning of moves a
 * restart interrupted are left to a `MoveCoordinator`, which changes the map only through
 * this class's queued commit.
 */
import { join } from 'node:path';
import {
  IsxError,
  parseClusterConfig,
  ShardMap,
  splitPoint,
  type Clock,
  type ClusterConfig,
  type HeartbeatRequest,
  type HeartbeatResponse,
  type MoveView,
  type RegisterRequest,
  type RegisterResponse,
  type ReplicaFailedRequest,
  type DeadLettersAnswer,
  type ReplayAnswer,
  type ReplayRequest,
  type ShardMapWire,
  type ShardAssignment,
  type ShardLoad,
} from '@isx/core';
import type { Logger } from 'pino';
import { ClusterEventFanOut, type ClusterEvents } from './cluster-events.js';
import { ClusterStore, type ClusterState, type NodeRecord } from './cluster-store.js';
import { FailureDetector, type Liveness } from './failure-detector.js';
import { IdGenerator } from './id-generator.js';
import { createNodeCaller, type NodeCaller } from './node-calls.js';
import { MoveCoordinator, type MoveCluster, type MoveOutcome } from './move-coordinator.js';
import type { ReplicationCoordinator } from './replication-coordinator.js';
import { initialShards } from './placement.js';
import type { Rebalancer } from './rebalancer.js';
import { createReplicationParts } from './replication-parts.js';
import { AutoSplitter } from './auto-splitter.js';
import { ShardLoadBook } from './shard-load-book.js';
import { ShardReleases } from './shard-releases.js';
import { collectDeadLetters, replayDeadLetters } from './dead-letters.js';
import { spreadTarget, type SplitCause, type SplitPolicy, type SplitProposal } from './split-policy.js';

export interface ClusterManagerOptions {
  dataDir: string;
  token: string;
  routerId?: string;
  shardsPerType: number;
  heartbeatMs: number;
  suspectAfterMs: number;
  deadAfterMs: number;
  clock: Clock;
  logger: Logger;
  /** Move shards to new nodes automatically so shard counts stay even (default true; off with replicas). */
  autoBalance?: boolean;
  /** Copies of every shard (default 1); above 1, shards get backups, failover and repair. */
  replicationFactor?: number;
  /** How many replicas must hold a write before it is acknowledged (default the lesser of 2 and the factor). */
  minInSync?: number;
  /** Rebalancing steps (copies, hand-overs) at once, with replicas (default 2). */
  maxConcurrentMoves?: number;
  /** How fast a new replica may copy its shard, in bytes per second (default: unlimited). */
  moveBytesPerSecond?: number;
  /** Split shards that grow too large or too busy (default: never); `intervalMs` between rounds. */
  autoSplit?: SplitPolicy & { intervalMs?: number };
}

export interface NodeView {
  readonly record: NodeRecord;
  readonly status: Liveness;
  readonly heartbeatAgeMs: number | null;
}

export class ClusterManager {
  readonly #options: ClusterManagerOptions;
  readonly #store: ClusterStore;
  readonly #detector: FailureDetector;
  readonly #ids: IdGenerator;
  readonly #calls: NodeCaller;
  #state: ClusterState;
  #map: ShardMap;
  #changes: Promise<unknown> = Promise.resolve();
  readonly #mover: MoveCoordinator;
  readonly #replication: ReplicationCoordinator | undefined;
  readonly #rebalancer: Rebalancer | undefined;
  readonly #load: ShardLoadBook;
  readonly #releases = new ShardReleases();
  readonly #splitter: AutoSplitter | undefined;
  readonly #events = new ClusterEventFanOut();
  #sweeper: NodeJS.Timeout | undefined;

  private constructor(options: ClusterManagerOptions, store: ClusterStore, state: ClusterState) {
    this.#options = options;
    this.#store = store;
    this.#state = state;
    this.#map = toShardMap(state);
    this.#detector = new FailureDetector({
      suspectAfterMs: options.suspectAfterMs,
      deadAfterMs: options.deadAfterMs,
      clock: options.clock,
      onChange: (change) => this.#events.livenessChanged(change),
    });
    this.#ids = new IdGenerator(state.routerId, options.clock);
    this.#calls = createNodeCaller(options.token);
    const cluster: MoveCluster = {
      state: () => this.#state,
      map: () => this.#map,
      findShard: (shardId) => this.#findShard(shardId),
      change: (task) => this.#change(task),
      commit: (next, config, announce) => this.#commit(next, config, announce),
      announce: () => this.#announce(),
    };
    this.#mover = new MoveCoordinator({
      cluster,
      detector: this.#detector,
      calls: this.#calls,
      clock: options.clock,
      logger: options.logger,
      events: this.#events,
    });
    const factor = options.replicationFactor ?? 1;
    if (factor > 1) {
      const parts = createReplicationParts({
        cluster,
        calls: this.#calls,
        logger: options.logger,
        factor,
        minInSync: options.minInSync ?? Math.min(2, factor),
        liveNodes: () =>
          this.nodes()
            .filter((n) => n.status === 'alive')
            .map((n) => ({ id: n.record.id, types: n.record.types, draining: n.record.draining === true })),
        maxConcurrentMoves: options.maxConcurrentMoves,
        moveBytesPerSecond: options.moveBytesPerSecond,
        onReleased: (shardId) => this.#releases.release(shardId),
        events: this.#events,
      });
      this.#rebalancer = parts.rebalancer;
      this.#replication = parts.coordinator;
    }
    for (const node of state.nodes) this.#detector.watch(node.id);
    this.#load = new ShardLoadBook(options.clock);
    if (options.autoSplit) {
      this.#splitter = new AutoSplitter({
        policy: options.autoSplit,
        book: this.#load,
        map: () => this.#map,
        split: async (shardId, at) => (await this.split(shardId, at)).right.id,
        afterSplit: (proposal, newShardId) => this.#spread(proposal, newShardId),
        logger: options.logger,
        events: this.#events,
        ...(options.autoSplit.intervalMs === undefined ? {} : { intervalMs: options.autoSplit.intervalMs }),
      });
    }
  }

  /** Opens the router's store, loading the map and registry a previous run saved. */
  static async open(options: ClusterManagerOptions): Promise<ClusterManager> {
    const store = await ClusterStore.open(join(options.dataDir, 'level'));
    const saved = await store.load();
    const state: ClusterState = saved ?? {
      routerId: options.routerId ?? 'r1',
      map: { version: 0, config: { nodes: {}, types: {} } },
      nodes: [],
      nextNodeNumber: 1,
      moves: [],
    };
    const manager = new ClusterManager(options, store, state);
    if (!saved) await store.save(state);
    await manager.#mover.abandonInterrupted();
    manager.#sweeper = setInterval(() => manager.#sweep(), Math.max(10, Math.floor(options.heartbeatMs / 2)));
    manager.#sweeper.unref();
    options.logger.info(
      { mapVersion: state.map.version, nodes: state.nodes.length, restored: saved !== undefined },
      'cluster state loaded',
    );
    return manager;
  }

  /**
   * Has `events` told of liveness changes, moves, failovers and automatic splits from now on
   * (the router's metrics observe them); returns what stops it.
   */
  observe(events: ClusterEvents): () => void {
    return this.#events.add(events);
  }

  /** Whether shards have replicas (a replication factor above 1). */
  get replicated(): boolean {
    return this.#replication !== undefined;
  }

  get map(): ShardMap {
    return this.#map;
  }

  get moves(): MoveView[] {
    return [...this.#mover.moves, ...(this.#rebalancer?.moves ?? [])];
  }

  /** What rebalancing has done since the router started (replicated clusters only). */
  get rebalancing():
    { steps: number; failedSteps: number; entitiesCopied: number; bytesCopied: number } | undefined {
    return this.#rebalancer?.totals;
  }

  /** Splits the router made by itself, by cause; undefined when automatic splits are off. */
  get autoSplits(): Record<SplitCause, number> | undefined {
    return this.#splitter?.done;
  }

  /**
   * Resolves when a rebalancing step next lifts the shard's fence, or after `maxMs`: the router
   * holds a request refused during a cutover until then.
   */
  shardReleased(shardId: string, maxMs: number): Promise<void> {
    return this.#releases.wait(shardId, maxMs);
  }

  /** The dead letters of every live node (DESIGN §7). */
  deadLetters(): Promise<DeadLettersAnswer> {
    const live = this.nodes().filter((n) => n.status !== 'dead');
    return collectDeadLetters(
      live.map((n) => ({ id: n.record.id, url: n.record.url })),
      this.#calls,
    );
  }

  /** Has the sender's primary send its dead letters again. */
  replayDeadLetters(request: ReplayRequest): Promise<ReplayAnswer> {
    return replayDeadLetters(this.#map, request, this.#calls);
  }

  /** What the shard's primary last reported of it, for `GET /cluster` and the dashboard. */
  shardLoad(shardId: string): Omit<ShardLoad, 'shardId' | 'loadSplitAt'> | undefined {
    const load = this.#load.get(this.#map, shardId);
    if (!load) return undefined;
    const { shardId: _shardId, loadSplitAt: _loadSplitAt, ...reported } = load;
    return reported;
  }

  nodes(): NodeView[] {
    return this.#state.nodes.map((record) => ({
      record,
      status: this.#detector.status(record.id) ?? 'dead',
      heartbeatAgeMs: this.#detector.ageMs(record.id) ?? null,
    }));
  }

  /** A new sortable key for `POST /:type`. */
  newKey(type: string): string {
    if (!this.#map.hasType(type)) this.#map.locate(type, 'x');
    return this.#ids.next();
  }

  async register(request: RegisterRequest): Promise<RegisterResponse> {
    const nodeId = await this.#change(async () => {
      const known = request.nodeId ? this.#state.nodes.find((n) => n.id === request.nodeId) : undefined;
      const id = known?.id ?? request.nodeId ?? `node-${this.#state.nextNodeNumber}`;
      const record: NodeRecord = {
        id,
        service: request.service,
        types: request.types,
        url: request.url,
        capacity: request.capacity,
        registeredAt: known?.registeredAt ?? new Date(this.#options.clock.now()).toISOString(),
        // A node that registers again starts afresh: a drain it was under ended when it stopped.
      };
      const nodes = [...this.#state.nodes.filter((n) => n.id !== id), record].sort((a, b) =>
        a.id.localeCompare(b.id, 'en', { numeric: true }),
      );
      const config = structuredClone(this.#state.map.config);
      config.nodes[id] = { url: request.url };
      for (const type of request.types) {
        if (!config.types[type]) {
          config.types[type] = {
            partitioner: 'hash',
            keySpace: { start: '', end: null },
            shards: initialShards(type, this.#options.shardsPerType, [id]).map((shard) =>
              this.#replication ? { ...shard, backups: [], epoch: 0 } : shard,
            ),
          };
        }
      }
      const factor = this.#options.replicationFactor ?? 1;
      if (factor > 1)
        config.replication = { factor, minInSync: this.#options.minInSync ?? Math.min(2, factor) };
      const nextNodeNumber = known
        ? this.#state.nextNodeNumber
        : Math.max(this.#state.nextNodeNumber, numberOf(id) + 1);
      await this.#commit({ ...this.#state, nodes, nextNodeNumber }, config);
      this.#detector.heartbeat(id);
      this.#options.logger.info(
        { nodeId: id, url: request.url, service: request.service, rejoined: known !== undefined },
        'node registered',
      );
      return id;
    });
    if (this.#rebalancer) this.#rebalancer.kick();
    else if (this.#options.autoBalance !== false) this.#mover.scheduleBalance();
    return {
      nodeId,
      heartbeatMs: this.#options.heartbeatMs,
      map: { version: this.#map.version, config: this.#map.config },
    };
  }

  heartbeat(request: HeartbeatRequest): HeartbeatResponse {
    if (!this.#state.nodes.some((n) => n.id === request.nodeId)) {
      throw new IsxError('UNKNOWN_NODE', `No node ${request.nodeId} is registered; register again.`);
    }
    const change = this.#detector.heartbeat(request.nodeId);
    if (request.load) this.#load.record(request.nodeId, request.load);
    if (change) this.#options.logger.info(change, 'node is alive again');
    return { mapVersion: this.#map.version };
  }

  /** Splits a shard in two at `at`, or at the middle of its range; metadata only. */
  split(
    shardId: string,
    at?: string,
  ): Promise<{ left: ShardAssignment; right: ShardAssignment; mapVersion: number }> {
    return this.#change(async () => {
      const { type, shard, layout } = this.#findShard(shardId);
      if (this.#mover.isMoving(shardId) || this.#rebalancer?.isBusy(shardId))
        throw new IsxError('MOVE_IN_PROGRESS', `Shard ${shardId} is moving; split it afterwards.`);
      const point = at ?? splitPoint(shard.range, layout.partitioner);
      const inside =
        point !== undefined &&
        point > shard.range.start &&
        (shard.range.end === null || point < shard.range.end);
      if (!inside)
        throw new IsxError(
          'CANNOT_SPLIT',
          `Shard ${shardId} cannot be split at ${JSON.stringify(point ?? null)}: the point must lie strictly inside its range.`,
        );
      // Both halves keep the replica set: every replica already holds both ranges.
      const left: ShardAssignment = { ...shard, range: { start: shard.range.start, end: point } };
      const right: ShardAssignment = {
        ...shard,
        id: nextShardId(type, layout.shards),
        range: { start: point, end: shard.range.end },
      };
      const config = structuredClone(this.#state.map.config);
      config.types[type]!.shards = config.types[type]!.shards.flatMap((s) =>
        s.id === shardId ? [left, right] : [s],
      );
      this.#events.moveStarted('split', { shardId });
      await this.#commit(this.#state, config).catch((error: unknown) => {
        this.#events.moveFinished('split', 'failed', { shardId });
        throw error;
      });
      this.#events.moveFinished('split', 'done', { shardId, to: right.id });
      this.#options.logger.info({ shardId, at: point, newShard: right.id }, 'shard split');
      return { left, right, mapVersion: this.#map.version };
    });
  }

  /**
   * Moves a shard to another node of its service. One copy: fence, copy, switch (see
   * `moveShard`). With replicas, the primary moves: to a backup by a hand-over, to any other
   * node by adding a replica there, handing it the primary and removing the old primary's copy.
   * The rebalancer may later even the primaries out again.
   */
  move(shardId: string, to: string): Promise<MoveOutcome> {
    const rebalancer = this.#rebalancer;
    if (rebalancer) return this.#moveReplicated(rebalancer, shardId, to);
    return this.#mover.move(shardId, to);
  }

  async #moveReplicated(rebalancer: Rebalancer, shardId: string, to: string): Promise<MoveOutcome> {
    const { type } = this.#findShard(shardId);
    const target = this.nodes().find((n) => n.record.id === to);
    if (!target) throw new IsxError('UNKNOWN_NODE', `No node ${to} is registered.`);
    if (target.status !== 'alive' || target.record.draining === true || !target.record.types.includes(type)) {
      throw new IsxError(
        'CANNOT_MOVE',
        `Node ${to} cannot lead shard ${shardId}: it is ${target.record.draining ? 'draining' : target.status}${target.record.types.includes(type) ? '' : ` and does not serve ${type}`}.`,
      );
    }
    const { from, ...outcome } = await rebalancer.movePrimary(shardId, to);
    return {
      shardId,
      from,
      to,
      entities: outcome.copied?.entities ?? 0,
      bytes: outcome.copied?.bytes ?? 0,
      mapVersion: this.#map.version,
      ...(outcome.pausedMs === undefined ? {} : { pausedMs: Math.round(outcome.pausedMs) }),
    };
  }

  async close(): Promise<void> {
    clearInterval(this.#sweeper);
    await this.#splitter?.close();
    await this.#rebalancer?.close();
    await this.#changes.catch(() => undefined);
    await this.#store.close();
  }

  /**
   * After an automatic split: a shard split for load hands its new half's primary to a quieter
   * backup, then placement evens the counts out (rebalancing with replicas; shard moves without).
   */
  async #spread(proposal: SplitProposal, newShardId: string): Promise<void> {
    const rebalancer = this.#rebalancer;
    if (!rebalancer) {
      if (this.#options.autoBalance !== false) this.#mover.scheduleBalance();
      return;
    }
    if (proposal.cause === 'load') {
      const live = new Set(
        this.nodes()
          .filter((n) => n.status === 'alive' && n.record.draining !== true)
          .map((n) => n.record.id),
      );
      const to = spreadTarget(
        this.#map,
        newShardId,
        (id) => live.has(id),
        (id) => this.#load.get(this.#map, id),
      );
      if (to) {
        await rebalancer.movePrimary(newShardId, to).then(
          () =>
            this.#options.logger.info({ shardId: newShardId, to }, 'handed a busy half to a quieter node'),
          (error: unknown) =>
            this.#options.logger.info(
              { shardId: newShardId, to, err: (error as Error).message },
              'could not spread a split half',
            ),
        );
      }
    }
    rebalancer.kick();
  }

  /** Runs map changes one at a time. */
  #change<T>(task: () => Promise<T>): Promise<T> {
    const run = this.#changes.then(task, task);
    this.#changes = run.catch(() => undefined);
    return run;
  }

  /** Validates, versions and saves a new state; only then does it become the map in use. */
  async #commit(state: ClusterState, config: ClusterConfig, announce = true): Promise<void> {
    const changed = JSON.stringify(config) !== JSON.stringify(this.#state.map.config);
    const checked = parseClusterConfig(config);
    const next: ClusterState = {
      ...state,
      map: { version: this.#state.map.version + (changed ? 1 : 0), config: checked },
    };
    await this.#store.save(next);
    this.#state = next;
    this.#map = toShardMap(next);
    if (changed && announce) void this.#announce();
  }

  /** Pushes the map to every live node; nodes that miss it pull it on their next heartbeat. */
  async #announce(): Promise<void> {
    const wire = { version: this.#map.version, config: this.#map.config };
    await Promise.all(
      this.nodes()
        .filter((n) => n.status !== 'dead')
        .map((n) => this.#calls.post(n.record.url, '/internal/map', wire, 1_000).catch(() => undefined)),
    );
  }

  /** A primary reports a backup that did not take an entry (phase 3). */
  dropReplica(report: ReplicaFailedRequest): Promise<ShardMapWire> {
    if (!this.#replication) {
      return Promise.reject(new IsxError('INVALID_REQUEST', 'This cluster keeps one copy of each shard.'));
    }
    return this.#replication.drop(report);
  }

  /** Resolves once no rebalancing step is running and none is called for. */
  async replicationSettled(): Promise<void> {
    await this.#rebalancer?.settled();
  }

  /**
   * Starts emptying a node (or stops, with `draining` false): it takes no new copies, hands its
   * primaries to in-sync backups and has its copies moved elsewhere. Needs replicas.
   */
  async drain(
    nodeId: string,
    draining = true,
  ): Promise<{ node: string; draining: boolean; replicas: number }> {
    const rebalancer = this.#rebalancer;
    if (!rebalancer) {
      throw new IsxError(
        'CANNOT_DRAIN',
        'Draining needs a replicated cluster (--replication-factor above 1); with one copy, move its shards with isx move.',
      );
    }
    await this.#change(async () => {
      const record = this.#state.nodes.find((n) => n.id === nodeId);
      if (!record) throw new IsxError('UNKNOWN_NODE', `No node ${nodeId} is registered.`);
      if ((record.draining === true) === draining) return;
      const nodes = this.#state.nodes.map((n) => (n.id === nodeId ? { ...n, draining } : n));
      await this.#commit({ ...this.#state, nodes }, this.#state.map.config);
      this.#options.logger.info(
        { nodeId, draining },
        draining ? 'node is draining' : 'node is no longer draining',
      );
    });
    rebalancer.kick();
    return { node: nodeId, draining, replicas: this.#map.replicasOf(nodeId).length };
  }

  #sweep(): void {
    for (const change of this.#detector.sweep()) {
      if (change.to === 'dead') void this.#replication?.failover(change.nodeId);
      if (change.to === 'alive') this.#rebalancer?.kick();
      const log =
        change.to === 'dead'
          ? this.#options.logger.warn.bind(this.#options.logger)
          : this.#options.logger.info.bind(this.#options.logger);
      log(change, `node is ${change.to}`);
    }
  }

  #findShard(shardId: string): {
    type: string;
    shard: ShardAssignment;
    layout: ClusterConfig['types'][string];
  } {
    for (const [type, layout] of Object.entries(this.#map.config.types)) {
      const shard = layout.shards.find((s) => s.id === shardId);
      if (shard) return { type, shard, layout };
    }
    throw new IsxError('UNKNOWN_SHARD', `There is no shard ${shardId}.`);
  }
}

function toShardMap(state: ClusterState): ShardMap {
  return new ShardMap(state.map.config, state.map.version);
}

function numberOf(nodeId: string): number {
  const match = /^node-(\d+)$/.exec(nodeId);
  return match ? Number(match[1]) : 0;
}

function nextShardId(type: string, shards: readonly ShardAssignment[]): string {
  const used = shards.map((s) => Number(/-(\d+)$/.exec(s.id)?.[1] ?? 0));
  return `${type}-${Math.max(0, ...used) + 1}`;
}

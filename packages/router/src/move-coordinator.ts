/**
 * The shard moves of a dynamic cluster (phase 2): one move on request, the balancing loop
 * that moves shards onto nodes that joined, and, when the router restarts, the abandoning
 * of moves its previous run left half done.
 *
 * It keeps only the moves in flight. The map, the registry and their store belong to the
 * `ClusterManager` that owns it, and every change it makes goes through that manager's
 * one-at-a-time commit, which saves the map before anything acts on it and announces it
 * afterwards. It must never write the store or change the map by any other way, and never
 * let a shard run two moves at once.
 */
import {
  IsxError,
  RetryableError,
  type Clock,
  type ClusterConfig,
  type MoveView,
  type ShardAssignment,
  type ShardMap,
} from '@isx/core';
import type { Logger } from 'pino';
import type { ClusterEvents } from './cluster-events.js';
import type { ClusterState } from './cluster-store.js';
import type { FailureDetector } from './failure-detector.js';
import type { NodeCaller } from './node-calls.js';
import { planMoves } from './placement.js';
import { moveShard } from './shard-mover.js';

/** What moves need of the cluster they move shards in; the `ClusterManager` provides it. */
export interface MoveCluster {
  /** The state as last saved. */
  state(): ClusterState;
  /** The map in use. */
  map(): ShardMap;
  /** The shard with this id and its type; throws `UNKNOWN_SHARD` if there is none. */
  findShard(shardId: string): { type: string; shard: ShardAssignment };
  /** Runs a map change once every change queued before it has run. */
  change<T>(task: () => Promise<T>): Promise<T>;
  /** Validates, versions and saves a new state; announces a changed map unless `announce` is false. */
  commit(state: ClusterState, config: ClusterConfig, announce?: boolean): Promise<void>;
  /** Pushes the map to every live node (best effort). */
  announce(): Promise<void>;
}

export interface MoveCoordinatorOptions {
  cluster: MoveCluster;
  detector: FailureDetector;
  calls: NodeCaller;
  clock: Clock;
  logger: Logger;
  /** Told when the copy of a move starts and how it ends. */
  events?: ClusterEvents;
}

export interface MoveOutcome {
  shardId: string;
  from: string;
  to: string;
  entities: number;
  bytes: number;
  mapVersion: number;
  /** With replicas: how long the hand-over of the primary paused the shard. */
  pausedMs?: number;
}

export class MoveCoordinator {
  readonly #cluster: MoveCluster;
  readonly #detector: FailureDetector;
  readonly #calls: NodeCaller;
  readonly #clock: Clock;
  readonly #logger: Logger;
  readonly #events: ClusterEvents | undefined;
  readonly #moves = new Map<string, MoveView>();
  #balancing = false;

  constructor(options: MoveCoordinatorOptions) {
    this.#cluster = options.cluster;
    this.#detector = options.detector;
    this.#calls = options.calls;
    this.#clock = options.clock;
    this.#logger = options.logger;
    this.#events = options.events;
  }

  /** The moves in flight, with the phase each has reached. */
  get moves(): MoveView[] {
    return [...this.#moves.values()];
  }

  isMoving(shardId: string): boolean {
    return this.#moves.has(shardId);
  }

  /** Moves a shard to another node of its service: fence, copy, switch (see `moveShard`). */
  async move(shardId: string, to: string): Promise<MoveOutcome> {
    const cluster = this.#cluster;
    const { type, shard } = cluster.findShard(shardId);
    const target = cluster.state().nodes.find((n) => n.id === to);
    if (!target) throw new IsxError('UNKNOWN_NODE', `No node ${to} is registered.`);
    if (!target.types.includes(type))
      throw new IsxError('CANNOT_MOVE', `Node ${to} does not host type ${type}.`);
    if (shard.node === to) throw new IsxError('CANNOT_MOVE', `Shard ${shardId} is already on ${to}.`);
    if (this.#detector.status(to) !== 'alive')
      throw new RetryableError('CANNOT_MOVE', `Node ${to} is not alive.`, { retryAfterMs: 1_000 });
    if (this.#detector.status(shard.node) !== 'alive')
      throw new RetryableError('CANNOT_MOVE', `The source node ${shard.node} is not alive.`, {
        retryAfterMs: 1_000,
      });
    if (this.#moves.has(shardId))
      throw new IsxError('MOVE_IN_PROGRESS', `Shard ${shardId} is already moving.`);
    const view: MoveView = {
      shardId,
      type,
      from: shard.node,
      to,
      phase: 'fencing',
      startedAt: new Date(this.#clock.now()).toISOString(),
    };
    this.#moves.set(shardId, view);
    await cluster.change(() =>
      cluster.commit(
        {
          ...cluster.state(),
          moves: [
            ...cluster.state().moves,
            { shardId, type, from: shard.node, to, startedAt: view.startedAt },
          ],
        },
        cluster.state().map.config,
        false,
      ),
    );
    this.#events?.moveStarted('move', { shardId, from: shard.node, to });
    try {
      const copied = await moveShard(
        { shard: { ...shard, type }, sourceUrl: this.#urlOf(shard.node), targetUrl: target.url, to },
        this.#calls,
        {
          progress: (phase, entitiesCopied) =>
            this.#moves.set(shardId, {
              ...view,
              phase,
              ...(entitiesCopied === undefined ? {} : { entitiesCopied }),
            }),
          switchOwner: () =>
            cluster.change(async () => {
              const config = structuredClone(cluster.state().map.config);
              const moved = config.types[type]!.shards.find((s) => s.id === shardId);
              if (!moved || moved.node !== shard.node)
                throw new IsxError('CONFLICT', `Shard ${shardId} changed while it was being copied.`);
              moved.node = to;
              await cluster.commit(
                { ...cluster.state(), moves: cluster.state().moves.filter((m) => m.shardId !== shardId) },
                config,
              );
            }),
          announce: () => cluster.announce(),
        },
        this.#logger,
      );
      this.#events?.moveFinished('move', 'done', { shardId, from: shard.node, to });
      this.#logger.info({ shardId, from: shard.node, to, ...copied }, 'shard moved');
      return { shardId, from: shard.node, to, ...copied, mapVersion: cluster.map().version };
    } catch (error) {
      this.#events?.moveFinished('move', 'failed', { shardId, from: shard.node, to });
      await cluster.change(() =>
        cluster.commit(
          { ...cluster.state(), moves: cluster.state().moves.filter((m) => m.shardId !== shardId) },
          cluster.state().map.config,
          false,
        ),
      );
      throw error;
    } finally {
      this.#moves.delete(shardId);
    }
  }

  /** Starts moving shards, one at a time, until every type is balanced; no-op if already running. */
  scheduleBalance(): void {
    if (this.#balancing) return;
    this.#balancing = true;
    void (async () => {
      try {
        for (let round = 0; round < 64; round += 1) {
          const planned = this.#planBalance();
          if (!planned) break;
          await this.move(planned.shardId, planned.to).catch((error: unknown) => {
            this.#logger.warn({ err: error, ...planned }, 'balancing move failed');
          });
        }
      } finally {
        this.#balancing = false;
      }
    })();
  }

  /**
   * Forgets the moves a previous run saved but never finished: asks each source to unfence
   * (its fence would expire anyway), then saves the state with no moves. Call once on open.
   */
  async abandonInterrupted(): Promise<void> {
    const cluster = this.#cluster;
    for (const move of cluster.state().moves) {
      const found = cluster.map().config.types[move.type]?.shards.find((s) => s.id === move.shardId);
      const sourceUrl = cluster.map().nodeUrl(move.from);
      if (found && sourceUrl) {
        await this.#calls
          .post(
            sourceUrl,
            '/internal/shards/unfence',
            { shardId: move.shardId, type: move.type, range: found.range },
            1_000,
          )
          .catch(() =>
            this.#logger.warn({ move }, 'could not unfence after an interrupted move; the fence will expire'),
          );
      }
      this.#logger.warn({ move }, 'abandoned a move interrupted by a router restart');
    }
    if (cluster.state().moves.length > 0)
      await cluster.commit({ ...cluster.state(), moves: [] }, cluster.state().map.config, false);
  }

  #planBalance(): { shardId: string; to: string } | undefined {
    const state = this.#cluster.state();
    for (const [type, layout] of Object.entries(this.#cluster.map().config.types)) {
      const alive = state.nodes
        .filter((n) => this.#detector.status(n.id) === 'alive' && n.types.includes(type))
        .map((n) => n.id);
      const [next] = planMoves(layout.shards, alive, 1);
      if (next && !this.#moves.has(next.shardId)) return { shardId: next.shardId, to: next.to };
    }
    return undefined;
  }

  #urlOf(nodeId: string): string {
    const url = this.#cluster.map().nodeUrl(nodeId);
    if (!url) throw new IsxError('UNKNOWN_NODE', `No node ${nodeId} is registered.`);
    return url;
  }
}

/**
 * What the cluster code reports as it works: liveness changes, moves that start and finish,
 * failovers and automatic splits. The router's metrics are the observer this was made for, so
 * the cluster code reports through this interface and never imports a metrics library.
 *
 * An observer runs inside the cluster's own work (a sweep, a failover, a commit): it must
 * return at once and never throw.
 */
import type { LivenessChange } from './failure-detector.js';
import type { ReplicaAction } from './replica-placement.js';

/**
 * A move as the cluster names it: a rebalancing step's kind (`add-replica`, `move-replica`,
 * `transfer-primary`, `remove-replica`), a single-copy shard `move` (phase 2), or a `split`.
 */
export type MoveKind = ReplicaAction['kind'] | 'move' | 'split';

/** The shard a move is about, and the nodes it takes a copy from and to, where there are any. */
export interface MoveSubject {
  readonly shardId: string;
  readonly from?: string;
  readonly to?: string;
}

/** How a move ended. */
export type MoveResult = 'done' | 'failed';

export interface ClusterEvents {
  /** A node went from one liveness to another (a sweep, or a heartbeat from a node not alive). */
  livenessChanged(change: LivenessChange): void;
  moveStarted(kind: MoveKind, subject: MoveSubject): void;
  moveFinished(kind: MoveKind, result: MoveResult, subject: MoveSubject): void;
  /** A backup became the primary of a shard whose primary died; saved in the map by now. */
  failedOver(shardId: string): void;
  /** The router split a shard by itself (also reported as a `split` move). */
  splitAutomatically(shardId: string): void;
}

/** Passes every event on to the observers added to it; with none, events go nowhere. */
export class ClusterEventFanOut implements ClusterEvents {
  readonly #observers = new Set<ClusterEvents>();

  /** Adds an observer; returns what removes it. */
  add(observer: ClusterEvents): () => void {
    this.#observers.add(observer);
    return () => this.#observers.delete(observer);
  }

  livenessChanged(change: LivenessChange): void {
    for (const observer of this.#observers) observer.livenessChanged(change);
  }

  moveStarted(kind: MoveKind, subject: MoveSubject): void {
    for (const observer of this.#observers) observer.moveStarted(kind, subject);
  }

  moveFinished(kind: MoveKind, result: MoveResult, subject: MoveSubject): void {
    for (const observer of this.#observers) observer.moveFinished(kind, result, subject);
  }

  failedOver(shardId: string): void {
    for (const observer of this.#observers) observer.failedOver(shardId);
  }

  splitAutomatically(shardId: string): void {
    for (const observer of this.#observers) observer.splitAutomatically(shardId);
  }
}

/**
 * The cluster's recent events, in words, for the dashboard: a node going from alive to
 * suspect to dead, a backup promoted in a dead primary's place, a move or split starting and
 * ending. It observes the cluster like the metrics do, and keeps the last `capacity` events.
 */
import type { DashboardEvent, ShardMap } from '@isx/core';
import type { ClusterEvents, MoveKind, MoveResult, MoveSubject } from '../cluster-events.js';
import type { LivenessChange } from '../failure-detector.js';

export interface EventJournalOptions {
  /** The current map, to name a promoted primary and its epoch. */
  readonly map: () => ShardMap;
  /** Called after each event is added (the dashboard sends a snapshot at once). */
  readonly onEvent?: () => void;
  readonly capacity?: number;
  readonly now?: () => Date;
}

export class EventJournal implements ClusterEvents {
  readonly #options: EventJournalOptions;
  readonly #events: DashboardEvent[] = [];

  constructor(options: EventJournalOptions) {
    this.#options = options;
  }

  /** The events kept, oldest first. */
  get events(): readonly DashboardEvent[] {
    return this.#events;
  }

  livenessChanged(change: LivenessChange): void {
    this.#add({
      kind: 'liveness',
      nodeId: change.nodeId,
      text: `${change.nodeId}: ${change.from} → ${change.to}`,
    });
  }

  failedOver(shardId: string): void {
    const shard = this.#options.map().assignment(shardId);
    const who = shard ? `${shard.node} is its primary now, epoch ${shard.epoch ?? 0}` : 'a backup took over';
    this.#add({
      kind: 'failover',
      shardId,
      text: `${shardId} failed over: ${who}`,
      ...(shard ? { nodeId: shard.node } : {}),
    });
  }

  moveStarted(kind: MoveKind, subject: MoveSubject): void {
    this.#add({ kind: 'move-started', shardId: subject.shardId, text: `${describe(kind, subject)} started` });
  }

  moveFinished(kind: MoveKind, result: MoveResult, subject: MoveSubject): void {
    this.#add({
      kind: result === 'done' ? 'move-done' : 'move-failed',
      shardId: subject.shardId,
      text: `${describe(kind, subject)} ${result === 'done' ? 'done' : 'failed'}`,
    });
  }

  splitAutomatically(shardId: string): void {
    this.#add({ kind: 'split', shardId, text: `${shardId} split automatically` });
  }

  #add(event: Omit<DashboardEvent, 'at'>): void {
    this.#events.push({ at: (this.#options.now?.() ?? new Date()).toISOString(), ...event });
    const capacity = this.#options.capacity ?? 100;
    if (this.#events.length > capacity) this.#events.splice(0, this.#events.length - capacity);
    this.#options.onEvent?.();
  }
}

/** "add-replica of campaign-3 to node-4", "split of profile-1 (new: profile-9)". */
function describe(kind: MoveKind, subject: MoveSubject): string {
  if (kind === 'split') return `split of ${subject.shardId}${subject.to ? ` (new: ${subject.to})` : ''}`;
  const from = subject.from ? ` from ${subject.from}` : '';
  const to = subject.to ? ` to ${subject.to}` : '';
  return `${kind} of ${subject.shardId}${from}${to}`;
}

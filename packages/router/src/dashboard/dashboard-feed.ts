/**
 * The stream behind the dashboard: while anyone watches, a snapshot of the cluster every
 * `intervalMs`, and one at once whenever the cluster reports an event (a node dying, a
 * promotion, a move), so that the page shows it as it happens. With nobody watching, it does
 * nothing at all.
 *
 * Dead letters live on the nodes, so they are asked for less often (`deadLettersEveryMs`) and
 * the last answer rides along in between.
 */
import type { ClusterView, DashboardSnapshot, DeadLettersAnswer, ShardMap } from '@isx/core';
import type { Logger } from 'pino';
import type { EventJournal } from './event-journal.js';
import type { RequestWindow } from './request-window.js';

export interface DashboardFeedOptions {
  readonly routerId: string;
  readonly view: () => Promise<ClusterView> | ClusterView;
  readonly map: () => ShardMap;
  readonly requests: RequestWindow;
  readonly journal: EventJournal;
  /** Where dead letters come from (dynamic clusters); without it snapshots leave them out. */
  readonly deadLetters?: (() => Promise<DeadLettersAnswer>) | undefined;
  readonly logger: Logger;
  readonly intervalMs?: number;
  readonly deadLettersEveryMs?: number;
}

/** One watcher: the dashboard's routes write what it is sent to a server-sent-events response. */
export interface DashboardWatcher {
  send(snapshot: DashboardSnapshot): void;
  /** The feed is closing (the router stops). */
  end(): void;
}

type DeadLetterSummary = NonNullable<DashboardSnapshot['deadLetters']>;

export class DashboardFeed {
  readonly #options: DashboardFeedOptions;
  readonly #watchers = new Set<DashboardWatcher>();
  #timer: NodeJS.Timeout | undefined;
  #building: Promise<void> | undefined;
  #again = false;
  #deadLetters: DeadLetterSummary | undefined;
  #deadLettersAskedAt = Number.NEGATIVE_INFINITY;
  #askingDeadLetters = false;

  constructor(options: DashboardFeedOptions) {
    this.#options = options;
  }

  /** Starts sending snapshots to `watcher`, the first at once; returns what stops it. */
  watch(watcher: DashboardWatcher): () => void {
    this.#watchers.add(watcher);
    this.#timer ??= setInterval(() => this.nudge(), this.#options.intervalMs ?? 500);
    this.nudge();
    return () => {
      this.#watchers.delete(watcher);
      if (this.#watchers.size === 0 && this.#timer) {
        clearInterval(this.#timer);
        this.#timer = undefined;
      }
    };
  }

  /** Sends a fresh snapshot to every watcher soon; snapshots never overlap, and nudges during one coalesce. */
  nudge(): void {
    if (this.#watchers.size === 0) return;
    if (this.#building) {
      this.#again = true;
      return;
    }
    this.#building = this.#broadcast()
      .catch((error: unknown) => this.#options.logger.warn({ err: error }, 'dashboard snapshot failed'))
      .finally(() => {
        this.#building = undefined;
        if (this.#again) {
          this.#again = false;
          this.nudge();
        }
      });
  }

  /** Ends every watcher's stream. */
  close(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
    for (const watcher of this.#watchers) watcher.end();
    this.#watchers.clear();
  }

  /** A snapshot of the cluster now. */
  async snapshot(): Promise<DashboardSnapshot> {
    const cluster = await this.#options.view();
    this.#refreshDeadLetters();
    return {
      at: new Date().toISOString(),
      routerId: this.#options.routerId,
      cluster,
      requests: this.#options.requests.seconds(),
      events: [...this.#options.journal.events],
      ...(this.#deadLetters ? { deadLetters: this.#deadLetters } : {}),
    };
  }

  async #broadcast(): Promise<void> {
    const snapshot = await this.snapshot();
    for (const watcher of this.#watchers) watcher.send(snapshot);
  }

  /** Asks the nodes for their dead letters in the background when due; snapshots carry the last answer. */
  #refreshDeadLetters(): void {
    const ask = this.#options.deadLetters;
    const now = performance.now();
    if (!ask || this.#askingDeadLetters) return;
    if (now - this.#deadLettersAskedAt < (this.#options.deadLettersEveryMs ?? 2_000)) return;
    this.#deadLettersAskedAt = now;
    this.#askingDeadLetters = true;
    ask()
      .then((answer) => {
        this.#deadLetters = summarize(answer, this.#options.map());
      })
      .catch((error: unknown) => this.#options.logger.warn({ err: error }, 'dashboard: dead letters unread'))
      .finally(() => {
        this.#askingDeadLetters = false;
      });
  }
}

/** Dead letters counted by the shard their sender belongs to in `map`. */
function summarize(answer: DeadLettersAnswer, map: ShardMap): DeadLetterSummary {
  const byShard: Record<string, number> = {};
  for (const letter of answer.deadLetters) {
    const shardId = map.shardIdOf(letter.sender.type, letter.sender.key);
    if (shardId === undefined) continue;
    byShard[shardId] = (byShard[shardId] ?? 0) + 1;
  }
  return { total: answer.deadLetters.length, byShard, unanswered: answer.unanswered ?? [] };
}

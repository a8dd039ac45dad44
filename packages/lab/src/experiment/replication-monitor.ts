/**
 * Watches how many copies each shard has while an experiment runs, and records every
 * stretch in which some shard had fewer than the replication factor as a window in the
 * history (`under-replicated`), so the report shades it and the copies checker can say how
 * long re-replication took. It only reads `GET /cluster`; it never steers.
 */
import type { HistoryWriter } from '../history/history-file.js';
import { fetchClusterView } from '../cluster-tables.js';
import { leastCopies } from './cluster-probe.js';

export class ReplicationMonitor {
  readonly #routerUrl: string;
  readonly #factor: number;
  readonly #history: HistoryWriter;
  #timer: NodeJS.Timeout | undefined;
  #under = false;
  #polling = false;

  constructor(routerUrl: string, factor: number, history: HistoryWriter) {
    this.#routerUrl = routerUrl;
    this.#factor = factor;
    this.#history = history;
  }

  start(everyMs = 200): void {
    if (this.#factor <= 1) return;
    this.#timer = setInterval(() => void this.#poll(), everyMs);
  }

  /** Stops watching; a window still open is closed now. */
  stop(): void {
    clearInterval(this.#timer);
    if (this.#under) this.#record('end', 'every shard has its copies again');
  }

  async #poll(): Promise<void> {
    if (this.#polling) return;
    this.#polling = true;
    try {
      const least = Math.min(this.#factor, leastCopies(await fetchClusterView(this.#routerUrl)));
      if (least < this.#factor && !this.#under) {
        this.#under = true;
        this.#record('start', `a shard is down to ${least} of ${this.#factor} copies`);
      } else if (least >= this.#factor && this.#under) {
        this.#under = false;
        this.#record('end', 'every shard has its copies again');
      }
    } catch {
      // The router is busy or restarting; the next poll will tell.
    } finally {
      this.#polling = false;
    }
  }

  #record(phase: 'start' | 'end', detail: string): void {
    this.#history.record({ type: 'nemesis', phase, fault: 'under-replicated', target: 'cluster', detail });
  }
}

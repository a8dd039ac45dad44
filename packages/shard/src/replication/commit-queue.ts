/**
 * Group commit per shard: writes that arrive while an entry is being replicated wait and
 * then go together as the next entry, so a shard has one entry in flight at a time (entries
 * must reach backups in order) and concurrency turns into bigger entries, not more of them.
 */
import type { StoreOp } from '../entity-store.js';

interface Waiting {
  readonly ops: StoreOp[];
  resolve(): void;
  reject(error: unknown): void;
}

export class CommitQueue {
  readonly #commitEntry: (ops: StoreOp[]) => Promise<void>;
  #waiting: Waiting[] = [];
  #running = false;

  constructor(commitEntry: (ops: StoreOp[]) => Promise<void>) {
    this.#commitEntry = commitEntry;
  }

  submit(ops: StoreOp[]): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.#waiting.push({ ops, resolve, reject });
      void this.#drain();
    });
  }

  async #drain(): Promise<void> {
    if (this.#running) return;
    this.#running = true;
    while (this.#waiting.length > 0) {
      const batch = this.#waiting;
      this.#waiting = [];
      try {
        await this.#commitEntry(batch.flatMap((w) => w.ops));
        for (const w of batch) w.resolve();
      } catch (error) {
        for (const w of batch) w.reject(error);
      }
    }
    this.#running = false;
  }
}

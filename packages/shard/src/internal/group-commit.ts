/**
 * Group commit: concurrent writers share one Level batch.
 *
 * Every caller's operations go into the next batch; while one batch is being written the
 * next one fills up. A batch starts only once the event loop has finished the callbacks of the
 * current round (`setImmediate`), so writes issued side by side (the entries of one replication
 * request, the answers of several backups, a burst of requests read together) share a batch
 * and a sync instead of the first going alone. A caller's promise resolves only after its batch
 * is written, and a batch either lands whole or fails whole for every caller in it. An observer
 * may be told of each batch written (for metrics); it is called after the callers are answered
 * and can never fail a write.
 */

/** Writes a list of operations atomically. */
export type BatchWriter<Op> = (ops: Op[]) => Promise<void>;

/** Told of every batch written, with the operations it held and the callers it served. */
export type BatchWritten = (ops: number, writers: number) => void;

interface Waiter<Op> {
  readonly ops: Op[];
  resolve(): void;
  reject(error: unknown): void;
}

export class GroupCommit<Op> {
  readonly #writeBatch: BatchWriter<Op>;
  readonly #onWritten: BatchWritten | undefined;
  #pending: Waiter<Op>[] = [];
  #flushing = false;
  /** Batches written and callers served, for metrics and benchmarks. */
  batches = 0;
  writes = 0;

  constructor(writeBatch: BatchWriter<Op>, onWritten?: BatchWritten) {
    this.#writeBatch = writeBatch;
    this.#onWritten = onWritten;
  }

  /** Writes `ops` atomically with whatever else is pending; resolves once written. */
  write(ops: Op[]): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.#pending.push({ ops, resolve, reject });
      if (!this.#flushing) {
        this.#flushing = true;
        setImmediate(() => void this.#flush());
      }
    });
  }

  async #flush(): Promise<void> {
    while (this.#pending.length > 0) {
      const group = this.#pending;
      this.#pending = [];
      const ops = group.flatMap((w) => w.ops);
      try {
        await this.#writeBatch(ops);
      } catch (error) {
        for (const waiter of group) waiter.reject(error);
        continue;
      }
      this.batches += 1;
      this.writes += group.length;
      for (const waiter of group) waiter.resolve();
      try {
        this.#onWritten?.(ops.length, group.length);
      } catch {
        // An observer (metrics) must never stop the writes: a throw here would leave the queue stuck.
      }
    }
    this.#flushing = false;
  }
}

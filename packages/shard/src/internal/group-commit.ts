/**
 * Group commit: concurrent writers share one Level batch.
 *
 * Every caller's operations go into the next batch; while one batch is being written the
 * next one fills up. A caller's promise resolves only after its batch is written, and a
 * batch either lands whole or fails whole for every caller in it.
 */

/** Writes a list of operations atomically. */
export type BatchWriter<Op> = (ops: Op[]) => Promise<void>;

interface Waiter<Op> {
  readonly ops: Op[];
  resolve(): void;
  reject(error: unknown): void;
}

export class GroupCommit<Op> {
  readonly #writeBatch: BatchWriter<Op>;
  #pending: Waiter<Op>[] = [];
  #flushing = false;
  /** Batches written and callers served, for metrics and benchmarks. */
  batches = 0;
  writes = 0;

  constructor(writeBatch: BatchWriter<Op>) {
    this.#writeBatch = writeBatch;
  }

  /** Writes `ops` atomically with whatever else is pending; resolves once written. */
  write(ops: Op[]): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.#pending.push({ ops, resolve, reject });
      if (!this.#flushing) void this.#flush();
    });
  }

  async #flush(): Promise<void> {
    this.#flushing = true;
    while (this.#pending.length > 0) {
      const group = this.#pending;
      this.#pending = [];
      try {
        await this.#writeBatch(group.flatMap((w) => w.ops));
        this.batches += 1;
        this.writes += group.length;
        for (const waiter of group) waiter.resolve();
      } catch (error) {
        for (const waiter of group) waiter.reject(error);
      }
    }
    this.#flushing = false;
  }
}

/**
 * One writer at a time per entity: the read-check-write of a conditional update must not
 * interleave with another write of the same key. Different keys never wait for each other.
 */
export class KeyLock {
  readonly #tails = new Map<string, Promise<void>>();

  /** Runs `task` once every earlier task on `key` has settled. */
  async run<T>(key: string, task: () => Promise<T>): Promise<T> {
    const previous = this.#tails.get(key) ?? Promise.resolve();
    let release!: () => void;
    const tail = new Promise<void>((resolve) => (release = resolve));
    const chained = previous.then(() => tail);
    this.#tails.set(key, chained);
    await previous;
    try {
      return await task();
    } finally {
      release();
      if (this.#tails.get(key) === chained) this.#tails.delete(key);
    }
  }

  /** How many keys have a writer running or waiting. */
  get size(): number {
    return this.#tails.size;
  }
}

/**
 * Wakes requests the router holds for a fenced shard as soon as the fence is over, rather than
 * at the next tick of their back-off: a cutover then costs a held request the cutover itself,
 * not the cutover plus a polling interval. A wait ends at the release or after `maxMs`,
 * whichever comes first, so a release that went unseen costs no more than the back-off did.
 */
export class ShardReleases {
  readonly #waiting = new Map<string, Set<() => void>>();

  /** Resolves when `shardId` is next released, or after `maxMs`. */
  wait(shardId: string, maxMs: number): Promise<void> {
    return new Promise<void>((resolve) => {
      let waiters = this.#waiting.get(shardId);
      if (!waiters) {
        waiters = new Set();
        this.#waiting.set(shardId, waiters);
      }
      const set = waiters;
      const done = (): void => {
        clearTimeout(timer);
        set.delete(done);
        if (set.size === 0 && this.#waiting.get(shardId) === set) this.#waiting.delete(shardId);
        resolve();
      };
      const timer = setTimeout(done, maxMs);
      set.add(done);
    });
  }

  /** The shard's fence is over: every request waiting on it goes again. */
  release(shardId: string): void {
    const waiters = this.#waiting.get(shardId);
    if (!waiters) return;
    this.#waiting.delete(shardId);
    for (const done of [...waiters]) done();
  }

  /** Requests waiting on some shard (for tests). */
  get waiting(): number {
    let count = 0;
    for (const waiters of this.#waiting.values()) count += waiters.size;
    return count;
  }
}

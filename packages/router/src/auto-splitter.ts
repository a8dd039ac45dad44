/**
 * Splits shards by itself (DESIGN §6): every `intervalMs` it asks `proposeSplits` which shards
 * have grown too large or too busy, and splits one that has been proposed on two rounds in a
 * row, so a burst shorter than a round does not cut the key space. A split is metadata only;
 * `afterSplit` then spreads the halves (the cluster manager hands a busy half's primary to a
 * quieter node, and rebalancing evens the counts out).
 */
import type { ShardMap } from '@isx/core';
import type { Logger } from 'pino';
import type { ClusterEvents } from './cluster-events.js';
import { proposeSplits, type SplitCause, type SplitPolicy, type SplitProposal } from './split-policy.js';
import type { ShardLoadBook } from './shard-load-book.js';

export interface AutoSplitterOptions {
  policy: SplitPolicy;
  book: ShardLoadBook;
  map(): ShardMap;
  /** Splits the shard (metadata only); resolves with the new right half's id. */
  split(shardId: string, at: string | undefined): Promise<string>;
  /** Spreads the halves of a split that just happened. */
  afterSplit(proposal: SplitProposal, newShardId: string): Promise<void>;
  logger: Logger;
  /** Default 2 s. */
  intervalMs?: number;
  /** Told of every split it made. */
  events?: ClusterEvents;
}

export class AutoSplitter {
  readonly #options: AutoSplitterOptions;
  readonly #timer: NodeJS.Timeout;
  /** Proposals of the last round, as `shardId/cause`. */
  #proposedBefore = new Set<string>();
  #running: Promise<void> | undefined;
  #closed = false;
  readonly #done: Record<SplitCause, number> = { size: 0, load: 0 };

  constructor(options: AutoSplitterOptions) {
    this.#options = options;
    this.#timer = setInterval(() => void this.tick(), options.intervalMs ?? 2_000);
    this.#timer.unref();
  }

  /** Splits the router made by itself since it started, by cause. */
  get done(): Record<SplitCause, number> {
    return { ...this.#done };
  }

  /** One round; a round still running is waited for rather than doubled. */
  tick(): Promise<void> {
    this.#running ??= this.#round().finally(() => {
      this.#running = undefined;
    });
    return this.#running;
  }

  async close(): Promise<void> {
    this.#closed = true;
    clearInterval(this.#timer);
    await this.#running;
  }

  async #round(): Promise<void> {
    if (this.#closed) return;
    const { book, policy, logger } = this.#options;
    const map = this.#options.map();
    const proposals = proposeSplits(map, (shardId) => book.get(map, shardId), policy);
    const seen = new Set(proposals.map((p) => `${p.shardId}/${p.cause}`));
    const sustained = proposals.find((p) => this.#proposedBefore.has(`${p.shardId}/${p.cause}`));
    this.#proposedBefore = seen;
    if (!sustained) return;
    try {
      const newShardId = await this.#options.split(sustained.shardId, sustained.at);
      book.forget(sustained.shardId);
      this.#proposedBefore.delete(`${sustained.shardId}/${sustained.cause}`);
      this.#done[sustained.cause] += 1;
      this.#options.events?.splitAutomatically(sustained.shardId);
      logger.info({ ...sustained, newShard: newShardId }, `split a shard automatically (${sustained.cause})`);
      await this.#options.afterSplit(sustained, newShardId);
    } catch (error) {
      // A shard that is moving, or whose point no longer lies inside it, is tried on a later round.
      logger.info({ shardId: sustained.shardId, err: (error as Error).message }, 'automatic split put off');
    }
  }
}

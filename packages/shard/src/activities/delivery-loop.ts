/**
 * The primary's delivery loop (DESIGN §7): it sends the messages its entities queued, in order
 * for each (sender, receiver) pair, one delivery in flight per pair carrying the pair's next
 * messages (up to a window of them), and acknowledges them in the sender's record once the
 * receiver has applied them (or had already: repeats). Delivery is at
 * least once: a message whose answer is lost is sent again, and the receiver's record of what
 * it applied makes the effect exactly once.
 *
 * A failed attempt is tried again after a capped exponential back-off with jitter:
 * `min(maxMs, baseMs · 2^(attempt-1))`, scaled by a random factor in `1 ± jitter`. A message
 * the receiver refuses for good (a kind it does not accept, a payload its schema refuses, a
 * type no one serves), or one still undelivered after `maxAttempts`, is parked as a dead
 * letter, and the pair goes on with its next message. Attempts are counted in memory: a new
 * primary after a failover starts them afresh.
 *
 * Time and chance are injected (`now`, `random`), and `tick` does one round, so tests drive the
 * back-off and dead-lettering step by step; `start` runs rounds on real timers.
 */
import {
  addressName,
  isIsxError,
  type DeliveredBatch,
  type EntityAddress,
  type PendingMessage,
} from '@isx/core';
import type { Logger } from 'pino';

/** The first messages still to deliver to one of a sender's partners, in order. */
export interface PendingHead {
  readonly partner: string;
  readonly to: EntityAddress;
  /** At least one. */
  readonly messages: readonly PendingMessage[];
  /** How many messages to this partner are still to deliver, these and any after (default: these). */
  readonly queued?: number;
}

/** What the loop needs from the entity host. */
export interface Outbox {
  /** The first pending messages to each partner of `sender`, or none (delivered, or no longer led here). */
  heads(sender: EntityAddress): Promise<PendingHead[]>;
  acknowledge(sender: EntityAddress, partner: string, seq: number): Promise<void>;
  park(
    sender: EntityAddress,
    partner: string,
    seq: number,
    why: { reason: string; attempts: number },
  ): Promise<void>;
}

/** Sends a pair's next messages to their receiver; resolves with the last one whose effect it holds. */
export type Deliver = (batch: DeliveredBatch) => Promise<{ through: number }>;

export interface BackoffPolicy {
  readonly baseMs: number;
  readonly maxMs: number;
  readonly maxAttempts: number;
  /** 0.2 spreads each wait over ±20 %. */
  readonly jitter: number;
}

export const DEFAULT_BACKOFF: BackoffPolicy = { baseMs: 100, maxMs: 10_000, maxAttempts: 20, jitter: 0.2 };

export interface DeliveryLoopOptions {
  outbox: Outbox;
  deliver: Deliver;
  logger: Logger;
  policy?: Partial<BackoffPolicy>;
  /** Milliseconds on a monotonic clock (default `performance.now`). */
  now?: () => number;
  /** In [0, 1) (default `Math.random`). */
  random?: () => number;
}

/** A sender with messages to deliver. */
interface KnownSender {
  readonly address: EntityAddress;
  /** Times it was noticed: a sender noticed again during a round is kept. */
  noticed: number;
  /** Messages it still had to deliver when a round last read its record (0 before one has). */
  queued: number;
}

/** How one (sender, receiver) pair stands. */
interface Pair {
  attempts: number;
  dueAt: number;
  /** The message the attempts are for; a different head starts the count afresh. */
  seq: number;
}

/** Statuses that mean the receiver will never take the message. */
const PERMANENT_STATUSES: ReadonlySet<number> = new Set([400, 404, 413, 415]);

export class DeliveryLoop {
  readonly #options: DeliveryLoopOptions;
  readonly #policy: BackoffPolicy;
  readonly #now: () => number;
  readonly #random: () => number;
  readonly #senders = new Map<string, KnownSender>();
  readonly #pairs = new Map<string, Pair>();
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<number> | undefined;
  #stopped = true;
  readonly #totals = { delivered: 0, retried: 0, parked: 0 };

  constructor(options: DeliveryLoopOptions) {
    this.#options = options;
    this.#policy = { ...DEFAULT_BACKOFF, ...options.policy };
    this.#now = options.now ?? (() => performance.now());
    this.#random = options.random ?? Math.random;
  }

  /** Messages delivered, attempts that failed and will be retried, and messages parked, since start. */
  get totals(): { delivered: number; retried: number; parked: number } {
    return { ...this.#totals };
  }

  /** Senders known to have messages to deliver. */
  get senders(): number {
    return this.#senders.size;
  }

  /**
   * Messages still to deliver, as the last round that read each sender's record found them:
   * figures a round old, at no cost beyond that round's reads (for metrics).
   */
  get queuedMessages(): number {
    let queued = 0;
    for (const sender of this.#senders.values()) queued += sender.queued;
    return queued;
  }

  /** Each known sender's messages still to deliver, as `queuedMessages` counts them. */
  queuedBySender(): Array<{ readonly sender: EntityAddress; readonly queued: number }> {
    return [...this.#senders.values()].map(({ address, queued }) => ({ sender: address, queued }));
  }

  /** A sender has messages to deliver (a write queued some, or a scan found some). */
  notice(sender: EntityAddress): void {
    const name = addressName(sender);
    const known = this.#senders.get(name);
    if (known) known.noticed += 1;
    else this.#senders.set(name, { address: sender, noticed: 1, queued: 0 });
    if (!this.#stopped) this.#schedule(0);
  }

  /** How long a wait `attempt` (1 for the first retry) calls for, jitter included. */
  backoffMs(attempt: number): number {
    const { baseMs, maxMs, jitter } = this.#policy;
    const capped = Math.min(maxMs, baseMs * 2 ** Math.max(0, attempt - 1));
    return capped * (1 - jitter + 2 * jitter * this.#random());
  }

  /** Milliseconds until the next attempt is due; undefined when nothing waits. */
  nextDueIn(): number | undefined {
    if (this.#senders.size === 0) return undefined;
    const now = this.#now();
    // A sender with no pair state yet has work due now.
    const withPairs = new Set<string>();
    let soonest = Number.POSITIVE_INFINITY;
    for (const [key, pair] of this.#pairs) {
      withPairs.add(key.slice(0, key.indexOf('>')));
      soonest = Math.min(soonest, pair.dueAt);
    }
    for (const name of this.#senders.keys()) if (!withPairs.has(name)) return 0;
    return Number.isFinite(soonest) ? Math.max(0, soonest - now) : 0;
  }

  /** One round: every pair whose next attempt is due gets it; resolves with the attempts made. */
  tick(): Promise<number> {
    this.#running ??= this.#round().finally(() => {
      this.#running = undefined;
    });
    return this.#running;
  }

  /** Runs rounds on real timers until `stop`. */
  start(): void {
    this.#stopped = false;
    this.#schedule(0);
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    await this.#running;
  }

  #schedule(delayMs: number): void {
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => {
      void this.tick()
        .catch((error: unknown) =>
          this.#options.logger.warn({ err: describe(error) }, 'delivery round failed'),
        )
        .then(() => {
          const next = this.nextDueIn();
          if (!this.#stopped && next !== undefined) this.#schedule(Math.min(next, 1_000));
        });
    }, delayMs);
    this.#timer.unref();
  }

  async #round(): Promise<number> {
    const now = this.#now();
    let attempts = 0;
    const work: Array<Promise<void>> = [];
    const senders = [...this.#senders].map(([name, { address, noticed }]) => ({ name, address, noticed }));
    // The senders' records are read side by side: one round may cover thousands of them.
    const allHeads = await Promise.all(
      senders.map(({ address }) => this.#options.outbox.heads(address).catch(() => undefined)),
    );
    for (const [index, { name, address: sender, noticed }] of senders.entries()) {
      const heads = allHeads[index];
      if (heads === undefined) continue;
      if (heads.length === 0) {
        // A sender noticed again since its record was read may have queued a message since: keep it.
        if (this.#senders.get(name)?.noticed !== noticed) continue;
        this.#senders.delete(name);
        for (const key of [...this.#pairs.keys()]) if (key.startsWith(`${name}>`)) this.#pairs.delete(key);
        continue;
      }
      const known = this.#senders.get(name);
      if (known) known.queued = heads.reduce((sum, head) => sum + (head.queued ?? head.messages.length), 0);
      for (const head of heads) {
        const key = `${name}>${head.partner}`;
        let pair = this.#pairs.get(key);
        const first = head.messages[0]!.seq;
        if (!pair || pair.seq !== first) {
          pair = { attempts: 0, dueAt: now, seq: first };
          this.#pairs.set(key, pair);
        }
        if (pair.dueAt > now) continue;
        attempts += 1;
        work.push(this.#attempt(sender, head, pair));
      }
    }
    await Promise.all(work);
    return attempts;
  }

  /** One delivery and what follows it; a failure to record the outcome is retried like a failed delivery. */
  async #attempt(sender: EntityAddress, head: PendingHead, pair: Pair): Promise<void> {
    try {
      await this.#deliverOne(sender, head, pair);
    } catch (error) {
      // The sender's shard is moving or lost its lease: the receiver may hold the message, and
      // sending it again is harmless (a repeat); the sender's record is written next time.
      pair.dueAt = this.#now() + this.backoffMs(Math.max(1, pair.attempts));
      this.#options.logger.debug(
        { sender: addressName(sender), to: head.partner, err: describe(error) },
        'could not record a delivery; retrying',
      );
    }
  }

  async #deliverOne(sender: EntityAddress, head: PendingHead, pair: Pair): Promise<void> {
    const { outbox, deliver, logger } = this.#options;
    const first = head.messages[0]!;
    let through: number;
    try {
      ({ through } = await deliver({
        from: sender,
        to: head.to,
        messages: head.messages.map(({ seq, kind, payload }) => ({ seq, kind, payload })),
      }));
    } catch (error) {
      // A refusal is of the first message: the receiver applies those before a refused one.
      pair.attempts += 1;
      const permanent = isIsxError(error) && PERMANENT_STATUSES.has(error.status);
      const reason = isIsxError(error) ? error.code : error instanceof Error ? error.message : String(error);
      if (permanent || pair.attempts >= this.#policy.maxAttempts) {
        const why = permanent ? reason : `MAX_ATTEMPTS (last: ${reason})`;
        await outbox.park(sender, head.partner, first.seq, { reason: why, attempts: pair.attempts });
        this.#totals.parked += 1;
        pair.dueAt = this.#now();
        logger.warn(
          { sender: addressName(sender), to: head.partner, seq: first.seq, reason: why },
          'message parked as a dead letter',
        );
        return;
      }
      this.#totals.retried += 1;
      pair.dueAt = this.#now() + this.backoffMs(pair.attempts);
      logger.debug(
        { sender: addressName(sender), to: head.partner, seq: first.seq, reason, attempts: pair.attempts },
        'delivery failed; retrying',
      );
      return;
    }
    await outbox.acknowledge(sender, head.partner, through);
    this.#totals.delivered += head.messages.filter((m) => m.seq <= through).length;
    // The pair's next messages, if any, are due at once.
    pair.dueAt = this.#now();
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

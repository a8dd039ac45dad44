/**
 * One advertiser and its bookings in memory, joined by a simulated network that carries each
 * message in order per pair and may carry one again (at least once, with no duplicate filter:
 * the worst the entities could meet, e.g. a dead letter replayed under a new number). It
 * drives the entities' pure logic only, so a property test can try many interleavings.
 */
import type { OutgoingMessage } from '@isx/core';
import {
  advertiser,
  booking,
  type Advertiser,
  type Booking,
  type Decision,
} from '@isx/example-advertiser-budget';
import { deliver, stateAfter, write } from './entity-harness.js';

/** The advertiser every booking of the world asks. */
export const ADVERTISER = 'acme';

type Direction = 'to-advertiser' | 'to-booking';

interface Flight {
  readonly message: OutgoingMessage;
  readonly from: string;
}

export class SimulatedWorld {
  advertiser: Advertiser;
  readonly bookings = new Map<string, Booking | undefined>();
  readonly #queues = new Map<string, Flight[]>();
  readonly #lastDelivered = new Map<string, Flight>();

  constructor(budgetCents: number) {
    this.advertiser = write(advertiser, ADVERTISER, undefined, { name: 'ACME', budgetCents }).state!;
  }

  /** A client writes `body` to booking `key`; false when the booking refuses the write (409). */
  writeBooking(key: string, body: { amountCents: number; decision?: Decision }): boolean {
    const previous = this.bookings.get(key);
    let result;
    try {
      result = write(booking, key, previous, { advertiser: ADVERTISER, ...body });
    } catch {
      return false;
    }
    this.bookings.set(key, result.state);
    this.#send(key, result.messages);
    return true;
  }

  /** Delivers the oldest message of the pair in that direction; false when there is none. */
  deliverNext(key: string, direction: Direction): boolean {
    const flight = this.#queue(key, direction).shift();
    if (flight === undefined) return false;
    this.#lastDelivered.set(`${direction}:${key}`, flight);
    this.#apply(key, direction, flight);
    return true;
  }

  /** Delivers again the last message the pair carried in that direction, if any. */
  redeliver(key: string, direction: Direction): void {
    const flight = this.#lastDelivered.get(`${direction}:${key}`);
    if (flight !== undefined) this.#apply(key, direction, flight);
  }

  /** Delivers everything in flight, and what that sends, until the network is quiet. */
  drain(): void {
    for (let round = 0; round < 1_000; round += 1) {
      const busy = [...this.#queues.entries()].find(([, queue]) => queue.length > 0);
      if (busy === undefined) return;
      const [pair] = busy;
      const [direction, key] = splitPair(pair);
      this.deliverNext(key, direction);
    }
    throw new Error('the network did not go quiet');
  }

  #apply(key: string, direction: Direction, { message, from }: Flight): void {
    if (direction === 'to-advertiser') {
      const result = deliver(advertiser, ADVERTISER, this.advertiser, {
        ...message,
        from: { type: 'booking', key: from },
      });
      this.advertiser = stateAfter(this.advertiser, result)!;
      this.#send(key, result.messages);
    } else {
      const before = this.bookings.get(key);
      const result = deliver(booking, key, before, { ...message, from: { type: 'advertiser', key: from } });
      this.bookings.set(key, stateAfter(before, result));
      this.#send(key, result.messages);
    }
  }

  /** Queues what booking `key`, or the advertiser, sent: a pair is named by its booking. */
  #send(key: string, messages: readonly OutgoingMessage[]): void {
    for (const message of messages) {
      if (message.to.type === 'advertiser') {
        this.#queue(key, 'to-advertiser').push({ message, from: key });
      } else {
        this.#queue(message.to.key, 'to-booking').push({ message, from: ADVERTISER });
      }
    }
  }

  #queue(key: string, direction: Direction): Flight[] {
    const pair = `${direction}:${key}`;
    let queue = this.#queues.get(pair);
    if (queue === undefined) this.#queues.set(pair, (queue = []));
    return queue;
  }
}

function splitPair(pair: string): [Direction, string] {
  const at = pair.indexOf(':');
  return [pair.slice(0, at) as Direction, pair.slice(at + 1)];
}

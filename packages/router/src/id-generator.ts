/**
 * Router-made keys for `POST /:type`: sortable and unique.
 *
 * A key is the time in milliseconds (9 base-36 digits), a counter within that millisecond
 * (4 base-36 digits), a hyphen and the router's id: `kxq3b1c2a0000-r1`. Keys from one
 * router strictly increase even if the wall clock steps back (the last time is kept); keys
 * from different routers differ by their suffix. Every key passes `parseKey`.
 */
import type { Clock } from '@isx/core';

const TIME_DIGITS = 9;
const COUNTER_DIGITS = 4;
const COUNTER_LIMIT = 36 ** COUNTER_DIGITS;

export class IdGenerator {
  readonly #routerId: string;
  readonly #clock: Clock;
  #lastTime = 0;
  #counter = 0;

  constructor(routerId: string, clock: Clock) {
    if (!/^[a-z0-9]{1,8}$/.test(routerId))
      throw new RangeError('a router id is 1–8 lowercase letters or digits');
    this.#routerId = routerId;
    this.#clock = clock;
  }

  next(): string {
    const now = Math.max(Math.floor(this.#clock.now()), this.#lastTime);
    if (now === this.#lastTime) {
      this.#counter += 1;
      if (this.#counter >= COUNTER_LIMIT) {
        // 1.6 million keys in one millisecond: borrow the next millisecond rather than repeat.
        this.#lastTime += 1;
        this.#counter = 0;
      }
    } else {
      this.#lastTime = now;
      this.#counter = 0;
    }
    const time = this.#lastTime.toString(36).padStart(TIME_DIGITS, '0');
    const counter = this.#counter.toString(36).padStart(COUNTER_DIGITS, '0');
    return `${time}${counter}-${this.#routerId}`;
  }
}

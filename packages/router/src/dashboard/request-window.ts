/**
 * The last minute of keyed requests through the router, one bucket per second: how many,
 * how many failed, and their latency percentiles, for the dashboard's rate and latency chart.
 *
 * Each second keeps at most `SAMPLES_PER_SECOND` latencies, chosen by reservoir sampling, so
 * memory stays flat however busy the router is while every request has the same chance to count.
 */
import type { ServerResponse } from 'node:http';
import type { RequestSecond } from '@isx/core';

const SAMPLES_PER_SECOND = 512;

interface Bucket {
  readonly second: number;
  requests: number;
  errors: number;
  readonly samples: number[];
}

export interface RequestWindowOptions {
  /** Seconds kept (default 60). */
  readonly seconds?: number;
  /** Milliseconds since the epoch (default `Date.now`). */
  readonly now?: () => number;
  readonly random?: () => number;
}

export class RequestWindow {
  readonly #seconds: number;
  readonly #now: () => number;
  readonly #random: () => number;
  readonly #buckets: Bucket[] = [];

  constructor(options: RequestWindowOptions = {}) {
    this.#seconds = options.seconds ?? 60;
    this.#now = options.now ?? Date.now;
    this.#random = options.random ?? Math.random;
  }

  /** Counts a request once its response is over; call as the request arrives. */
  observe(response: ServerResponse): void {
    const started = performance.now();
    response.once('close', () =>
      this.record(performance.now() - started, response.writableFinished ? response.statusCode : 0),
    );
  }

  /** Counts one request that took `latencyMs` and ended with `status` (0: no answer). */
  record(latencyMs: number, status: number): void {
    const bucket = this.#current();
    bucket.requests += 1;
    if (status >= 500 || status === 0) bucket.errors += 1;
    if (bucket.samples.length < SAMPLES_PER_SECOND) bucket.samples.push(latencyMs);
    else {
      const slot = Math.floor(this.#random() * bucket.requests);
      if (slot < SAMPLES_PER_SECOND) bucket.samples[slot] = latencyMs;
    }
  }

  /** Every second of the window, oldest first, with empty seconds filled in. */
  seconds(): RequestSecond[] {
    const last = Math.floor(this.#now() / 1000);
    this.#forgetBefore(last - this.#seconds + 1);
    const bySecond = new Map(this.#buckets.map((b) => [b.second, b]));
    const seconds: RequestSecond[] = [];
    for (let second = last - this.#seconds + 1; second <= last; second += 1) {
      const bucket = bySecond.get(second);
      const sorted = bucket ? [...bucket.samples].sort((a, b) => a - b) : [];
      seconds.push({
        at: second * 1000,
        requests: bucket?.requests ?? 0,
        errors: bucket?.errors ?? 0,
        p50Ms: percentile(sorted, 0.5),
        p99Ms: percentile(sorted, 0.99),
      });
    }
    return seconds;
  }

  #current(): Bucket {
    const second = Math.floor(this.#now() / 1000);
    const last = this.#buckets.at(-1);
    if (last?.second === second) return last;
    this.#forgetBefore(second - this.#seconds + 1);
    const bucket: Bucket = { second, requests: 0, errors: 0, samples: [] };
    this.#buckets.push(bucket);
    return bucket;
  }

  #forgetBefore(second: number): void {
    while (this.#buckets.length > 0 && this.#buckets[0]!.second < second) this.#buckets.shift();
  }
}

/** The nearest-rank percentile of sorted values, rounded to 0.1 ms; null for none. */
function percentile(sorted: readonly number[], fraction: number): number | null {
  if (sorted.length === 0) return null;
  const value = sorted[Math.min(sorted.length - 1, Math.ceil(fraction * sorted.length) - 1)]!;
  return Math.round(value * 10) / 10;
}

/**
 * Counts the keyed operations each shard this node leads serves, and samples their partition
 * keys, so the router can split a shard that takes too great a share of its type's load at a
 * point that divides that load in two (DESIGN §6). Each report covers the time since the last.
 *
 * The sample is a reservoir: every operation of the window has the same chance to be in it,
 * however many there were. The split point is the sample's median partition key, or the next
 * one up, whichever divides the sample more evenly; there is none when even the better of the
 * two leaves less than a quarter on one side, which is what a single hot key looks like.
 */

/** One shard's operations since the previous report. */
export interface ShardOps {
  readonly opsPerSec: number;
  readonly loadSplitAt?: string;
}

const SAMPLE_SIZE = 128;
const MIN_SAMPLES = 32;
const MIN_SIDE_SHARE = 0.25;

interface Window {
  ops: number;
  readonly sample: string[];
}

export interface LoadMeterOptions {
  /** Milliseconds on a monotonic clock (default `performance.now`). */
  now?: () => number;
  /** A number in [0, 1) (default `Math.random`); tests pass a seeded one. */
  random?: () => number;
}

export class LoadMeter {
  readonly #now: () => number;
  readonly #random: () => number;
  #windows = new Map<string, Window>();
  #since: number;

  constructor(options: LoadMeterOptions = {}) {
    this.#now = options.now ?? (() => performance.now());
    this.#random = options.random ?? Math.random;
    this.#since = this.#now();
  }

  /** Counts one operation on `shardId` for the key whose partition key is given. */
  record(shardId: string, partitionKey: string): void {
    let window = this.#windows.get(shardId);
    if (!window) {
      window = { ops: 0, sample: [] };
      this.#windows.set(shardId, window);
    }
    window.ops += 1;
    if (window.sample.length < SAMPLE_SIZE) {
      window.sample.push(partitionKey);
      return;
    }
    const slot = Math.floor(this.#random() * window.ops);
    if (slot < SAMPLE_SIZE) window.sample[slot] = partitionKey;
  }

  /** Each shard's rate and split point since the last call; a new window starts. */
  take(): Map<string, ShardOps> {
    const now = this.#now();
    const seconds = Math.max((now - this.#since) / 1000, 0.001);
    const report = new Map<string, ShardOps>();
    for (const [shardId, window] of this.#windows) {
      const at = loadSplitPoint(window.sample);
      report.set(shardId, {
        opsPerSec: Math.round((window.ops / seconds) * 10) / 10,
        ...(at === undefined ? {} : { loadSplitAt: at }),
      });
    }
    this.#windows = new Map();
    this.#since = now;
    return report;
  }
}

/** The partition key that divides `sample` most evenly, or undefined (see the module comment). */
export function loadSplitPoint(sample: readonly string[]): string | undefined {
  if (sample.length < MIN_SAMPLES) return undefined;
  const sorted = [...sample].sort();
  const median = sorted[Math.floor(sorted.length / 2)]!;
  const next = sorted.find((key) => key > median);
  const candidates = next === undefined ? [median] : [median, next];
  let best: { point: string; share: number } | undefined;
  for (const point of candidates) {
    const below = sorted.filter((key) => key < point).length;
    const share = Math.min(below, sorted.length - below) / sorted.length;
    if (!best || share > best.share) best = { point, share };
  }
  return best && best.share >= MIN_SIDE_SHARE ? best.point : undefined;
}

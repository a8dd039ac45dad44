/**
 * The workload: logical client processes that issue reads, writes, compare-and-sets,
 * creates and deletes on a small set of keys, and record every invocation and completion.
 *
 * Closed loop: each of `clients` processes waits for its answer before the next operation.
 * Open loop: operations start at a fixed rate whether or not earlier ones have answered,
 * on at most `clients` processes at once (a start with every process busy is counted as
 * skipped, so the offered load stays honest). A process whose operation ends in `info` is
 * retired and replaced by a new one, since it may still be acting. Every written value is
 * unique. Choices come from the seed; timing comes from the cluster.
 */
import type { OperationName, WorkloadSpec } from '@isx/core';
import type { HistoryWriter } from '../history/history-file.js';
import { deriveRandom, pickIndex, type Random } from '../internal/seeded-random.js';
import type { OperationClient, OperationRequest } from './operation-client.js';

/** Live counts, for the progress line. */
export interface WorkloadCounts {
  ok: number;
  fail: number;
  info: number;
  skipped: number;
  inFlight: number;
}

export interface WorkloadOptions {
  readonly spec: WorkloadSpec;
  readonly seed: number;
  /** Performs one operation; the real one is {@link OperationClient}. */
  readonly client: Pick<OperationClient, 'perform'>;
  readonly history: HistoryWriter;
}

/** The key names a workload uses: `k0` … `k{n-1}`. */
export function workloadKeys(count: number): string[] {
  return Array.from({ length: count }, (_, i) => `k${i}`);
}

export class Workload {
  readonly counts: WorkloadCounts = { ok: 0, fail: 0, info: 0, skipped: 0, inFlight: 0 };
  readonly #options: WorkloadOptions;
  readonly #random: Random;
  readonly #keys: string[];
  readonly #mix: [OperationName, number][];
  /** The last version any process saw per key: a cas guesses from it. */
  readonly #seenVersion = new Map<string, number>();
  #nextProcess = 0;
  #nextValue = 0;

  constructor(options: WorkloadOptions) {
    this.#options = options;
    this.#random = deriveRandom(options.seed, 'workload');
    this.#keys = workloadKeys(options.spec.keys);
    this.#mix = Object.entries(options.spec.mix).filter(([, weight]) => weight > 0) as [
      OperationName,
      number,
    ][];
  }

  /** Runs until `durationMs` has passed, then waits for operations in flight. */
  async run(): Promise<void> {
    const { spec } = this.#options;
    const started = performance.now();
    const deadline = started + spec.durationMs;
    if (spec.rate.mode === 'closed') {
      await Promise.all(Array.from({ length: spec.clients }, () => this.#closedLoop(deadline)));
      return;
    }
    await this.#openLoop(started, deadline, spec.rate.perSecond);
  }

  async #closedLoop(deadline: number): Promise<void> {
    let process = this.#newProcess();
    while (performance.now() < deadline) {
      const outcome = await this.#perform(process, this.#nextRequest());
      if (outcome === 'info') process = this.#newProcess();
    }
  }

  async #openLoop(started: number, deadline: number, perSecond: number): Promise<void> {
    const idle: number[] = Array.from({ length: this.#options.spec.clients }, () => this.#newProcess());
    const running = new Set<Promise<void>>();
    const intervalMs = 1000 / perSecond;
    for (let n = 0; ; n += 1) {
      const at = started + n * intervalMs;
      if (at >= deadline) break;
      const wait = at - performance.now();
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      const process = idle.pop();
      if (process === undefined) {
        this.counts.skipped += 1;
        continue;
      }
      const task = this.#perform(process, this.#nextRequest()).then((outcome) => {
        idle.push(outcome === 'info' ? this.#newProcess() : process);
        running.delete(task);
      });
      running.add(task);
    }
    await Promise.all(running);
  }

  /** Invokes, performs and completes one operation; returns its outcome. */
  async #perform(process: number, request: OperationRequest): Promise<'ok' | 'fail' | 'info'> {
    const { history, client } = this.#options;
    history.record({ type: 'invoke', process, ...request });
    this.counts.inFlight += 1;
    const done = await client.perform(request);
    this.counts.inFlight -= 1;
    this.counts[done.type] += 1;
    history.record({ process, f: request.f, key: request.key, ...done });
    if (done.type === 'ok' && done.version !== undefined) this.#seenVersion.set(request.key, done.version);
    return done.type;
  }

  #nextRequest(): OperationRequest {
    const f = this.#pickOperation();
    const key = this.#keys[pickIndex(this.#random, this.#keys.length)]!;
    if (f === 'read' || f === 'delete') return { f, key };
    const value = `v${(this.#nextValue += 1)}`;
    if (f !== 'cas') return { f, key, value };
    // Guess the current version: usually the last one seen, sometimes one off, so both outcomes occur.
    const seen = this.#seenVersion.get(key) ?? 1;
    const expectedVersion = Math.max(0, seen + (this.#random() < 0.8 ? 0 : pickIndex(this.#random, 3) - 1));
    return { f, key, value, expectedVersion };
  }

  #pickOperation(): OperationName {
    const total = this.#mix.reduce((sum, [, weight]) => sum + weight, 0);
    let roll = this.#random() * total;
    for (const [name, weight] of this.#mix) {
      roll -= weight;
      if (roll < 0) return name;
    }
    return this.#mix[this.#mix.length - 1]![0];
  }

  #newProcess(): number {
    return (this.#nextProcess += 1) - 1;
  }
}

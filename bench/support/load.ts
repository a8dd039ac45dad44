/**
 * The closed-loop load generator every benchmark uses.
 *
 * N workers each send one request, wait for its answer, and send the next, for a fixed time
 * after an optional warm-up, with a progress line for each (a bar on a terminal, a plain line
 * every few seconds elsewhere) and a summary line at the end of each. Latencies of
 * successful requests are kept exactly (milliseconds, from `performance.now`) and summarised
 * at the end. What a request is comes from the caller (`operation`), usually a prepared
 * request on a `KeepAliveHttp`. `measureLoad` keeps the raw samples so that several windows
 * (rounds of an interleaved comparison) can be summarised as one with `summarizeLoad`;
 * `runLoad` does both for a single window. Workers stop early only when the run is
 * interrupted. It must never hide a failure: every rejected operation in the measured window
 * is counted as an error, with its message tallied.
 */
import { performance } from 'node:perf_hooks';
import type { Progress, ProgressOptions } from '@isx/lab';
import { interrupted } from './interrupt.js';
import { formatMs, summarizeLatencies, type LatencySummary } from './latency.js';

/** One request of worker `worker`; `iteration` counts that worker's requests from 0. Rejects on failure. */
export type Operation = (worker: number, iteration: number) => Promise<unknown>;

export interface LoadOptions {
  /** What the progress lines call this load, e.g. `router`. */
  readonly label: string;
  readonly concurrency: number;
  readonly durationSeconds: number;
  /** Seconds of load before measuring starts (default 0); nothing from them is counted. */
  readonly warmupSeconds?: number;
  readonly operation: Operation;
  /** Starts a progress line, usually `(options) => narrator.progress(options)` (default: none). */
  readonly progress?: ProgressStarter;
}

/** Starts a progress line; the load finishes it. */
export type ProgressStarter = (
  options: Omit<ProgressOptions, 'write' | 'tty' | 'indent' | 'onFinish'>,
) => Progress;

export interface LoadResult extends LatencySummary {
  /** Successful requests in the measured window. */
  readonly requests: number;
  /** Failed requests in the measured window. */
  readonly errors: number;
  /** From the end of the warm-up until the last request in flight answered. */
  readonly durationSeconds: number;
  readonly throughputPerSecond: number;
  /** Error messages and how often each occurred (at most 10 distinct ones). */
  readonly errorKinds: Readonly<Record<string, number>>;
}

/** The raw outcome of one measured window. */
export interface LoadSamples {
  /** Latency of each successful request, ms, in completion order. */
  readonly latencies: readonly number[];
  readonly errors: number;
  readonly durationSeconds: number;
  readonly errorKinds: Readonly<Record<string, number>>;
}

const MAX_ERROR_KINDS = 10;

/** Runs the load for one window and summarises it. */
export async function runLoad(options: LoadOptions): Promise<LoadResult> {
  return summarizeLoad([await measureLoad(options)]);
}

/** Several windows as one: counts and durations add up, percentiles are over every sample. */
export function summarizeLoad(windows: readonly LoadSamples[]): LoadResult {
  const latencies = windows.flatMap((w) => w.latencies);
  const durationSeconds = windows.reduce((sum, w) => sum + w.durationSeconds, 0);
  const errorKinds: Record<string, number> = {};
  for (const [kind, count] of windows.flatMap((w) => Object.entries(w.errorKinds))) {
    errorKinds[kind] = (errorKinds[kind] ?? 0) + count;
  }
  return {
    requests: latencies.length,
    errors: windows.reduce((sum, w) => sum + w.errors, 0),
    durationSeconds,
    throughputPerSecond: durationSeconds === 0 ? 0 : latencies.length / durationSeconds,
    ...summarizeLatencies(latencies),
    errorKinds,
  };
}

/** Runs the load and resolves with its samples once every worker has had its last answer. */
export async function measureLoad(options: LoadOptions): Promise<LoadSamples> {
  const { label, concurrency, operation } = options;
  const warmupMs = (options.warmupSeconds ?? 0) * 1000;
  const start = performance.now();
  const measureFrom = start + warmupMs;
  const end = measureFrom + options.durationSeconds * 1000;
  const latencies: number[] = [];
  const errorKinds: Record<string, number> = {};
  let errors = 0;
  let warmupCompleted = 0;

  const worker = async (id: number): Promise<void> => {
    for (let iteration = 0; ; iteration += 1) {
      const sent = performance.now();
      if (sent >= end || interrupted()) return;
      const measured = sent >= measureFrom;
      try {
        await operation(id, iteration);
        if (measured) latencies.push(performance.now() - sent);
        else warmupCompleted += 1;
      } catch (error) {
        if (!measured) continue;
        errors += 1;
        const kind = (error instanceof Error ? error.message : String(error)).slice(0, 200);
        if (kind in errorKinds || Object.keys(errorKinds).length < MAX_ERROR_KINDS) {
          errorKinds[kind] = (errorKinds[kind] ?? 0) + 1;
        }
      }
    }
  };

  // The latest second's percentiles, for the progress line.
  let lastSecond = '';
  let seen = 0;
  const tick = setInterval(() => {
    const window = summarizeLatencies(latencies, seen);
    if (latencies.length > seen) {
      lastSecond = `last second p50 ${formatMs(window.p50)} ms  p99 ${formatMs(window.p99)} ms`;
    }
    seen = latencies.length;
  }, 1000);
  let progress =
    warmupMs > 0
      ? options.progress?.({
          label: `${label} warm-up`,
          totalMs: warmupMs,
          unit: 'requests',
          sample: () => ({ done: warmupCompleted }),
        })
      : undefined;
  const measured = (): void => {
    progress?.finish('not measured');
    progress = options.progress?.({
      label,
      totalMs: options.durationSeconds * 1000,
      unit: 'requests',
      sample: () => ({ done: latencies.length, errors, detail: lastSecond }),
    });
  };
  const switchAt = warmupMs > 0 ? setTimeout(measured, warmupMs) : undefined;
  if (switchAt === undefined) measured();

  try {
    await Promise.all(Array.from({ length: concurrency }, (_, id) => worker(id)));
  } finally {
    clearInterval(tick);
    clearTimeout(switchAt);
  }
  const durationSeconds = (performance.now() - measureFrom) / 1000;
  if (interrupted()) progress?.finish('interrupted');
  else {
    const all = summarizeLatencies(latencies);
    progress?.finish(`p50 ${formatMs(all.p50)} ms, p99 ${formatMs(all.p99)} ms`);
  }
  return { latencies, errors, durationSeconds, errorKinds };
}

/**
 * The shape of `report.json`, which `report.html` is drawn from. Everything a reader needs
 * to judge a run is here: the spec and the fault schedule it produced, the overall figures,
 * a timeline in buckets, a sample of latencies, the fault windows and every checker's
 * verdict with its anomalies. Times are milliseconds from the start of the workload.
 */
import type { ExperimentSpec } from '@isx/core';
import type { CheckerResult } from '../checkers/checker.js';

export type Verdict = 'valid' | 'invalid' | 'unknown';

/**
 * One bucket of the timeline. `ok` counts every answered operation, refusals on a
 * precondition included; `fail` those refused for want of a node; `info` the unknown ones.
 * Latencies are of the operations that completed in it.
 */
export interface TimelineBucket {
  readonly startMs: number;
  readonly ok: number;
  readonly fail: number;
  readonly info: number;
  readonly p50Ms: number | null;
  readonly p99Ms: number | null;
}

/** One sampled operation for the latency scatter plot. */
export interface LatencySample {
  readonly atMs: number;
  readonly latencyMs: number;
  readonly outcome: 'ok' | 'fail' | 'info';
}

/** A fault window, in milliseconds. */
export interface ReportFault {
  readonly fault: string;
  readonly target?: string | undefined;
  readonly detail?: string | undefined;
  readonly startMs: number;
  readonly endMs: number;
}

export interface ExperimentReport {
  readonly name: string;
  readonly description: string;
  readonly seed: number;
  readonly startedAt: string;
  readonly verdict: Verdict;
  readonly spec: ExperimentSpec;
  readonly figures: {
    readonly durationMs: number;
    /** `ok` took effect; `refused` was answered 412/404 (a precondition did not hold); `fail` found no node; `info` is unknown. */
    readonly operations: {
      readonly total: number;
      readonly ok: number;
      readonly refused: number;
      readonly fail: number;
      readonly info: number;
    };
    readonly throughputPerSecond: number;
    readonly latencyMs: {
      readonly p50: number;
      readonly p95: number;
      readonly p99: number;
      readonly max: number;
    };
  };
  readonly timeline: { readonly bucketMs: number; readonly buckets: readonly TimelineBucket[] };
  readonly latencies: readonly LatencySample[];
  readonly faults: readonly ReportFault[];
  readonly checkers: readonly CheckerResult[];
  /** Files next to the report, relative to its directory. */
  readonly files: { readonly history: string; readonly logs: string };
}

/**
 * Builds `report.json` from a finished run: overall figures, a timeline in buckets, a
 * sample of latencies for the scatter plot, the fault windows and the checkers' verdicts.
 * The overall verdict is `invalid` if any checker found a violation, `unknown` if none did
 * but one could not decide, and `valid` otherwise. Only workload operations count towards
 * the figures; the final reads are checked, not measured.
 */
import type { ExperimentSpec } from '@isx/core';
import type { CheckerResult, FaultWindow } from '../checkers/checker.js';
import { availabilityOf, type Operation } from '../history/operations.js';
import type { ExperimentReport, LatencySample, TimelineBucket, Verdict } from './report-model.js';

const MAX_SAMPLES = 4_000;
const BUCKET_OF = { answered: 'ok', unavailable: 'fail', unknown: 'info' } as const;

export interface ReportInput {
  readonly spec: ExperimentSpec;
  readonly startedAt: string;
  readonly operations: readonly Operation[];
  readonly faults: readonly FaultWindow[];
  readonly checkers: readonly CheckerResult[];
  readonly workloadNs: number;
}

export function buildReport(input: ReportInput): ExperimentReport {
  const { spec } = input;
  const operations = input.operations.filter((op) => !op.final);
  const latencies = operations.map((op) => (op.completeNs - op.invokeNs) / 1e6).sort((a, b) => a - b);
  const durationMs = input.workloadNs / 1e6;
  const count = (outcome: Operation['outcome']): number =>
    operations.filter((op) => op.outcome === outcome).length;
  const unavailable = operations.filter((op) => availabilityOf(op) === 'unavailable').length;
  return {
    name: spec.name,
    description: spec.description,
    seed: spec.seed,
    startedAt: input.startedAt,
    verdict: overallVerdict(input.checkers),
    spec,
    figures: {
      durationMs: round(durationMs),
      operations: {
        total: operations.length,
        ok: count('ok'),
        refused: count('fail') - unavailable,
        fail: unavailable,
        info: count('info'),
      },
      throughputPerSecond: durationMs > 0 ? round((count('ok') / durationMs) * 1000) : 0,
      latencyMs: {
        p50: round(quantile(latencies, 0.5)),
        p95: round(quantile(latencies, 0.95)),
        p99: round(quantile(latencies, 0.99)),
        max: round(latencies.at(-1) ?? 0),
      },
    },
    timeline: {
      bucketMs: spec.availability.bucketMs,
      buckets: timeline(operations, spec.availability.bucketMs, durationMs),
    },
    latencies: sample(operations),
    faults: input.faults.map((fault) => ({
      fault: fault.fault,
      target: fault.target,
      detail: fault.detail,
      startMs: round(fault.startNs / 1e6),
      endMs: round(fault.endNs / 1e6),
    })),
    checkers: input.checkers,
    files: { history: 'history.jsonl', logs: 'logs/' },
  };
}

export function overallVerdict(checkers: readonly CheckerResult[]): Verdict {
  if (checkers.some((c) => c.valid === false)) return 'invalid';
  if (checkers.some((c) => c.valid === 'unknown')) return 'unknown';
  return 'valid';
}

function timeline(operations: readonly Operation[], bucketMs: number, durationMs: number): TimelineBucket[] {
  const count = Math.max(1, Math.ceil(durationMs / bucketMs));
  const buckets = Array.from({ length: count }, () => ({
    ok: 0,
    fail: 0,
    info: 0,
    latencies: [] as number[],
  }));
  for (const op of operations) {
    const index = Math.min(count - 1, Math.floor(op.completeNs / 1e6 / bucketMs));
    const bucket = buckets[index]!;
    bucket[BUCKET_OF[availabilityOf(op)]] += 1;
    bucket.latencies.push((op.completeNs - op.invokeNs) / 1e6);
  }
  return buckets.map((bucket, index) => {
    const sorted = bucket.latencies.sort((a, b) => a - b);
    return {
      startMs: index * bucketMs,
      ok: bucket.ok,
      fail: bucket.fail,
      info: bucket.info,
      p50Ms: sorted.length === 0 ? null : round(quantile(sorted, 0.5)),
      p99Ms: sorted.length === 0 ? null : round(quantile(sorted, 0.99)),
    };
  });
}

/** Every operation that did not succeed, and an even sample of the rest. */
function sample(operations: readonly Operation[]): LatencySample[] {
  const okOps = operations.filter((op) => availabilityOf(op) === 'answered');
  const stride = Math.max(1, Math.ceil(okOps.length / MAX_SAMPLES));
  const chosen = [
    ...okOps.filter((_, i) => i % stride === 0),
    ...operations.filter((op) => availabilityOf(op) !== 'answered'),
  ];
  return chosen
    .map((op) => ({
      atMs: round(op.invokeNs / 1e6),
      latencyMs: round((op.completeNs - op.invokeNs) / 1e6),
      outcome: BUCKET_OF[availabilityOf(op)],
    }))
    .sort((a, b) => a.atMs - b.atMs);
}

function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

function round(value: number): number {
  return Math.round(value * 100) / 100;
}

/**
 * Availability: when did operations fail, and was a fault in force at the time?
 *
 * Operations of the workload are bucketed by the time they were invoked. A refusal on a
 * precondition (412, 404) is an answer, not a failure. Consecutive buckets in which some
 * operation went unanswered (`fail` for want of a node, or `info`) form a window of
 * unavailability; each window is set against the fault windows it overlaps. The verdict
 * is judged only when the spec sets `availability.minAnsweredShare`; otherwise the figures are
 * reported and the checker passes, since a fault is expected to cost availability.
 */
import { availabilityOf, type Operation } from '../history/operations.js';
import type { Checker, CheckerContext, CheckerResult, FaultWindow } from './checker.js';

const OUTCOME_OF = { answered: 'ok', unavailable: 'fail', unknown: 'info' } as const;

/** A stretch of time in which operations failed. */
export interface UnavailableWindow {
  readonly startNs: number;
  readonly endNs: number;
  readonly ok: number;
  readonly fail: number;
  readonly info: number;
  /** The faults it overlaps, as `kind target`. */
  readonly faults: readonly string[];
}

/** Finds the windows of unavailability in `operations`, in buckets of `bucketNs`. */
export function unavailableWindows(
  operations: readonly Operation[],
  faults: readonly FaultWindow[],
  bucketNs: number,
): UnavailableWindow[] {
  const buckets = new Map<number, { ok: number; fail: number; info: number }>();
  for (const op of operations) {
    const index = Math.floor(op.invokeNs / bucketNs);
    const bucket = buckets.get(index) ?? { ok: 0, fail: 0, info: 0 };
    bucket[OUTCOME_OF[availabilityOf(op)]] += 1;
    buckets.set(index, bucket);
  }
  const windows: UnavailableWindow[] = [];
  let current: { start: number; end: number; ok: number; fail: number; info: number } | undefined;
  for (const index of [...buckets.keys()].sort((a, b) => a - b)) {
    const bucket = buckets.get(index)!;
    const bad = bucket.fail + bucket.info > 0;
    if (bad && current && current.end === index) {
      current.end = index + 1;
      current.ok += bucket.ok;
      current.fail += bucket.fail;
      current.info += bucket.info;
    } else if (bad) {
      if (current) windows.push(close(current, faults, bucketNs));
      current = { start: index, end: index + 1, ...bucket };
    }
  }
  if (current) windows.push(close(current, faults, bucketNs));
  return windows;
}

function close(
  window: { start: number; end: number; ok: number; fail: number; info: number },
  faults: readonly FaultWindow[],
  bucketNs: number,
): UnavailableWindow {
  const startNs = window.start * bucketNs;
  const endNs = window.end * bucketNs;
  const overlapping = faults.filter((fault) => fault.startNs < endNs && fault.endNs >= startNs);
  return {
    startNs,
    endNs,
    ok: window.ok,
    fail: window.fail,
    info: window.info,
    faults: overlapping.map((fault) => `${fault.fault} ${fault.target ?? ''}`.trim()),
  };
}

export class AvailabilityChecker implements Checker {
  readonly name = 'availability';

  check(context: CheckerContext): CheckerResult {
    const operations = context.operations.filter((op) => !op.final);
    const ok = operations.filter((op) => availabilityOf(op) === 'answered').length;
    const okShare = operations.length === 0 ? 1 : ok / operations.length;
    const bucketNs = context.spec.availability.bucketMs * 1e6;
    const windows = unavailableWindows(operations, context.faults, bucketNs);
    const unexplained = windows.filter((window) => window.faults.length === 0);
    const longestMs = Math.max(0, ...windows.map((w) => (w.endNs - w.startNs) / 1e6));
    const minimum = context.spec.availability.minAnsweredShare;
    const valid = minimum === undefined || okShare >= minimum;
    const share = `${(okShare * 100).toFixed(1)}%`;
    return {
      checker: this.name,
      valid,
      summary:
        `${share} of ${operations.length} operations were answered; ${windows.length} window(s) of failures, ` +
        `${unexplained.length} outside any fault` +
        (minimum === undefined ? '' : ` (required: at least ${(minimum * 100).toFixed(1)}%)`),
      figures: {
        operations: operations.length,
        ok,
        fail: operations.filter((op) => availabilityOf(op) === 'unavailable').length,
        info: operations.filter((op) => availabilityOf(op) === 'unknown').length,
        answeredPercent: Math.round(okShare * 1000) / 10,
        windows: windows.length,
        windowsOutsideFaults: unexplained.length,
        longestWindowMs: Math.round(longestMs),
      },
      anomalies: [],
      notes: windows.map(
        (w) =>
          `${(w.startNs / 1e9).toFixed(1)}–${(w.endNs / 1e9).toFixed(1)} s: ${w.fail} fail, ${w.info} info, ${w.ok} ok` +
          (w.faults.length > 0 ? ` during ${w.faults.join(', ')}` : ' with no fault in force'),
      ),
    };
  }
}

/**
 * Copies restored: after a replica is lost, the cluster must bring every shard back to the
 * replication factor. Reads the `under-replicated` windows the replication monitor wrote;
 * a window still open when the run ended means the copies were never restored.
 */
import type { Checker, CheckerContext, CheckerResult } from './checker.js';

export class CopiesChecker implements Checker {
  readonly name = 'copies';

  check(context: CheckerContext): CheckerResult {
    const factor = context.spec.cluster.replicationFactor;
    const windows = context.faults.filter((fault) => fault.fault === 'under-replicated');
    const durations = windows.map((w) => (w.endNs - w.startNs) / 1e6);
    const longest = Math.round(Math.max(0, ...durations));
    const restoredAtEnd = context.restoredAtEnd ?? true;
    const valid = factor <= 1 ? true : restoredAtEnd;
    return {
      checker: this.name,
      valid,
      summary:
        factor <= 1
          ? 'one copy per shard: nothing to restore'
          : restoredAtEnd
            ? `every shard had ${factor} copies at the end; ${windows.length} window(s) with fewer, the longest ${longest} ms`
            : `some shard still had fewer than ${factor} copies at the end`,
      figures: {
        factor,
        underReplicatedWindows: windows.length,
        longestRestoreMs: longest,
      },
      anomalies: [],
      notes: windows.map(
        (w) =>
          `${(w.startNs / 1e9).toFixed(1)}–${(w.endNs / 1e9).toFixed(1)} s: ${Math.round((w.endNs - w.startNs) / 1e6)} ms under-replicated`,
      ),
    };
  }
}

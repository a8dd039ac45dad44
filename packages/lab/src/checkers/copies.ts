/**
 * Copies restored: after a replica is lost, moved or drained away, the cluster must bring
 * every shard back to the replication factor, on distinct live nodes, with the nodes the
 * run should have left (joined spares in, departed nodes out). Reads the `under-replicated`
 * windows the replication monitor wrote and the layout the run ended with; a shard short of
 * copies at the end, a node count other than expected, or an operator's step (join, drain,
 * terminate, split) still under way when the history ended makes the verdict invalid.
 */
import type { Checker, CheckerContext, CheckerResult } from './checker.js';

/** The operator's steps, whose windows last as long as the step. */
const STEPS: ReadonlySet<string> = new Set(['join', 'drain', 'terminate', 'split']);

export class CopiesChecker implements Checker {
  readonly name = 'copies';

  check(context: CheckerContext): CheckerResult {
    const factor = context.spec.cluster.replicationFactor;
    const windows = context.faults.filter((fault) => fault.fault === 'under-replicated');
    const durations = windows.map((w) => (w.endNs - w.startNs) / 1e6);
    const longest = Math.round(Math.max(0, ...durations));
    const layout = context.finalLayout;
    const unfinished = context.faults.filter((fault) => fault.unfinished === true && STEPS.has(fault.fault));
    const restored =
      factor <= 1 ||
      ((context.restoredAtEnd ?? true) && (layout === undefined || layout.leastLiveCopies >= factor));
    const nodesAsExpected = layout === undefined || layout.liveNodes === layout.expectedNodes;
    const problems = [
      ...(restored ? [] : [`some shard had fewer than ${factor} copies on live nodes at the end`]),
      ...(nodesAsExpected
        ? []
        : [`${layout?.liveNodes} node(s) were up at the end where ${layout?.expectedNodes} were expected`]),
      ...(unfinished.length === 0
        ? []
        : [`${unfinished.map((f) => `${f.fault} ${f.target ?? ''}`.trim()).join(', ')} never finished`]),
    ];
    return {
      checker: this.name,
      valid: problems.length === 0,
      summary: problems.length > 0 ? problems.join('; ') : summaryOf(factor, windows.length, longest, layout),
      figures: {
        factor,
        underReplicatedWindows: windows.length,
        longestRestoreMs: longest,
        ...(layout === undefined
          ? {}
          : {
              copiesAtEnd: layout.leastLiveCopies,
              liveNodesAtEnd: layout.liveNodes,
              expectedNodesAtEnd: layout.expectedNodes,
              nodesHoldingCopiesAtEnd: layout.nodesHoldingCopies,
              ...(layout.shards === undefined ? {} : { shardsAtEnd: layout.shards }),
              ...(layout.autoSplits === undefined ? {} : { automaticSplits: layout.autoSplits }),
            }),
        unfinishedSteps: unfinished.length,
      },
      anomalies: [],
      notes: windows.map(
        (w) =>
          `${(w.startNs / 1e9).toFixed(1)}–${(w.endNs / 1e9).toFixed(1)} s: ${Math.round((w.endNs - w.startNs) / 1e6)} ms under-replicated`,
      ),
    };
  }
}

function summaryOf(
  factor: number,
  windows: number,
  longest: number,
  layout: CheckerContext['finalLayout'],
): string {
  const nodes =
    layout === undefined
      ? ''
      : ` (${layout.nodesHoldingCopies} of ${layout.liveNodes} live node(s) hold copies, as expected)`;
  const splits = layout?.autoSplits
    ? `; ${layout.autoSplits} automatic split(s) left ${layout.shards} shard(s)`
    : '';
  if (factor <= 1) return `one copy per shard: nothing to restore${nodes}${splits}`;
  return (
    `every shard had ${factor} copies on distinct live nodes at the end${nodes}; ` +
    `${windows} window(s) with fewer, the longest ${longest} ms${splits}`
  );
}

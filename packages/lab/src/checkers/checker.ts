/**
 * The contract every checker meets. A checker reads the operations and fault windows of one
 * run and returns a verdict, a few figures and the anomalies it found, each with the part
 * of the history that shows it. Checkers plug in here by name (see the registry). A checker must never change the history it reads.
 */
import type { ExperimentSpec } from '@isx/core';
import type { ActivityAudit } from '../activities/activity-audit.js';
import type { Operation } from '../history/operations.js';

/** A fault as it happened: from its start event to its end (or the end of the run). */
export interface FaultWindow {
  readonly fault: string;
  readonly target?: string | undefined;
  readonly detail?: string | undefined;
  readonly startNs: number;
  readonly endNs: number;
  /** The history ended with the fault still in force (its end is then the run's end). */
  readonly unfinished?: boolean | undefined;
}

/** How the copies lay once the run had settled, and how many nodes should have been up. */
export interface FinalLayout {
  /** The fewest copies of a shard on distinct live nodes. */
  readonly leastLiveCopies: number;
  readonly liveNodes: number;
  readonly nodesHoldingCopies: number;
  /** Shards of every type, and how many of them the router's own splits made. */
  readonly shards?: number;
  readonly autoSplits?: number | undefined;
  /** Nodes started (joined spares included) less those that left. */
  readonly expectedNodes: number;
}

/** What a checker is given. */
export interface CheckerContext {
  readonly spec: ExperimentSpec;
  /** Every operation, in invocation order, final reads included. */
  readonly operations: readonly Operation[];
  readonly faults: readonly FaultWindow[];
  /** Length of the workload phase in nanoseconds (final reads come after it). */
  readonly workloadNs: number;
  /** Whether every shard had all its copies when the run ended (replicated clusters). */
  readonly restoredAtEnd?: boolean | undefined;
  /** The cluster as the run left it; absent when it could not be read. */
  readonly finalLayout?: FinalLayout | undefined;
  /** Both sides of every campaign → profile activity once the queues drained (runs with profile parts). */
  readonly activities?: ActivityAudit | undefined;
}

/** One thing a checker found wrong, with the operations that show it. */
export interface Anomaly {
  /** A short stable name, such as `lost-write` or `not-linearizable`. */
  readonly kind: string;
  readonly key?: string | undefined;
  readonly message: string;
  /** The sub-history that shows the anomaly, in invocation order. */
  readonly operations: readonly Operation[];
}

/** A checker's verdict. `unknown` means it could not decide (a search budget ran out). */
export interface CheckerResult {
  readonly checker: string;
  readonly valid: boolean | 'unknown';
  /** One sentence for the console and the report. */
  readonly summary: string;
  readonly figures: Readonly<Record<string, number>>;
  readonly anomalies: readonly Anomaly[];
  /** Readable observations that are not anomalies, such as each window of unavailability. */
  readonly notes?: readonly string[] | undefined;
}

export interface Checker {
  readonly name: string;
  check(context: CheckerContext): CheckerResult | Promise<CheckerResult>;
}

/**
 * Pairs a history's `invoke` events with their completions into operations, the unit every
 * checker works on. An `invoke` whose process never completed (the run ended first) counts
 * as `info`: it may or may not have taken effect. This module must never drop an operation
 * silently: an unmatched completion is an error in the history, and it says so.
 */
import type { HistoryEvent, NemesisEvent, OperationEvent, OperationName } from '@isx/core';

/** One client operation, from invocation to completion. */
export interface Operation {
  /** Position of its invocation among all operations (0-based). */
  readonly index: number;
  readonly process: number;
  readonly f: OperationName;
  readonly key: string;
  /** The value written (write, cas, create). */
  readonly value?: string | null | undefined;
  /** The version a `cas` required. */
  readonly expectedVersion?: number | undefined;
  readonly outcome: 'ok' | 'fail' | 'info';
  /** What the completion reported. */
  readonly result: {
    readonly value?: string | null | undefined;
    readonly version?: number | undefined;
    readonly error?: string | undefined;
  };
  readonly invokeNs: number;
  /** When the completion was recorded. An `info` operation may still take effect later. */
  readonly completeNs: number;
  /** A read made after every fault healed. */
  readonly final: boolean;
}

/** Splits a history into operations (in invocation order) and fault events. */
export function pairOperations(events: readonly HistoryEvent[]): {
  operations: Operation[];
  nemesis: NemesisEvent[];
} {
  const open = new Map<number, { event: OperationEvent; index: number }>();
  const operations: Operation[] = [];
  const nemesis: NemesisEvent[] = [];
  let invocations = 0;
  let lastNs = 0;
  for (const event of events) {
    lastNs = Math.max(lastNs, event.timeNs);
    if (event.type === 'nemesis') {
      nemesis.push(event);
      continue;
    }
    if (event.type === 'invoke') {
      if (open.has(event.process)) {
        throw new Error(`process ${event.process} invoked a second operation before the first completed`);
      }
      open.set(event.process, { event, index: invocations });
      invocations += 1;
      continue;
    }
    const started = open.get(event.process);
    if (!started) throw new Error(`process ${event.process} completed an operation it never invoked`);
    open.delete(event.process);
    operations.push(toOperation(started.event, started.index, event));
  }
  for (const { event, index } of open.values()) {
    operations.push(
      toOperation(event, index, { ...event, type: 'info', error: 'never completed', timeNs: lastNs }),
    );
  }
  operations.sort((a, b) => a.index - b.index);
  return { operations, nemesis };
}

function toOperation(invoke: OperationEvent, index: number, done: OperationEvent): Operation {
  if (done.f !== invoke.f || done.key !== invoke.key) {
    throw new Error(
      `process ${invoke.process} completed ${done.f} ${done.key} but invoked ${invoke.f} ${invoke.key}`,
    );
  }
  const outcome = done.type === 'invoke' ? 'info' : done.type;
  return {
    index,
    process: invoke.process,
    f: invoke.f,
    key: invoke.key,
    value: invoke.f === 'read' || invoke.f === 'delete' ? undefined : invoke.value,
    expectedVersion: invoke.expectedVersion,
    outcome,
    result: {
      value: invoke.f === 'read' ? done.value : undefined,
      version: done.version,
      error: done.error,
    },
    invokeNs: invoke.timeNs,
    completeNs: done.timeNs,
    final: invoke.final === true,
  };
}

/** Refusals that are the store's definite answer (a precondition did not hold), not a sign of unavailability. */
const ANSWERED_REFUSALS = new Set(['PRECONDITION_FAILED', 'NOT_FOUND']);

/**
 * How an operation counts for availability: `answered` when the store gave a definite
 * answer (it took effect, or refused because a precondition did not hold), `unavailable`
 * when it provably did not apply for want of a node, `unknown` for `info`.
 */
export function availabilityOf(op: Operation): 'answered' | 'unavailable' | 'unknown' {
  if (op.outcome === 'ok') return 'answered';
  if (op.outcome === 'info') return 'unknown';
  return ANSWERED_REFUSALS.has(op.result.error ?? '') ? 'answered' : 'unavailable';
}

/**
 * The events of an experiment's history, one JSON object per line of `history.jsonl`.
 *
 * A client operation is an `invoke` followed by exactly one completion from the same
 * process: `ok` (it took effect and we saw its answer), `fail` (it provably did not take
 * effect: a 4xx before apply, a refused connection) or `info` (we cannot know). Fault
 * events (`nemesis`) record when each fault began and ended. Times are monotonic
 * nanoseconds since the experiment began. This module describes the format only; it must
 * never decide what an outcome means for a checker.
 */
import { z } from 'zod';

/** The operations a workload issues against one key. */
export const operationNameSchema = z.enum(['read', 'write', 'cas', 'create', 'delete']);
export type OperationName = z.infer<typeof operationNameSchema>;

/** The state of an operation event: issued, or one of its three possible completions. */
export const operationPhaseSchema = z.enum(['invoke', 'ok', 'fail', 'info']);
export type OperationPhase = z.infer<typeof operationPhaseSchema>;

const timeNsSchema = z.number().nonnegative();

/** One client operation event. */
export const operationEventSchema = z.strictObject({
  type: operationPhaseSchema,
  /** The logical client process; a process replaced after an `info` never issues again. */
  process: z.number().int().nonnegative(),
  f: operationNameSchema,
  key: z.string().min(1),
  /** Written value (invoke of write/cas/create), or the value read (`null` when absent). */
  value: z.string().nullable().optional(),
  /** The version a `cas` requires (`If-Match`). */
  expectedVersion: z.number().int().nonnegative().optional(),
  /** The version the store reported (after a write, or of the value read). */
  version: z.number().int().nonnegative().optional(),
  /** The error code or socket error of a `fail` or `info`. */
  error: z.string().optional(),
  /** Set on the reads made after the faults healed, which the durability checker uses. */
  final: z.boolean().optional(),
  timeNs: timeNsSchema,
});
export type OperationEvent = z.infer<typeof operationEventSchema>;

/** The start or end of a fault. */
export const nemesisEventSchema = z.strictObject({
  type: z.literal('nemesis'),
  phase: z.enum(['start', 'end']),
  /** The fault's kind: `kill`, `pause`, `partition`, `delay`, `drop`, `reset`, `heal`, `restart`. */
  fault: z.string().min(1),
  /** What it hit: a node name or a link such as `router->n1`. */
  target: z.string().optional(),
  /** A readable account, such as `n2 (primary of k-3) killed with SIGKILL`. */
  detail: z.string().optional(),
  timeNs: timeNsSchema,
});
export type NemesisEvent = z.infer<typeof nemesisEventSchema>;

/** Any line of a history. */
export const historyEventSchema = z.union([operationEventSchema, nemesisEventSchema]);
export type HistoryEvent = z.infer<typeof historyEventSchema>;

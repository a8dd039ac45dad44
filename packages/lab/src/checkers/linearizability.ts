/**
 * The linearizability checker: does every key's history have an order that respects real
 * time and the entity store's semantics? Linearizability is compositional, so each key is
 * searched alone (WGL with the register model), which keeps the searches small. A key whose
 * search runs out of budget makes the verdict `unknown`, never `valid`. For each key that is
 * not linearizable it reports the operation that could not be placed, the state the model
 * was in, and the few operations around that point. It must never call a key linearizable
 * without a complete search, nor change the operations it reads.
 */
import type { Operation } from '../history/operations.js';
import type { Anomaly, Checker, CheckerContext, CheckerResult } from './checker.js';
import {
  describeRegisterOp,
  describeRegisterState,
  registerEffectKey,
  registerModelFor,
  toRegisterOp,
  type VersionGrowth,
  type RegisterOp,
  type RegisterState,
} from './register-model.js';
import { checkWgl, type Model, type TimedOperation, type WglResult } from './wgl.js';

/** Options for {@link checkLinearizability}. */
export interface LinearizabilityOptions {
  /** The search budget for each key: configurations memoised before the key is `unknown`. */
  readonly maxStatesPerKey: number;
  /** How versions grow (default `strict`); `messages` when entities also apply messages. */
  readonly versionGrowth?: VersionGrowth;
}

/** The most operations an anomaly carries, so a report stays readable. */
export const MAX_ANOMALY_OPERATIONS = 30;

type Verdict = WglResult<RegisterState, RegisterOp>;
type Timed = TimedOperation<RegisterOp>;

/**
 * Checks every key of a history for linearizability.
 *
 * Figures: `keys` (distinct keys), `keysChecked` (keys with a definite answer), `keysInvalid`
 * (keys not linearizable), `keysUnknown` (keys whose search ran out of budget), `operationsChecked` (operations given to the search,
 * after dropping those that provably changed nothing) and `statesExplored` (over all keys).
 *
 * @example
 * const result = checkLinearizability(operations, { maxStatesPerKey: 100_000 });
 * if (result.valid === false) for (const anomaly of result.anomalies) console.log(anomaly.message);
 */
export function checkLinearizability(
  operations: readonly Operation[],
  options: LinearizabilityOptions,
): CheckerResult {
  const byKey = new Map<string, Operation[]>();
  for (const operation of operations) {
    const list = byKey.get(operation.key);
    if (list) list.push(operation);
    else byKey.set(operation.key, [operation]);
  }
  const keys = [...byKey.keys()].sort();
  const model = registerModelFor(options.versionGrowth ?? 'strict');
  const anomalies: Anomaly[] = [];
  const unknownKeys: string[] = [];
  let operationsChecked = 0;
  let statesExplored = 0;
  for (const key of keys) {
    const timed = toTimed(byKey.get(key)!);
    const verdict = checkWgl(model, timed, {
      maxStates: options.maxStatesPerKey,
      effectKey: registerEffectKey(timed.map((t) => t.op)),
    });
    operationsChecked += timed.length;
    statesExplored += verdict.statesExplored;
    if (verdict.result === 'unknown') unknownKeys.push(key);
    if (verdict.result === 'not-linearizable') anomalies.push(anomalyFor(model, key, timed, verdict));
  }
  const valid = anomalies.length > 0 ? false : unknownKeys.length > 0 ? 'unknown' : true;
  return {
    checker: 'linearizability',
    valid,
    summary: summarize(keys.length, anomalies, unknownKeys, operationsChecked),
    figures: {
      keys: keys.length,
      keysChecked: keys.length - unknownKeys.length,
      keysInvalid: anomalies.length,
      operationsChecked,
      keysUnknown: unknownKeys.length,
      statesExplored,
    },
    anomalies,
  };
}

/**
 * The linearizability {@link Checker}: {@link checkLinearizability} with the search budget
 * from the experiment spec (`linearizability.maxStatesPerKey`).
 *
 * @example
 * const result = new LinearizabilityChecker().check({ spec, operations, faults, workloadNs });
 * console.log(result.valid, result.summary);
 */
export class LinearizabilityChecker implements Checker {
  readonly name = 'linearizability';

  check(context: CheckerContext): CheckerResult {
    return checkLinearizability(context.operations, {
      maxStatesPerKey: context.spec.linearizability.maxStatesPerKey,
      // Campaigns whose writes send profile parts also apply the answers, which raise their versions.
      versionGrowth: context.spec.workload.withProfile ? 'messages' : 'strict',
    });
  }
}

/** The operations that matter to the model, with their intervals; an `info` stays open for ever. */
function toTimed(operations: readonly Operation[]): Timed[] {
  const timed: Timed[] = [];
  for (const operation of operations) {
    const op = toRegisterOp(operation);
    if (op === undefined) continue;
    const ret = operation.outcome === 'info' ? Infinity : operation.completeNs;
    // A clock step backwards must not make an operation return before it was invoked.
    timed.push({ op, call: operation.invokeNs, ret: Math.max(ret, operation.invokeNs) });
  }
  return timed;
}

function anomalyFor(
  model: Model<RegisterState, RegisterOp>,
  key: string,
  timed: readonly Timed[],
  verdict: Verdict & { result: 'not-linearizable' },
): Anomaly {
  const { blocked, candidates, prefix, state } = verdict;
  const impossible = model.step(state, blocked.op) === undefined;
  const others = candidates.filter((c) => c !== blocked).map((c) => describeRegisterOp(c.op));
  const message =
    `Key ${key} is not linearizable: ${describeRegisterOp(blocked.op)} cannot take effect in any order ` +
    `that respects real time. The longest valid order found places ${prefix.length} of ${timed.length} ` +
    `operations and leaves the register ${describeRegisterState(state)}, where that operation ` +
    `${impossible ? 'is impossible' : 'is possible but leads to a dead end'}` +
    (others.length === 0
      ? '; nothing else could have gone first.'
      : `; ${others.length} other operation(s) could have gone first and did not help: ${others.join('; ')}.`);
  return { kind: 'not-linearizable', key, message, operations: failureWindow(timed, verdict) };
}

/**
 * The sub-history around the failure: the blocked operation, the mutation that produced the
 * state it met, and the operations overlapping the interval in which the search got stuck,
 * nearest first when there are too many, returned in invocation order.
 */
function failureWindow(
  timed: readonly Timed[],
  verdict: Verdict & { result: 'not-linearizable' },
): Operation[] {
  const { blocked, candidates, prefix } = verdict;
  const start = Math.min(...candidates.map((c) => c.call));
  const end = Number.isFinite(blocked.ret) ? blocked.ret : Math.max(...candidates.map((c) => c.call));
  const lastMutation = prefix.findLast((p) => p.op.f !== 'read' && p.op.outcome !== 'fail');
  const chosen = new Set<Timed>([blocked]);
  if (lastMutation) chosen.add(lastMutation);
  const overlapping = timed
    .filter((t) => t.call <= end && t.ret >= start && !chosen.has(t))
    .sort((a, b) => Math.abs(a.call - blocked.call) - Math.abs(b.call - blocked.call));
  for (const t of overlapping) {
    if (chosen.size >= MAX_ANOMALY_OPERATIONS) break;
    chosen.add(t);
  }
  return [...chosen].map((t) => t.op.source).sort((a, b) => a.index - b.index);
}

function summarize(
  keys: number,
  anomalies: readonly Anomaly[],
  unknown: readonly string[],
  ops: number,
): string {
  const checked = `${ops} operation(s) on ${keys} key(s)`;
  if (anomalies.length > 0) {
    return `${anomalies.length} of ${keys} key(s) are not linearizable (${listKeys(anomalies.map((a) => a.key!))}); ${checked} checked.`;
  }
  if (unknown.length > 0) {
    return `No key failed, but the search ran out of budget on ${unknown.length} key(s) (${listKeys(unknown)}); ${checked} checked.`;
  }
  return `Every key is linearizable: ${checked} checked.`;
}

function listKeys(keys: readonly string[]): string {
  const shown = keys.slice(0, 5).join(', ');
  return keys.length > 5 ? `${shown} and ${keys.length - 5} more` : shown;
}

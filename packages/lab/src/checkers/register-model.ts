/**
 * The sequential model of one entity as our HTTP entity store serves it: a value that may be
 * absent, and a version that grows by one with every applied mutation, deletes included (a
 * tombstone keeps its version, so a create after a delete continues the count). It also
 * decides what each recorded operation tells the checker: an `ok` is certain, a `fail` with a
 * precondition error (412, 404) proves the precondition did not hold, any other `fail`
 * provably changed nothing and is dropped, and an `info` mutation may have applied at any time
 * after its call. When the entity also receives messages (activities), each one it applies
 * raises its version too; the `messages` variant allows for that. This module is the store's
 * semantics only; it must never look at time or at other keys.
 */
import type { OperationName } from '@isx/core';
import type { Operation } from '../history/operations.js';
import type { Model } from './wgl.js';

/** The entity as the store holds it. `value` is `null` while the entity is absent. */
export interface RegisterState {
  readonly value: string | null;
  readonly version: number;
}

/** One operation as the model reads it. */
export interface RegisterOp {
  readonly f: OperationName;
  /** `ok`: happened as reported; `fail`: its precondition did not hold; `info`: may have happened. */
  readonly outcome: 'ok' | 'fail' | 'info';
  /** The value written (write, cas, create) or read (`null` when absent). */
  readonly value: string | null;
  readonly expectedVersion?: number | undefined;
  /** The version the store reported, when it reported one. */
  readonly version?: number | undefined;
  /** The recorded operation this came from. */
  readonly source: Operation;
}

/** The errors with which a `fail` proves a precondition did not hold, per operation. */
const PRECONDITION_ERRORS: Partial<Record<OperationName, readonly string[]>> = {
  cas: ['PRECONDITION_FAILED', 'NOT_FOUND'],
  create: ['PRECONDITION_FAILED'],
  delete: ['NOT_FOUND'],
};

/**
 * What a recorded operation means to the model, or `undefined` when it cannot have changed
 * the register and reported nothing about it: a `fail` for any reason other than a failed
 * precondition (the request never applied), and any `fail` or `info` read.
 *
 * @throws Error for a mutation recorded without its value, or a cas without its expected
 * version: the history is malformed, and guessing would hide that.
 */
export function toRegisterOp(operation: Operation): RegisterOp | undefined {
  const { f, outcome, result } = operation;
  if (f === 'read') {
    // A read reports absence as null; a missing value is taken the same way.
    return outcome === 'ok'
      ? { f, outcome, value: result.value ?? null, version: result.version, source: operation }
      : undefined;
  }
  if (outcome === 'fail' && !(PRECONDITION_ERRORS[f] ?? []).includes(result.error ?? '')) return undefined;
  let value: string | null = null;
  if (f !== 'delete') {
    if (typeof operation.value !== 'string') {
      throw new Error(`operation ${operation.index} (${f} ${operation.key}) was recorded without its value`);
    }
    value = operation.value;
  }
  if (f === 'cas' && operation.expectedVersion === undefined) {
    throw new Error(
      `operation ${operation.index} (cas ${operation.key}) was recorded without its expected version`,
    );
  }
  return {
    f,
    outcome,
    value,
    expectedVersion: operation.expectedVersion,
    // Only an ok mutation's version says what happened; a fail's or info's is not checked.
    version: outcome === 'ok' ? result.version : undefined,
    source: operation,
  };
}

/**
 * How versions grow. `strict`: by one with every mutation of the workload, and never
 * otherwise. `messages`: also by any amount, at any time, while the entity exists, because
 * messages it receives (activities) change its record too; versions are then lower bounds,
 * so a `cas` may succeed on any version not yet passed and a refused one proves nothing.
 */
export type VersionGrowth = 'strict' | 'messages';

/**
 * The state a mutation leads to when its precondition holds in `state`, else `undefined`.
 * A read has no precondition and changes nothing.
 */
function applied(state: RegisterState, op: RegisterOp, growth: VersionGrowth): RegisterState | undefined {
  const exists = state.value !== null;
  const next = state.version + 1;
  switch (op.f) {
    case 'read':
      return state;
    case 'write':
      return { value: op.value, version: next };
    case 'cas': {
      const expected = op.expectedVersion ?? -1;
      const holds = growth === 'strict' ? state.version === expected : state.version <= expected;
      return exists && holds ? { value: op.value, version: Math.max(next, expected + 1) } : undefined;
    }
    case 'create':
      return exists ? undefined : { value: op.value, version: next };
    case 'delete':
      return exists ? { value: null, version: next } : undefined;
  }
}

/** Whether a version reported as `reported` fits a state whose version is `version`. */
function versionFits(
  growth: VersionGrowth,
  version: number,
  reported: number | undefined,
  exists: boolean,
): boolean {
  if (reported === undefined) return true;
  return growth === 'messages' && exists ? reported >= version : reported === version;
}

function stepWith(growth: VersionGrowth) {
  return (state: RegisterState, op: RegisterOp): RegisterState | undefined => {
    if (op.outcome === 'info') {
      // An info mutation applies only where its precondition holds; elsewhere it changes nothing,
      // just like one that never reached the store.
      return applied(state, op, growth) ?? state;
    }
    if (op.outcome === 'fail') {
      // With versions growing on their own, a refused cas on an existing entity fits any state.
      if (growth === 'messages' && op.f === 'cas' && state.value !== null) return state;
      return applied(state, op, growth) === undefined ? state : undefined;
    }
    if (op.f === 'read') {
      const legal =
        op.value === state.value && versionFits(growth, state.version, op.version, state.value !== null);
      return legal ? { ...state, version: op.version ?? state.version } : undefined;
    }
    const next = applied(state, op, growth);
    if (next === undefined || !versionFits(growth, next.version, op.version, true)) return undefined;
    return { ...next, version: op.version ?? next.version };
  };
}

/** The register's initial state: absent, version 0. */
export const INITIAL_REGISTER: RegisterState = { value: null, version: 0 };

/**
 * The entity register as a {@link Model} for the linearizability search, with versions that
 * grow as `growth` says. Reads and refusals never change the value, and versions never go
 * down, which gives the search its two hints.
 */
export function registerModelFor(growth: VersionGrowth): Model<RegisterState, RegisterOp> {
  return {
    initial: INITIAL_REGISTER,
    step: stepWith(growth),
    // The version digits end where `=` starts, so absent and the empty string stay distinct.
    key: (state) => (state.value === null ? `${state.version}` : `${state.version}=${state.value}`),
    // A read that reports a higher version moves a `messages` register's version up.
    readOnly: (op) =>
      op.outcome === 'fail' || (op.outcome === 'ok' && op.f === 'read' && growth === 'strict'),
    ruledOut: (state, op) => {
      if (op.outcome !== 'ok' || op.version === undefined) return false;
      // A read needs its version now; a mutation needs the one before it.
      return op.f === 'read' ? state.version > op.version : state.version >= op.version;
    },
  };
}

/** The register whose versions grow by one with each mutation of the workload, and only then. */
export const registerModel: Model<RegisterState, RegisterOp> = registerModelFor('strict');

/**
 * The search's `effectKey` for the operations of one key: two info mutations with equal keys
 * affect every observation in `ops` alike. A value matters only to the reads that return it,
 * so a value that no read returned is replaced by a placeholder.
 */
export function registerEffectKey(ops: readonly RegisterOp[]): (op: RegisterOp) => string | undefined {
  const observed = new Set(ops.filter((o) => o.f === 'read').map((o) => o.value));
  return (op) => {
    if (op.outcome !== 'info') return undefined;
    const value = op.value !== null && observed.has(op.value) ? op.value : 0;
    return JSON.stringify([op.f, op.expectedVersion ?? null, value]);
  };
}

/** A state for people: `"b" at version 3`, or `absent at version 4`. */
export function describeRegisterState(state: RegisterState): string {
  const what = state.value === null ? 'absent' : JSON.stringify(state.value);
  return `${what} at version ${state.version}`;
}

/** An operation for people: `process 3 cas "x" if version 2 → fail PRECONDITION_FAILED (op 17)`. */
export function describeRegisterOp(op: RegisterOp): string {
  const { source } = op;
  const parts = [`process ${source.process}`, op.f];
  if (op.f === 'read') {
    parts.push('→', op.value === null ? 'absent' : JSON.stringify(op.value));
    if (op.version !== undefined) parts.push(`version ${op.version}`);
  } else {
    if (op.value !== null) parts.push(JSON.stringify(op.value));
    if (op.expectedVersion !== undefined) parts.push(`if version ${op.expectedVersion}`);
    parts.push('→', op.outcome);
    if (op.version !== undefined) parts.push(`version ${op.version}`);
    if (op.outcome !== 'ok' && source.result.error !== undefined) parts.push(source.result.error);
  }
  return `${parts.join(' ')} (op ${source.index})`;
}

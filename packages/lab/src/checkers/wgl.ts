/**
 * A generic linearizability search: given a sequential model and a set of timed operations,
 * decide whether some order of the operations respects both real time and the model. It is
 * the Wing & Gong backtracking search with Lowe's memoisation (the "WGL" algorithm of Knossos
 * and Porcupine): call and return entries sit in a doubly linked list, an operation is
 * linearized by lifting its two entries out of the list, and a cache of (set of linearized
 * operations, model state) prunes every configuration already explored. The search is bounded
 * by a budget of explored states, so a hard history yields `unknown` rather than a hang. This
 * module knows nothing of keys, registers or histories on disk, and it must never prune a
 * branch it has not proved hopeless, nor answer without having searched far enough to be sure.
 */
import { END, EntryList } from '../internal/entry-list.js';
import { OperationSet } from '../internal/operation-set.js';

/**
 * A sequential specification: the states an object can be in and how each operation moves it.
 * The two optional hints let the search prune; each must be exact, or answers will be wrong.
 */
export interface Model<S, Op> {
  /** The state before any operation. */
  readonly initial: S;
  /** The state after `op`, or `undefined` when `op` cannot happen in `state`. Must not mutate `state`. */
  step(state: S, op: Op): S | undefined;
  /** A string that is equal for two states exactly when the states are equal (the memo key). */
  key(state: S): string;
  /**
   * True when `op` leaves the state unchanged wherever it is legal (a read). The search takes
   * such an operation as soon as it is legal and never tries the alternatives: in any valid
   * order it can be moved to that point without changing what the others see.
   */
  readOnly?(op: Op): boolean;
  /**
   * True when `op` is illegal in `state` and in every state reachable from it (for example,
   * it reports a version lower than the state's, and versions only grow). The search then
   * abandons a configuration as soon as that operation is the next that must be placed.
   */
  ruledOut?(state: S, op: Op): boolean;
}

/** One operation with its real-time interval. */
export interface TimedOperation<Op> {
  readonly op: Op;
  /** When it was invoked. */
  readonly call: number;
  /**
   * When it returned. `Infinity` marks a pending operation: as Herlihy and Wing define it, it
   * may take effect at any time after its call, or never, and is then left out of the order.
   */
  readonly ret: number;
}

/** Options for {@link checkWgl}. */
export interface WglOptions<Op> {
  /** The most configurations the search may memoise before it gives up with `unknown`. */
  readonly maxStates?: number;
  /**
   * A key for pending operations such that two with the same key affect every later
   * observation alike (two writes whose values nobody reads). Of the pending candidates that
   * share a key, the search tries only the one called last: keeping an earlier-called twin in
   * reserve leaves at least as many options. Must be exact, or answers will be wrong.
   */
  readonly effectKey?: (op: Op) => string | undefined;
}

/** The answer of {@link checkWgl}. `statesExplored` counts memoised configurations. */
export type WglResult<S, Op> =
  | {
      readonly result: 'linearizable';
      readonly statesExplored: number;
      /** One valid order: every operation that returned, and the pending ones that took effect. */
      readonly linearization: readonly TimedOperation<Op>[];
    }
  | {
      readonly result: 'not-linearizable';
      readonly statesExplored: number;
      /** The longest order of operations the search managed to linearize. */
      readonly prefix: readonly TimedOperation<Op>[];
      /** The model's state after `prefix`. */
      readonly state: S;
      /** After `prefix`, the operation whose return came first, so had to be placed next, and could not be. */
      readonly blocked: TimedOperation<Op>;
      /** Every operation that could have gone next after `prefix` (`blocked` among them); none led anywhere. */
      readonly candidates: readonly TimedOperation<Op>[];
    }
  | { readonly result: 'unknown'; readonly statesExplored: number };

/** The budget when none is given; the experiment spec's default per key. */
export const DEFAULT_MAX_STATES = 2_000_000;

/**
 * Searches for a linearization of `operations` under `model`.
 *
 * Entries are ordered by time; at equal times a return sorts before a call, so an operation
 * that returned at the instant another was invoked precedes it. (The one exception is an
 * operation of zero duration: its return sorts after the calls of that instant, since it
 * cannot precede its own call.) At each step the search tries read-only operations first,
 * then those that returned, then pending ones, which nothing ever forces to go next.
 *
 * @example
 * const verdict = checkWgl(registerModel, [{ op, call: 0, ret: 10 }], { maxStates: 10_000 });
 * if (verdict.result === 'not-linearizable') console.log(verdict.blocked);
 */
export function checkWgl<S, Op>(
  model: Model<S, Op>,
  operations: readonly TimedOperation<Op>[],
  options: WglOptions<Op> = {},
): WglResult<S, Op> {
  const maxStates = options.maxStates ?? DEFAULT_MAX_STATES;
  if (!(maxStates >= 0)) throw new RangeError(`maxStates must be a non-negative number, got ${maxStates}`);
  operations.forEach(({ call, ret }, index) => {
    if (!Number.isFinite(call) || Number.isNaN(ret) || ret < call) {
      throw new RangeError(`operation ${index} has an impossible interval [${call}, ${ret}]`);
    }
  });
  // Numbered by call (those that returned first), operations are linearized roughly in number order.
  const byCall = [...operations].sort(
    (a, b) => Number(a.ret === Infinity) - Number(b.ret === Infinity) || a.call - b.call,
  );
  return new Search(model, byCall, maxStates, laterTwins(byCall, options.effectKey)).run();
}

/** For each pending operation (numbered by call), the next pending one with the same effect key, or -1. */
function laterTwins<Op>(
  byCall: readonly TimedOperation<Op>[],
  effectKey: WglOptions<Op>['effectKey'],
): Int32Array {
  const twins = new Int32Array(byCall.length).fill(-1);
  const last = new Map<string, number>();
  byCall.forEach(({ op, ret }, index) => {
    const key = ret === Infinity ? effectKey?.(op) : undefined;
    if (key === undefined) return;
    const earlier = last.get(key);
    if (earlier !== undefined) twins[earlier] = index;
    last.set(key, index);
  });
  return twins;
}

const READ_ONLY = 0;
const RETURNED = 1;
const PENDING = 2;

/**
 * One run of the backtracking search; holds the mutable configuration. At each configuration
 * the candidates are the calls before the first return entry still in the list. They are
 * tried in three phases (read-only, returned, pending); reaching that first return entry in
 * the last phase means every candidate failed, so the search backtracks.
 */
class Search<S, Op> {
  readonly #model: Model<S, Op>;
  readonly #operations: readonly TimedOperation<Op>[];
  readonly #list: EntryList;
  readonly #maxStates: number;
  readonly #phaseOf: Uint8Array;
  readonly #linearized: OperationSet;
  readonly #seen = new Set<string>();
  /** The linearized operations in order, the state before each, and whether it was taken without choice. */
  readonly #stack: number[] = [];
  readonly #before: S[] = [];
  readonly #forced: boolean[] = [];
  readonly #laterTwin: Int32Array;
  #state: S;
  #pos: number;
  #phase = READ_ONLY;
  /** In the pending phase, the position of the first return entry still in the list. */
  #firstReturn = END;
  /** The deepest configuration left so far; copied only when the search backs out of a new deepest one. */
  #deepest: { ops: number[]; state: S };

  constructor(
    model: Model<S, Op>,
    operations: readonly TimedOperation<Op>[],
    max: number,
    laterTwin: Int32Array,
  ) {
    const list = new EntryList(operations);
    this.#model = model;
    this.#laterTwin = laterTwin;
    this.#operations = operations;
    this.#list = list;
    this.#maxStates = max;
    this.#phaseOf = Uint8Array.from(operations, ({ op, ret }) =>
      ret === Infinity ? PENDING : model.readOnly?.(op) ? READ_ONLY : RETURNED,
    );
    const firstPending = operations.findIndex((o) => o.ret === Infinity);
    this.#linearized = new OperationSet(
      operations.length,
      firstPending < 0 ? operations.length : firstPending,
    );
    this.#state = model.initial;
    this.#pos = list.next[list.head]!;
    this.#deepest = { ops: [], state: model.initial };
  }

  run(): WglResult<S, Op> {
    const list = this.#list;
    for (;;) {
      const pos = this.#pos;
      if (pos === END || list.isCall[pos] === 0) {
        const verdict = this.#atFirstReturn(pos);
        if (verdict) return verdict;
      } else if (this.#phaseOf[list.opAt[pos]!] !== this.#phase) {
        this.#pos = list.next[pos]!;
      } else {
        const verdict = this.#tryCandidate(list.opAt[pos]!);
        if (verdict) return verdict;
      }
    }
  }

  /**
   * The scan reached the first return entry still in the list. If it is a pending operation's,
   * every operation that returned has been placed. Otherwise its operation must go before
   * anything later, so when the model rules it out the configuration is dead at once.
   */
  #atFirstReturn(pos: number): WglResult<S, Op> | undefined {
    const op = pos === END ? undefined : this.#list.opAt[pos]!;
    if (op === undefined || this.#phaseOf[op] === PENDING) {
      const linearization = this.#stack.map((done) => this.#operations[done]!);
      return { result: 'linearizable', statesExplored: this.#seen.size, linearization };
    }
    const ruledOut =
      this.#phase === READ_ONLY && this.#model.ruledOut?.(this.#state, this.#operations[op]!.op);
    if (this.#phase < PENDING && !ruledOut) {
      this.#phase += 1;
      this.#firstReturn = pos;
      this.#pos = this.#list.next[this.#list.head]!;
      return undefined;
    }
    return this.#backtrack() ? undefined : this.#failure();
  }

  /** Tries to linearize `op` next; returns a verdict only when the search is over. */
  #tryCandidate(op: number): WglResult<S, Op> | undefined {
    const list = this.#list;
    const state = this.#state;
    if (this.#phase === PENDING && this.#hasOpenTwin(op)) {
      this.#pos = list.next[this.#pos]!;
      return undefined;
    }
    const after = this.#model.step(state, this.#operations[op]!.op);
    // A pending operation that changes nothing here is better left out: that keeps every option open.
    const pointless =
      this.#phase === PENDING && after !== undefined && this.#model.key(after) === this.#model.key(state);
    if (after === undefined || pointless) {
      this.#pos = list.next[this.#pos]!;
      return undefined;
    }
    if (!this.#remember(op, after)) {
      // A read-only operation that is legal here goes first in some completion if any exists;
      // this configuration plus it was explored and failed, so this configuration fails too.
      if (this.#phase !== READ_ONLY) this.#pos = list.next[this.#pos]!;
      else if (!this.#backtrack()) return this.#failure();
      return undefined;
    }
    if (this.#seen.size > this.#maxStates) return { result: 'unknown', statesExplored: this.#maxStates };
    this.#stack.push(op);
    this.#before.push(state);
    this.#forced.push(this.#phase === READ_ONLY);
    this.#state = after;
    list.lift(op);
    this.#pos = list.next[list.head]!;
    this.#phase = READ_ONLY;
    return undefined;
  }

  /**
   * Undoes the last choice and moves the scan past it; an operation taken without choice is
   * undone together with the one before it. False when there is nothing left to undo.
   */
  #backtrack(): boolean {
    const list = this.#list;
    if (this.#stack.length > this.#deepest.ops.length) {
      this.#deepest = { ops: [...this.#stack], state: this.#state };
    }
    for (;;) {
      const op = this.#stack.pop();
      if (op === undefined) return false;
      this.#state = this.#before.pop()!;
      this.#linearized.delete(op);
      list.unlift(op);
      if (this.#forced.pop()) continue;
      this.#pos = list.next[list.callPos[op]!]!;
      this.#phase = this.#phaseOf[op]!;
      if (this.#phase === PENDING) {
        let first = list.next[list.head]!;
        while (first !== END && list.isCall[first] === 1) first = list.next[first]!;
        this.#firstReturn = first;
      }
      return true;
    }
  }

  /** Whether a twin of pending `op` called later is still a candidate, and so is the one to try. */
  #hasOpenTwin(op: number): boolean {
    const list = this.#list;
    for (let twin = this.#laterTwin[op]!; twin >= 0; twin = this.#laterTwin[twin]!) {
      if (list.callPos[twin]! > this.#firstReturn) return false;
      if (!this.#linearized.has(twin)) return true;
    }
    return false;
  }

  /** Adds `op` to the linearized set if (set + op, state) is new; otherwise leaves the set as it was. */
  #remember(op: number, state: S): boolean {
    this.#linearized.add(op);
    const key = this.#linearized.key() + this.#model.key(state);
    if (this.#seen.has(key)) {
      this.#linearized.delete(op);
      return false;
    }
    this.#seen.add(key);
    return true;
  }

  /** Explains the failure from the deepest configuration reached. */
  #failure(): WglResult<S, Op> {
    const list = this.#list;
    const done = new Set(this.#deepest.ops);
    const candidates: number[] = [];
    let blocked = -1;
    for (let pos = 0; pos < list.opAt.length && blocked < 0; pos += 1) {
      const op = list.opAt[pos]!;
      if (done.has(op)) continue;
      if (list.isCall[pos] === 1) candidates.push(op);
      else blocked = op;
    }
    const ops = this.#operations;
    return {
      result: 'not-linearizable',
      statesExplored: this.#seen.size,
      prefix: this.#deepest.ops.map((op) => ops[op]!),
      state: this.#deepest.state,
      blocked: ops[blocked]!,
      candidates: candidates.map((op) => ops[op]!),
    };
  }
}

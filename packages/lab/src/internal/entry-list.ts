/**
 * The entry list of the linearizability search: each operation's call and return entries in
 * time order, as a doubly linked list that entries are lifted out of and put back into. It
 * only keeps order; it must never decide which operation may go next.
 */
import type { TimedOperation } from '../checkers/wgl.js';

/** The end of the list. */
export const END = -1;

/**
 * The call and return entries of every operation, sorted, in a doubly linked list that
 * operations are lifted from and put back into (dancing links: a lifted entry keeps its own
 * pointers, so putting entries back in reverse order of lifting restores the list exactly).
 */
export class EntryList {
  /** The sentinel before the first entry. */
  readonly head: number;
  readonly next: Int32Array;
  readonly prev: Int32Array;
  /** For each position in sorted order: the operation, and whether it is its call. */
  readonly opAt: Int32Array;
  readonly isCall: Uint8Array;
  readonly callPos: Int32Array;
  readonly retPos: Int32Array;

  constructor(operations: readonly TimedOperation<unknown>[]) {
    const n = operations.length;
    const entries: { op: number; call: boolean; time: number; rank: number }[] = [];
    operations.forEach(({ call, ret }, op) => {
      entries.push({ op, call: true, time: call, rank: 1 });
      // Rank 0 puts a return before the calls of its instant (touching operations are ordered);
      // a zero-length operation's return must still follow its own call, so it goes last.
      entries.push({ op, call: false, time: ret, rank: ret === call ? 2 : 0 });
    });
    entries.sort((a, b) => a.time - b.time || a.rank - b.rank || a.op - b.op);
    this.head = 2 * n;
    this.next = new Int32Array(2 * n + 1);
    this.prev = new Int32Array(2 * n + 1);
    this.opAt = new Int32Array(2 * n);
    this.isCall = new Uint8Array(2 * n);
    this.callPos = new Int32Array(n);
    this.retPos = new Int32Array(n);
    entries.forEach((entry, pos) => {
      this.opAt[pos] = entry.op;
      this.isCall[pos] = entry.call ? 1 : 0;
      (entry.call ? this.callPos : this.retPos)[entry.op] = pos;
      this.next[pos] = pos + 1 < 2 * n ? pos + 1 : END;
      this.prev[pos] = pos === 0 ? this.head : pos - 1;
    });
    this.next[this.head] = n === 0 ? END : 0;
    this.prev[this.head] = END;
  }

  /** Removes an operation's call and return entries. */
  lift(op: number): void {
    this.#remove(this.callPos[op]!);
    this.#remove(this.retPos[op]!);
  }

  /** Restores what the matching {@link lift} removed; must be called in reverse order of lifting. */
  unlift(op: number): void {
    this.#restore(this.retPos[op]!);
    this.#restore(this.callPos[op]!);
  }

  #remove(pos: number): void {
    const before = this.prev[pos]!;
    const after = this.next[pos]!;
    this.next[before] = after;
    if (after !== END) this.prev[after] = before;
  }

  #restore(pos: number): void {
    const before = this.prev[pos]!;
    const after = this.next[pos]!;
    this.next[before] = pos;
    if (after !== END) this.prev[after] = pos;
  }
}

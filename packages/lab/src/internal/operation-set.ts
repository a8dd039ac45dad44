/**
 * A set of operation indices as a bitset with a compact, canonical string key, for the
 * memo cache of the linearizability search. It must never give two different sets one key.
 */

/**
 * The set of linearized operations as a bitset, with a compact canonical key. Operations that
 * returned are linearized roughly in order of call and pending ones rarely, so the two kinds
 * get regions of their own, and each region's key leaves out its run of leading full (or
 * empty) words: a memo entry then costs a few characters, not a bit per operation.
 */
export class OperationSet {
  readonly #words: Uint32Array;
  /** Where pending operations start, as an operation number and as a word. */
  readonly #firstPending: number;
  readonly #pendingWord: number;

  constructor(size: number, firstPending: number) {
    this.#firstPending = firstPending;
    this.#pendingWord = Math.ceil(firstPending / 32);
    this.#words = new Uint32Array(this.#pendingWord + Math.ceil((size - firstPending) / 32));
  }

  add(op: number): void {
    const bit = this.#bit(op);
    this.#words[bit >>> 5]! |= 1 << (bit & 31);
  }

  delete(op: number): void {
    const bit = this.#bit(op);
    this.#words[bit >>> 5]! &= ~(1 << (bit & 31));
  }

  has(op: number): boolean {
    const bit = this.#bit(op);
    return (this.#words[bit >>> 5]! & (1 << (bit & 31))) !== 0;
  }

  key(): string {
    return (
      this.#region(0, this.#pendingWord, 0xffffffff) + this.#region(this.#pendingWord, this.#words.length, 0)
    );
  }

  #bit(op: number): number {
    return op < this.#firstPending ? op : this.#pendingWord * 32 + op - this.#firstPending;
  }

  /** Words `from` to `to`, without leading words equal to `fill` or trailing empty ones. */
  #region(from: number, to: number, fill: number): string {
    const words = this.#words;
    let first = from;
    while (first < to && words[first] === fill) first += 1;
    let last = to - 1;
    while (last >= first && words[last] === 0) last -= 1;
    // The word count makes the key self-delimiting, so another key may follow it safely.
    let key = `${first - from}.${last - first + 1}:`;
    for (let i = first; i <= last; i += 1) {
      const word = words[i]!;
      key += String.fromCharCode(word & 0xffff, word >>> 16);
    }
    return key;
  }
}

import { expect } from 'chai';
import fc from 'fast-check';
import { checkWgl, type Model, type TimedOperation } from '../src/checkers/wgl.js';

/** A tiny object for testing the search alone: an integer that can be set, incremented and read. */
type CellOp = { readonly kind: 'set' | 'read'; readonly value: number } | { readonly kind: 'inc' };
type Timed = TimedOperation<CellOp>;

/** The object without hints: the search must find everything out by stepping. */
const cell: Model<number, CellOp> = {
  initial: 0,
  step: (state, op) => {
    if (op.kind === 'set') return op.value;
    if (op.kind === 'inc') return state + 1;
    return op.value === state ? state : undefined;
  },
  key: (state) => String(state),
};

/** The same object, telling the search that reads change nothing. */
const hintedCell: Model<number, CellOp> = { ...cell, readOnly: (op) => op.kind === 'read' };

/** A counter (no `set`), which only grows, so a read of a smaller number is ruled out for good. */
const counter: Model<number, CellOp> = {
  ...hintedCell,
  ruledOut: (state, op) => op.kind === 'read' && state > op.value,
};

/** Every increment has the same effect as every other. */
const increments = (op: CellOp) => (op.kind === 'inc' ? 'inc' : undefined);

const set = (value: number, call: number, ret: number): Timed => ({ op: { kind: 'set', value }, call, ret });
const read = (value: number, call: number, ret: number): Timed => ({
  op: { kind: 'read', value },
  call,
  ret,
});
const inc = (call: number, ret: number): Timed => ({ op: { kind: 'inc' }, call, ret });

/** `count` increments all concurrent with each other, then a read that no order can satisfy. */
function hopelessIncrements(count: number): Timed[] {
  return [...Array.from({ length: count }, () => inc(0, 100)), read(count + 1, 200, 210)];
}

/** Whether `a` must precede `b`: its return sorts before b's call (a zero-length op's return sorts after calls). */
function precedes(a: Timed, b: Timed): boolean {
  return a.ret < b.call || (a.ret === b.call && a.call < a.ret);
}

/**
 * An independent, exhaustive answer: is there an order of every operation that returned, and
 * of any pending ones, that respects `precedes` and that the model accepts?
 */
function bruteForce(model: Model<number, CellOp>, ops: readonly Timed[]): boolean {
  const place = (left: readonly Timed[], state: number): boolean =>
    left.every((o) => o.ret === Infinity) ||
    left.some((candidate) => {
      if (left.some((other) => other !== candidate && precedes(other, candidate))) return false;
      const next = model.step(state, candidate.op);
      return (
        next !== undefined &&
        place(
          left.filter((o) => o !== candidate),
          next,
        )
      );
    });
  return place(ops, model.initial);
}

/** Whether an order holds every returned operation once, respects real time and is accepted by the model. */
function isValidOrder(model: Model<number, CellOp>, ops: readonly Timed[], order: readonly Timed[]): boolean {
  const returned = ops.filter((o) => o.ret !== Infinity);
  if (new Set(order).size !== order.length || !returned.every((o) => order.includes(o))) return false;
  if (!order.every((o) => ops.includes(o))) return false;
  let state: number | undefined = model.initial;
  for (const [i, op] of order.entries()) {
    if (order.slice(i + 1).some((later) => precedes(later, op))) return false;
    state = model.step(state, op.op);
    if (state === undefined) return false;
  }
  return true;
}

/** Small random histories; `kinds` picks the operations the model understands. */
function smallHistories(kinds: readonly ('set' | 'read' | 'inc')[]) {
  const operation = fc
    .record({
      kind: fc.constantFrom(...kinds),
      value: fc.integer({ min: 0, max: 2 }),
      call: fc.integer({ min: 0, max: 12 }),
      length: fc.integer({ min: 0, max: 6 }),
      pending: fc.integer({ min: 0, max: 7 }),
    })
    .map(({ kind, value, call, length, pending }): Timed => {
      const ret = pending === 0 ? Infinity : call + length;
      return kind === 'inc' ? inc(call, ret) : { op: { kind, value }, call, ret };
    });
  return fc.array(operation, { maxLength: 7 });
}

describe('the WGL linearizability search', function () {
  it('finds the empty history linearizable', function () {
    expect(checkWgl(cell, [])).to.deep.equal({
      result: 'linearizable',
      statesExplored: 0,
      linearization: [],
    });
  });

  it('accepts a correct sequential history and returns its one order', function () {
    const ops = [set(1, 0, 10), read(1, 20, 30), inc(40, 50), read(2, 60, 70)];
    const verdict = checkWgl(cell, ops);
    expect(verdict.result).to.equal('linearizable');
    if (verdict.result === 'linearizable') expect(verdict.linearization).to.deep.equal(ops);
  });

  it('orders an operation that returned at the very instant another was invoked', function () {
    expect(checkWgl(cell, [set(1, 0, 10), read(0, 10, 20)]).result).to.equal('not-linearizable');
    expect(checkWgl(cell, [set(1, 0, 10), read(0, 9, 20)]).result).to.equal('linearizable');
  });

  it('treats operations of zero length at the same instant as concurrent, but after one that returned then', function () {
    expect(checkWgl(cell, [set(1, 5, 5), read(0, 5, 5)]).result).to.equal('linearizable');
    expect(checkWgl(cell, [set(1, 0, 5), read(0, 5, 5)]).result).to.equal('not-linearizable');
  });

  it('lets a pending operation take effect at any time after its call, or never', function () {
    expect(checkWgl(cell, [set(1, 0, Infinity), read(0, 10, 20), read(1, 30, 40)]).result).to.equal(
      'linearizable',
    );
    expect(checkWgl(cell, [set(1, 0, Infinity), read(0, 10, 20)]).result).to.equal('linearizable');
    expect(checkWgl(cell, [read(7, 0, Infinity)]).result).to.equal('linearizable');
    expect(checkWgl(cell, [set(1, 0, Infinity), read(1, 10, 20), read(0, 30, 40)]).result).to.equal(
      'not-linearizable',
    );
    expect(checkWgl(cell, [set(1, 50, Infinity), read(1, 10, 20)]).result).to.equal('not-linearizable');
  });

  it('leaves pending operations untried until an operation that returned needs them', function () {
    const pending = Array.from({ length: 20 }, (_, i) => set(100 + i, i, Infinity));
    const reads = Array.from({ length: 50 }, (_, i) => read(0, 100 + 10 * i, 105 + 10 * i));
    const verdict = checkWgl(cell, [...pending, ...reads, read(119, 700, 710)]);
    expect(verdict.result).to.equal('linearizable');
    // One state per read, then one per pending set tried in turn; trying them first would cost 2^20.
    expect(verdict.statesExplored).to.be.at.most(50 + 20 + 1);
  });

  it('reports the longest order it found, the operation that could not go next and the other candidates', function () {
    const ops = [set(1, 0, 10), set(2, 20, 30), inc(35, 60), read(1, 40, 50)];
    const verdict = checkWgl(cell, ops);
    expect(verdict.result).to.equal('not-linearizable');
    if (verdict.result !== 'not-linearizable') return;
    expect(verdict.prefix).to.deep.equal([ops[0], ops[1], ops[2]]);
    expect(verdict.state).to.equal(3);
    expect(verdict.blocked).to.equal(ops[3]);
    expect(verdict.candidates).to.deep.equal([ops[3]]);
  });

  it('memoises configurations, so commuting operations cost one state per subset rather than per order', function () {
    const verdict = checkWgl(cell, hopelessIncrements(12));
    expect(verdict.result).to.equal('not-linearizable');
    // 12! orders without the cache; 2^12 - 1 non-empty subsets with it.
    expect(verdict.statesExplored).to.equal(2 ** 12 - 1);
  });

  it('takes a legal read-only operation at once, so concurrent reads cost one state each', function () {
    const ops = [set(1, 0, 1), ...Array.from({ length: 30 }, () => read(1, 2, 20)), read(7, 10, 11)];
    const hinted = checkWgl(hintedCell, ops);
    expect(hinted.result).to.equal('not-linearizable');
    expect(hinted.statesExplored).to.be.at.most(32);
    if (hinted.result === 'not-linearizable') expect(hinted.blocked).to.equal(ops[31]);
    // Without the hint every subset of the thirty reads is a configuration of its own.
    expect(checkWgl(cell, ops, { maxStates: 10_000 }).result).to.equal('unknown');
  });

  it('abandons a configuration as soon as the operation that must go next is ruled out', function () {
    const ops = [...Array.from({ length: 16 }, () => inc(0, Infinity)), read(1, 10, 11), read(0, 20, 21)];
    const verdict = checkWgl(counter, ops);
    expect(verdict.result).to.equal('not-linearizable');
    expect(verdict.statesExplored).to.be.at.most(40);
    expect(checkWgl({ ...counter, ruledOut: undefined }, ops, { maxStates: 10_000 }).result).to.equal(
      'unknown',
    );
  });

  it('answers unknown when the search needs more states than its budget allows', function () {
    const ops = hopelessIncrements(16);
    expect(checkWgl(cell, ops, { maxStates: 100 })).to.deep.equal({ result: 'unknown', statesExplored: 100 });
    expect(checkWgl(cell, ops, { maxStates: 2 ** 16 }).result).to.equal('not-linearizable');
  });

  it('rejects an operation that returns before it was invoked', function () {
    expect(() => checkWgl(cell, [set(1, 10, 5)])).to.throw(RangeError, /impossible interval/);
    expect(() => checkWgl(cell, [set(1, NaN, 5)])).to.throw(RangeError);
  });

  it('tries only the last-called of pending operations whose effects nobody can tell apart', function () {
    const ops = [...Array.from({ length: 16 }, () => inc(0, Infinity)), read(3, 10, 11), read(2, 20, 21)];
    const verdict = checkWgl(counter, ops, { effectKey: increments });
    expect(verdict.result).to.equal('not-linearizable');
    expect(verdict.statesExplored).to.be.at.most(10);
    expect(checkWgl(counter, ops).statesExplored).to.be.greaterThan(500);
  });

  /** Pending sets whose value no read returns are interchangeable. */
  const unreadSets = (ops: readonly Timed[]) => {
    const read = new Set(ops.flatMap(({ op }) => (op.kind === 'read' ? [op.value] : [])));
    return (op: CellOp) => (op.kind === 'set' ? (read.has(op.value) ? `set ${op.value}` : 'set') : undefined);
  };
  const models = [
    { name: 'without hints', model: cell, kinds: ['set', 'read', 'read', 'inc'] as const },
    { name: 'with a read-only hint', model: hintedCell, kinds: ['set', 'read', 'read', 'inc'] as const },
    {
      name: 'with both hints and effect keys',
      model: counter,
      kinds: ['read', 'inc'] as const,
      effectKey: () => increments,
    },
    {
      name: 'with effect keys for sets',
      model: hintedCell,
      kinds: ['set', 'set', 'read'] as const,
      effectKey: unreadSets,
    },
  ];
  for (const { name, model, kinds, effectKey } of models) {
    it(`agrees with an exhaustive search on small random histories ${name}, and its orders are valid`, function () {
      fc.assert(
        fc.property(smallHistories(kinds), (ops) => {
          const verdict = checkWgl(model, ops, { effectKey: effectKey?.(ops) });
          expect(verdict.result === 'linearizable').to.equal(bruteForce(model, ops));
          if (verdict.result === 'linearizable') {
            expect(isValidOrder(model, ops, verdict.linearization)).to.equal(true);
          }
        }),
        { numRuns: 2000, seed: 20240611 },
      );
    });
  }
});

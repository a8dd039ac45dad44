import { expect } from 'chai';
import { parseExperimentSpec } from '@isx/core';
import { checkLinearizability, LinearizabilityChecker } from '../src/checkers/linearizability.js';
import type { CheckerResult } from '../src/checkers/checker.js';
import {
  registerEffectKey,
  registerModel,
  toRegisterOp,
  type RegisterOp,
} from '../src/checkers/register-model.js';
import { checkWgl, type TimedOperation } from '../src/checkers/wgl.js';
import type { Operation } from '../src/history/operations.js';
import { op } from './support/operations.js';
import { generateRegisterHistory } from './support/register-histories.js';

function check(operations: Operation[], maxStatesPerKey?: number): CheckerResult {
  const spec = parseExperimentSpec({
    name: 't',
    description: 'd',
    seed: 1,
    workload: { durationMs: 1000 },
    ...(maxStatesPerKey === undefined ? {} : { linearizability: { maxStatesPerKey } }),
  });
  return new LinearizabilityChecker().check({ spec, operations, faults: [], workloadNs: 1e9 });
}

type Extra = Partial<Operation>;
const version = (v: number): Extra => ({ result: { version: v } });
const failed = (error: string): Extra => ({ outcome: 'fail', result: { error } });
const unknown: Extra = { outcome: 'info', result: { error: 'NODE_TIMEOUT' } };

// Hand-built operations on key `k` unless told otherwise; times are milliseconds.
const write = (value: string, at: number, until: number, extra: Extra = {}) =>
  op({ f: 'write', key: 'k', value, at, until, ...extra });
const create = (value: string, at: number, until: number, extra: Extra = {}) =>
  op({ f: 'create', key: 'k', value, at, until, ...extra });
const cas = (value: string, expectedVersion: number, at: number, until: number, extra: Extra = {}) =>
  op({ f: 'cas', key: 'k', value, expectedVersion, at, until, ...extra });
const del = (at: number, until: number, extra: Extra = {}) =>
  op({ f: 'delete', key: 'k', at, until, ...extra });
const read = (value: string | null, at: number, until: number, v?: number, extra: Extra = {}) =>
  op({ f: 'read', key: 'k', at, until, result: { value, version: v }, ...extra });

describe('the linearizability checker on histories with known answers', function () {
  it('accepts a correct sequential history through every kind of operation', function () {
    const result = check([
      create('a', 0, 1, version(1)),
      read('a', 2, 3, 1),
      write('b', 4, 5, version(2)),
      cas('c', 2, 6, 7, version(3)),
      read('c', 8, 9, 3),
      del(10, 11, version(4)),
      read(null, 12, 13),
      create('d', 14, 15, version(5)),
      read('d', 16, 17, 5),
    ]);
    expect(result.valid, result.summary).to.equal(true);
    expect(result.figures).to.include({ keys: 1, keysChecked: 1, operationsChecked: 9, keysUnknown: 0 });
  });

  it('accepts a read concurrent with a write whether it sees the old value or the new', function () {
    const history = (seen: string, v: number) => [
      write('a', 0, 1, version(1)),
      write('b', 2, 10, version(2)),
      read(seen, 3, 4, v),
    ];
    expect(check(history('a', 1)).valid).to.equal(true);
    expect(check(history('b', 2)).valid).to.equal(true);
  });

  it('rejects a read of a value that was never written', function () {
    expect(check([write('a', 0, 1), read('zzz', 2, 3)]).valid).to.equal(false);
  });

  it('rejects a read of a value overwritten by a write that completed before the read began', function () {
    const history = (readAt: number) => [
      write('a', 0, 1, version(1)),
      write('b', 2, 4, version(2)),
      read('a', readAt, 6, 1),
    ];
    expect(check(history(5)).valid).to.equal(false);
    // A read invoked at the instant the write returned comes after it, too.
    expect(check(history(4)).valid).to.equal(false);
  });

  it('accepts those very operations once the read overlaps the second write', function () {
    expect(
      check([write('a', 0, 1, version(1)), write('b', 2, 4, version(2)), read('a', 3, 6, 1)]).valid,
    ).to.equal(true);
  });

  it('rejects a lost write: an acknowledged write that later reads never see', function () {
    const result = check([
      write('a', 0, 1),
      write('b', 2, 3),
      read('a', 4, 5),
      read('a', 10, 11, undefined, { final: true }),
    ]);
    expect(result.valid).to.equal(false);
  });

  it('rejects two creates that both succeeded on an absent key, but not one refused with 412', function () {
    expect(check([create('a', 0, 5), create('b', 1, 6)]).valid).to.equal(false);
    expect(check([create('a', 0, 5), create('b', 1, 6, failed('PRECONDITION_FAILED'))]).valid).to.equal(true);
  });

  it('rejects a cas that succeeded although the version it expected was not current', function () {
    expect(check([create('a', 0, 1, version(1)), cas('b', 5, 2, 3, version(2))]).valid).to.equal(false);
    expect(check([create('a', 0, 1, version(1)), cas('b', 1, 2, 3, version(2))]).valid).to.equal(true);
  });

  it('rejects a cas refused with 412 when the version it expected was current, unless a write intervened', function () {
    const refused = cas('b', 1, 2, 3, failed('PRECONDITION_FAILED'));
    expect(check([create('a', 0, 1, version(1)), refused]).valid).to.equal(false);
    expect(check([create('a', 0, 1, version(1)), write('c', 1.5, 4), refused]).valid).to.equal(true);
    expect(check([cas('b', 0, 2, 3, failed('NOT_FOUND'))]).valid).to.equal(true);
  });

  it('lets an info write that may have applied explain a later read of its value', function () {
    const result = check([create('a', 0, 1, version(1)), write('b', 2, 3, unknown), read('b', 10, 11, 2)]);
    expect(result.valid).to.equal(true);
  });

  it('accepts an info write that nobody ever observed', function () {
    const result = check([create('a', 0, 1, version(1)), write('b', 2, 3, unknown), read('a', 10, 11, 1)]);
    expect(result.valid).to.equal(true);
  });

  it('rejects an info write observed before it was invoked', function () {
    expect(check([read('b', 0, 1), write('b', 2, 3, unknown)]).valid).to.equal(false);
  });

  it('rejects a write that reports skipping a version', function () {
    expect(check([create('a', 0, 1, version(1)), write('b', 2, 3, version(3))]).valid).to.equal(false);
  });

  it('ignores failures that provably changed nothing, so they cannot explain a read either', function () {
    const refused = write('b', 2, 3, failed('NODE_UNAVAILABLE'));
    const failedRead = read('zzz', 4, 5, undefined, failed('ECONNREFUSED'));
    expect(check([create('a', 0, 1, version(1)), refused, failedRead, read('a', 6, 7, 1)]).valid).to.equal(
      true,
    );
    expect(check([create('a', 0, 1, version(1)), refused, read('b', 6, 7)]).valid).to.equal(false);
  });

  it('counts versions through a delete, so a create after it continues from the tombstone', function () {
    const before = [create('a', 0, 1, version(1)), del(2, 3, version(2)), create('b', 4, 5, version(3))];
    expect(check([...before, read('b', 6, 7, 3)]).valid).to.equal(true);
    expect(check([...before, read('b', 6, 7, 1)]).valid).to.equal(false);
  });

  it('rejects a delete that succeeded on an absent key and a delete refused with 404 on a present one', function () {
    expect(check([del(0, 1)]).valid).to.equal(false);
    expect(check([del(0, 1, failed('NOT_FOUND'))]).valid).to.equal(true);
    expect(check([create('a', 0, 1), del(2, 3, failed('NOT_FOUND'))]).valid).to.equal(false);
  });
});

describe('the linearizability checker report', function () {
  it('names the operation that could not be placed and the state the register was in', function () {
    const history = [write('a', 0, 1, version(1)), write('b', 2, 4, version(2)), read('a', 5, 6, 1)];
    const result = check(history);
    expect(result.anomalies).to.have.length(1);
    const anomaly = result.anomalies[0]!;
    expect(anomaly).to.include({ kind: 'not-linearizable', key: 'k' });
    expect(anomaly.message).to.contain(`process ${history[2]!.process} read → "a" version 1`);
    expect(anomaly.message).to.contain('"b" at version 2, where that operation is impossible');
    expect(anomaly.operations).to.deep.equal([history[1], history[2]]);
    expect(result.summary).to.equal(
      '1 of 1 key(s) are not linearizable (k); 3 operation(s) on 1 key(s) checked.',
    );
  });

  it('keeps the sub-history of an anomaly to at most 30 operations, in invocation order', function () {
    const reads = Array.from({ length: 60 }, (_, i) => read('a', 2 + i / 100, 20, 1));
    const bad = read('zzz', 10, 11);
    const result = check([create('a', 0, 1, version(1)), ...reads, bad]);
    const shown = result.anomalies[0]!.operations;
    expect(shown.length).to.equal(30);
    expect(shown).to.include(bad);
    expect(shown.map((o) => o.index)).to.deep.equal([...shown.map((o) => o.index)].sort((a, b) => a - b));
  });

  it('checks each key on its own and adds up the figures', function () {
    const result = check([
      write('a', 0, 1, { key: 'k1' }),
      read('a', 2, 3, undefined, { key: 'k1' }),
      write('a', 0, 1, { key: 'k2' }),
      read('b', 2, 3, undefined, { key: 'k2' }),
      write('a', 0, 1, { key: 'k3', ...failed('SHARD_MOVING') }),
    ]);
    expect(result.valid).to.equal(false);
    expect(result.anomalies.map((a) => a.key)).to.deep.equal(['k2']);
    expect(result.figures).to.deep.include({
      keys: 3,
      keysChecked: 3,
      keysInvalid: 1,
      keysUnknown: 0,
      operationsChecked: 4,
    });
  });

  it('answers unknown when a key needs more states than its budget, and false once another key fails', function () {
    // Twelve concurrent writes must all be ordered before a read that none of them explains.
    const expensive = [
      ...Array.from({ length: 12 }, (_, i) => write(`w${i}`, 0, 10, { key: 'hard' })),
      read('zzz', 20, 21, undefined, { key: 'hard' }),
    ];
    const tight = check(expensive, 50);
    expect(tight.valid).to.equal('unknown');
    expect(tight.figures).to.include({ keysUnknown: 1, keysChecked: 0, statesExplored: 50 });
    expect(tight.anomalies).to.deep.equal([]);
    expect(check(expensive).valid).to.equal(false);
    expect(check([...expensive, write('a', 0, 1), read('b', 2, 3)], 50).valid).to.equal(false);
  });

  it('reads its budget from the spec and runs as a plain function too', function () {
    const operations = [write('a', 0, 1), read('a', 2, 3)];
    expect(new LinearizabilityChecker().name).to.equal('linearizability');
    expect(checkLinearizability(operations, { maxStatesPerKey: 0 }).valid).to.equal('unknown');
    expect(checkLinearizability(operations, { maxStatesPerKey: 2 }).valid).to.equal(true);
  });
});

describe('the linearizability checker on generated histories', function () {
  const seeds = Array.from({ length: 200 }, (_, i) => i + 1);
  const shape = (seed: number) => ({ seed, clients: 4, operations: 30 + (seed % 31), keys: 2 + (seed % 2) });

  it('finds every history of a correct register linearizable', function () {
    let uncertain = 0;
    for (const seed of seeds) {
      const { operations } = generateRegisterHistory(shape(seed));
      uncertain += operations.filter((o) => o.outcome !== 'ok').length;
      const result = check(operations);
      expect(result.valid, `seed ${seed}: ${result.anomalies[0]?.message ?? result.summary}`).to.equal(true);
    }
    // The histories must exercise info and failed operations, or the property proves little.
    expect(uncertain).to.be.greaterThan(200);
  });

  for (const bug of ['stale-read', 'lost-write'] as const) {
    it(`catches every ${bug} of a broken register that no order can explain`, function () {
      let manifested = 0;
      for (const seed of seeds) {
        const history = generateRegisterHistory({ ...shape(seed), bug });
        if (history.manifestations.length === 0) continue;
        manifested += 1;
        const result = check(history.operations);
        expect(result.valid, `seed ${seed}: ${history.manifestations.join('; ')}`).to.equal(false);
      }
      expect(manifested).to.be.greaterThan(100);
    });
  }

  it('reaches the same verdict on every key without the pruning hints and effect keys', function () {
    const plain = { ...registerModel, readOnly: undefined, ruledOut: undefined };
    let compared = 0;
    for (const seed of seeds.slice(0, 100)) {
      for (const bug of [undefined, 'stale-read', 'lost-write'] as const) {
        const { operations } = generateRegisterHistory({ ...shape(seed), infoRate: 0.2, bug });
        for (const key of new Set(operations.map((o) => o.key))) {
          const timed: TimedOperation<RegisterOp>[] = operations
            .filter((o) => o.key === key)
            .flatMap((o) => {
              const op = toRegisterOp(o);
              return op
                ? [{ op, call: o.invokeNs, ret: o.outcome === 'info' ? Infinity : o.completeNs }]
                : [];
            });
          const slow = checkWgl(plain, timed, { maxStates: 200_000 });
          if (slow.result === 'unknown') continue;
          compared += 1;
          const effectKey = registerEffectKey(timed.map((t) => t.op));
          const fast = checkWgl(registerModel, timed, { effectKey });
          expect(fast.result, `seed ${seed} ${bug} ${key}`).to.equal(slow.result);
        }
      }
    }
    expect(compared).to.be.greaterThan(500);
  });

  it('checks a correct history of 2,000 operations by 8 clients on one key', function () {
    const { operations } = generateRegisterHistory({ seed: 7, clients: 8, operations: 2000, keys: 1 });
    const result = check(operations);
    expect(result.valid, result.summary).to.equal(true);
    expect(result.figures.operationsChecked).to.be.greaterThan(1800);
  });
});

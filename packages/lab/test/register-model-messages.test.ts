/**
 * The register model for entities that also apply messages (activities): their versions grow
 * on their own, so versions are lower bounds. It must still catch what matters: a stale or
 * invented value, a version going down, and a cas that succeeded on a version already passed.
 */
import { expect } from 'chai';
import { checkLinearizability } from '../src/checkers/linearizability.js';
import type { Operation } from '../src/history/operations.js';
import { op } from './support/operations.js';

type Extra = Partial<Operation>;
const version = (v: number): Extra => ({ result: { version: v } });
const write = (value: string, at: number, until: number, extra: Extra = {}) =>
  op({ f: 'write', key: 'k', value, at, until, ...extra });
const cas = (value: string, expectedVersion: number, at: number, until: number, extra: Extra = {}) =>
  op({ f: 'cas', key: 'k', value, expectedVersion, at, until, ...extra });
const read = (value: string | null, at: number, until: number, v?: number) =>
  op({ f: 'read', key: 'k', at, until, result: { value, version: v } });

const check = (operations: Operation[], versionGrowth: 'strict' | 'messages') =>
  checkLinearizability(operations, { maxStatesPerKey: 100_000, versionGrowth });

describe('the register model whose versions also grow with messages applied', function () {
  it('accepts versions that jump between the workload’s own writes, which the strict model refuses', function () {
    const history = [
      write('a', 0, 1, version(1)),
      read('a', 2, 3, 3),
      write('b', 4, 5, version(5)),
      cas('c', 6, 6, 7, version(7)),
      read('c', 8, 9, 8),
    ];
    expect(check(history, 'strict').valid).to.equal(false);
    expect(check(history, 'messages').valid).to.equal(true);
  });

  it('accepts a refused cas on any version, since a message may have raised it first', function () {
    const history = [
      write('a', 0, 1, version(1)),
      cas('b', 1, 2, 3, { outcome: 'fail', result: { error: 'PRECONDITION_FAILED' } }),
      read('a', 4, 5, 2),
    ];
    expect(check(history, 'messages').valid).to.equal(true);
  });

  it('still rejects a read of a value overwritten before the read began', function () {
    const history = [write('a', 0, 1, version(1)), write('b', 2, 3, version(4)), read('a', 4, 5, 4)];
    expect(check(history, 'messages').valid).to.equal(false);
  });

  it('still rejects a version that goes down', function () {
    const history = [write('a', 0, 1, version(4)), read('a', 2, 3, 3)];
    expect(check(history, 'messages').valid).to.equal(false);
  });

  it('still rejects a cas that succeeded on a version already passed', function () {
    const history = [write('a', 0, 1, version(4)), read('a', 2, 3, 6), cas('b', 5, 4, 5, version(6))];
    expect(check(history, 'messages').valid).to.equal(false);
  });
});

import { expect } from 'chai';
import { parseExperimentSpec } from '@isx/core';
import { DurabilityChecker } from '../src/checkers/durability.js';
import type { Operation } from '../src/history/operations.js';
import { op } from './support/operations.js';

const spec = parseExperimentSpec({ name: 't', description: 'd', seed: 1, workload: { durationMs: 1000 } });

function check(operations: Operation[]) {
  return new DurabilityChecker().check({ spec, operations, faults: [], workloadNs: 1e9 });
}

function finalRead(key: string, value: string | null, at = 2000): Operation {
  return op({ f: 'read', key, at, until: at + 1, final: true, result: { value } });
}

describe('the durability checker', function () {
  it('passes when the final read shows the last acknowledged write', function () {
    const result = check([
      op({ f: 'write', key: 'k', value: 'a', at: 0, until: 1 }),
      op({ f: 'write', key: 'k', value: 'b', at: 2, until: 3 }),
      finalRead('k', 'b'),
    ]);
    expect(result.valid).to.equal(true);
    expect(result.figures).to.include({ acknowledgedWrites: 2, lostWrites: 0 });
  });

  it('finds a lost write when the final value was written before an acknowledged write began', function () {
    const result = check([
      op({ f: 'write', key: 'k', value: 'a', at: 0, until: 1 }),
      op({ f: 'write', key: 'k', value: 'b', at: 2, until: 3 }),
      finalRead('k', 'a'),
    ]);
    expect(result.valid).to.equal(false);
    expect(result.figures.lostWrites).to.equal(1);
    expect(result.anomalies[0]).to.include({ kind: 'lost-write', key: 'k' });
    expect(result.anomalies[0]!.operations.map((o) => o.value ?? o.result.value)).to.deep.equal([
      'a',
      'b',
      'a',
    ]);
  });

  it('accepts a concurrent write as the one that came last', function () {
    const result = check([
      op({ f: 'write', key: 'k', value: 'a', at: 0, until: 5 }),
      op({ f: 'write', key: 'k', value: 'b', at: 1, until: 3 }),
      finalRead('k', 'a'),
    ]);
    expect(result.valid).to.equal(true);
  });

  it('lets a write of unknown outcome explain the final value, however early it was invoked', function () {
    const result = check([
      op({ f: 'write', key: 'k', value: 'a', at: 0, until: 1, outcome: 'info' }),
      op({ f: 'write', key: 'k', value: 'b', at: 2, until: 3 }),
      finalRead('k', 'a'),
    ]);
    expect(result.valid).to.equal(true);
  });

  it('finds every acknowledged write lost when the entity vanished without a delete', function () {
    const result = check([
      op({ f: 'create', key: 'k', value: 'a', at: 0, until: 1 }),
      op({ f: 'write', key: 'k', value: 'b', at: 2, until: 3 }),
      finalRead('k', null),
    ]);
    expect(result.figures.lostWrites).to.equal(2);
  });

  it('accepts an absent entity after an acknowledged delete', function () {
    const result = check([
      op({ f: 'write', key: 'k', value: 'a', at: 0, until: 1 }),
      op({ f: 'delete', key: 'k', at: 2, until: 3 }),
      finalRead('k', null),
    ]);
    expect(result.valid).to.equal(true);
  });

  it('reports a final value nobody wrote', function () {
    const result = check([op({ f: 'write', key: 'k', value: 'a', at: 0, until: 1 }), finalRead('k', 'zzz')]);
    expect(result.valid).to.equal(false);
    expect(result.anomalies[0]!.kind).to.equal('unknown-value');
  });

  it('ignores writes that provably failed', function () {
    const result = check([
      op({ f: 'write', key: 'k', value: 'a', at: 0, until: 1 }),
      op({
        f: 'write',
        key: 'k',
        value: 'b',
        at: 2,
        until: 3,
        outcome: 'fail',
        result: { error: 'NODE_UNAVAILABLE' },
      }),
      finalRead('k', 'a'),
    ]);
    expect(result.valid).to.equal(true);
    expect(result.figures.acknowledgedWrites).to.equal(1);
  });

  it('cannot decide for a key with acknowledged writes that was never read at the end', function () {
    const result = check([op({ f: 'write', key: 'k', value: 'a', at: 0, until: 1 })]);
    expect(result.valid).to.equal('unknown');
    expect(result.figures.unreadKeys).to.equal(1);
  });
});

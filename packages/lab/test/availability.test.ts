import { expect } from 'chai';
import { parseExperimentSpec } from '@isx/core';
import { AvailabilityChecker, unavailableWindows } from '../src/checkers/availability.js';
import type { FaultWindow } from '../src/checkers/checker.js';
import { op } from './support/operations.js';

const kill: FaultWindow = { fault: 'kill', target: 'n2', startNs: 1_000e6, endNs: 2_000e6 };

function run(minAnsweredShare?: number) {
  const spec = parseExperimentSpec({
    name: 't',
    description: 'd',
    seed: 1,
    workload: { durationMs: 4000 },
    availability: { bucketMs: 500, ...(minAnsweredShare === undefined ? {} : { minAnsweredShare }) },
  });
  const operations = [
    op({ f: 'read', key: 'k', at: 100, until: 110 }),
    op({
      f: 'read',
      key: 'k',
      at: 1_100,
      until: 1_110,
      outcome: 'fail',
      result: { error: 'NODE_UNAVAILABLE' },
    }),
    op({ f: 'write', key: 'k', value: 'x', at: 1_600, until: 2_600, outcome: 'info' }),
    op({
      f: 'read',
      key: 'k',
      at: 3_200,
      until: 3_210,
      outcome: 'fail',
      result: { error: 'NODE_UNAVAILABLE' },
    }),
    op({ f: 'read', key: 'k', at: 3_900, until: 3_910 }),
  ];
  return new AvailabilityChecker().check({ spec, operations, faults: [kill], workloadNs: 4e9 });
}

describe('the availability checker', function () {
  it('joins consecutive buckets with failures into one window and names the fault it overlaps', function () {
    const result = run();
    const windows = unavailableWindows(
      [
        op({ f: 'read', key: 'k', at: 1_100, until: 1_110, outcome: 'fail' }),
        op({ f: 'read', key: 'k', at: 1_600, until: 1_700, outcome: 'info' }),
      ],
      [kill],
      500e6,
    );
    expect(windows).to.have.length(1);
    expect(windows[0]).to.deep.include({
      startNs: 1_000e6,
      endNs: 2_000e6,
      fail: 1,
      info: 1,
      faults: ['kill n2'],
    });
    expect(result.figures).to.include({ windows: 2, windowsOutsideFaults: 1, ok: 2, fail: 2, info: 1 });
    expect(result.notes).to.have.length(2);
    expect(result.notes![1]).to.match(/no fault in force/);
  });

  it('reports availability without judging it unless a minimum is set', function () {
    expect(run().valid).to.equal(true);
    expect(run(0.3).valid).to.equal(true);
    expect(run(0.5).valid).to.equal(false);
  });
});

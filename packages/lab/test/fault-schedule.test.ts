import { expect } from 'chai';
import { parseExperimentSpec } from '@isx/core';
import { planFaults } from '../src/experiment/fault-schedule.js';

function spec(seed: number) {
  return parseExperimentSpec({
    name: 'chaos',
    description: 'Periodic random faults.',
    seed,
    cluster: { nodes: 5 },
    workload: { durationMs: 60_000 },
    faults: [
      { at: 500, fault: { kind: 'pause', target: 'n3', durationMs: 200 } },
      {
        every: 2_000,
        start: 1_000,
        duration: 800,
        choose: [
          { kind: 'kill', target: 'random' },
          { kind: 'partition', link: { from: 'random', to: 'random' } },
          { kind: 'delay', link: { from: 'router', to: 'random' }, delayMs: 100 },
        ],
      },
    ],
  });
}

describe('the fault schedule', function () {
  it('is the same for the same spec and seed', function () {
    expect(planFaults(spec(42))).to.deep.equal(planFaults(spec(42)));
  });

  it('differs for another seed', function () {
    expect(planFaults(spec(42))).to.not.deep.equal(planFaults(spec(43)));
  });

  it('unrolls a periodic entry until the workload ends, each fault undone after its duration', function () {
    const periodic = planFaults(spec(1)).filter((f) => f.atMs !== 500);
    expect(periodic.map((f) => f.atMs)).to.deep.equal(
      Array.from({ length: 30 }, (_, i) => 1_000 + i * 2_000),
    );
    for (const fault of periodic) expect(fault.untilMs).to.equal(fault.atMs + 800);
  });

  it('keeps timed faults in time order with the periodic ones, undone after durationMs', function () {
    const plan = planFaults(spec(1));
    expect(plan[0]).to.deep.include({ atMs: 500, untilMs: 700 });
    expect(plan.map((f) => f.atMs)).to.deep.equal([...plan.map((f) => f.atMs)].sort((a, b) => a - b));
  });

  it('resolves every random target to a node of the cluster and every random link to two distinct ends', function () {
    for (const { fault } of planFaults(spec(9))) {
      if ('target' in fault) expect(fault.target).to.match(/^n[1-5]$/);
      if ('link' in fault) {
        expect(fault.link.from).to.match(/^(router|n[1-5])$/);
        expect(fault.link.to).to.match(/^(router|n[1-5])$/);
        expect(fault.link.from).to.not.equal(fault.link.to);
      }
    }
  });
});

import { expect } from 'chai';
import { experimentSpecSchema, parseExperimentSpec, type ExperimentSpecInput } from '@isx/core';
import { CopiesChecker } from '../src/checkers/copies.js';
import type { FaultWindow, FinalLayout } from '../src/checkers/checker.js';
import { planFaults } from '../src/experiment/fault-schedule.js';

const base = {
  name: 'rebalance',
  description: 'Rebalancing steps.',
  seed: 5,
  cluster: { nodes: 3, spareNodes: 2, replicationFactor: 3 },
  workload: { durationMs: 20_000 },
} satisfies ExperimentSpecInput;

function problems(input: unknown): string[] {
  const result = experimentSpecSchema.safeParse(input);
  return result.success ? [] : result.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
}

describe('the rebalancing steps in an experiment spec', function () {
  it('has no spare nodes unless asked', function () {
    expect(parseExperimentSpec({ ...base, cluster: {} }).cluster.spareNodes).to.equal(0);
  });

  it('accepts join, drain, terminate, split and a kill of the router, with their defaults', function () {
    const spec = parseExperimentSpec({
      ...base,
      faults: [
        { at: 1_000, fault: { kind: 'join' } },
        { at: 2_000, fault: { kind: 'drain', target: 'n4' } },
        { at: 3_000, fault: { kind: 'drain', target: { primaryOf: 'k1' }, leave: false } },
        { at: 4_000, fault: { kind: 'terminate', target: 'n2', durationMs: 3_000 } },
        { at: 5_000, fault: { kind: 'split', shard: 'campaign-3' } },
        { at: 6_000, fault: { kind: 'split', shard: { shardOf: 'k0' }, at: '80000000' } },
        { at: 7_000, fault: { kind: 'kill', target: 'router', durationMs: 2_000 } },
        { at: 8_000, fault: { kind: 'kill', target: { moving: 'to' }, durationMs: 2_000 } },
        { at: 9_000, fault: { kind: 'restart', target: 'router' } },
      ],
    });
    const kinds = spec.faults.map((entry) => ('at' in entry ? entry.fault : undefined));
    expect(kinds[0]).to.deep.equal({ kind: 'join', count: 1 });
    expect(kinds[1]).to.deep.equal({ kind: 'drain', target: 'n4', leave: true });
    expect(kinds[2]).to.deep.include({ leave: false });
  });

  it('lets a fault name a spare node only from the join that starts it', function () {
    const at = (ms: number, target: string) => ({ at: ms, fault: { kind: 'kill', target } });
    const joins = [
      { at: 2_000, fault: { kind: 'join' } },
      { at: 6_000, fault: { kind: 'join' } },
    ];
    expect(problems({ ...base, faults: [...joins, at(2_000, 'n4'), at(6_500, 'n5')] })).to.deep.equal([]);
    expect(problems({ ...base, faults: [...joins, at(5_000, 'n5')] }).join()).to.match(
      /names n5 at 5000 ms, before the join at 6000 ms/,
    );
    expect(problems({ ...base, faults: [at(5_000, 'n4')] }).join()).to.match(/n4, a spare node that no join/);
    expect(problems({ ...base, faults: [at(5_000, 'n6')] }).join()).to.match(/n6 but the cluster has 5/);
  });

  it('refuses more joins than spare nodes', function () {
    const found = problems({ ...base, faults: [{ at: 1_000, fault: { kind: 'join', count: 3 } }] });
    expect(found.join()).to.match(/join 3 node\(s\) but cluster\.spareNodes is 2/);
  });

  it('refuses join, drain and split in a periodic entry, which would undo them', function () {
    for (const fault of [
      { kind: 'join' },
      { kind: 'drain', target: 'n1' },
      { kind: 'split', shard: 'campaign-1' },
    ]) {
      const found = problems({ ...base, faults: [{ every: 2_000, duration: 500, choose: [fault] }] });
      expect(found.join(), fault.kind).to.match(/changes the cluster for good/);
    }
    expect(
      problems({
        ...base,
        faults: [{ every: 2_000, duration: 500, choose: [{ kind: 'terminate', target: 'n1' }] }],
      }),
    ).to.deep.equal([]);
  });

  it("refuses to wipe the router's data, and more than nine nodes with the spares", function () {
    expect(
      problems({
        ...base,
        faults: [{ at: 1, fault: { kind: 'kill', target: 'router', wipe: true } }],
      }).join(),
    ).to.match(/router's data directory cannot be wiped/);
    expect(problems({ ...base, cluster: { nodes: 6, spareNodes: 4 } }).join()).to.match(/more than 9/);
  });
});

describe('the schedule of rebalancing steps', function () {
  const plan = planFaults(
    parseExperimentSpec({
      ...base,
      faults: [
        { at: 1_000, fault: { kind: 'join', count: 2 } },
        { at: 2_000, fault: { kind: 'drain', target: 'n1' } },
        { at: 3_000, fault: { kind: 'terminate', target: 'n2', durationMs: 4_000 } },
        { at: 4_000, fault: { kind: 'terminate', target: 'n3' } },
        { at: 5_000, fault: { kind: 'split', shard: { shardOf: 'k0' } } },
        { at: 6_000, fault: { kind: 'kill', target: 'router', durationMs: 1_500 } },
        {
          every: 1_000,
          start: 500,
          duration: 200,
          choose: [{ kind: 'pause', target: 'random', durationMs: 100 }],
        },
      ],
    }),
  );

  it('undoes a terminate with durationMs (a restart) and a kill of the router, and nothing else of the steps', function () {
    const timed = plan.filter((p) => p.fault.kind !== 'pause');
    expect(timed.map((p) => [p.fault.kind, p.untilMs])).to.deep.equal([
      ['join', undefined],
      ['drain', undefined],
      ['terminate', 7_000],
      ['terminate', undefined],
      ['split', undefined],
      ['kill', 7_500],
    ]);
  });

  it('draws a random target among the nodes started at the beginning, never a spare', function () {
    const targets = plan
      .filter((p) => p.fault.kind === 'pause')
      .map((p) => (p.fault as { target: string }).target);
    expect(targets).to.have.length(20);
    for (const target of targets) expect(target).to.match(/^n[1-3]$/);
  });
});

describe('the copies checker after joins and leaves', function () {
  const spec = parseExperimentSpec(base);
  const layout: FinalLayout = { leastLiveCopies: 3, liveNodes: 4, nodesHoldingCopies: 4, expectedNodes: 4 };
  const check = (finalLayout: FinalLayout, faults: FaultWindow[] = []) =>
    new CopiesChecker().check({
      spec,
      operations: [],
      faults,
      workloadNs: 1e9,
      restoredAtEnd: true,
      finalLayout,
    });

  it('passes with three copies on live nodes and the nodes expected, and reports them', function () {
    const result = check(layout);
    expect(result.valid).to.equal(true);
    expect(result.figures).to.include({ copiesAtEnd: 3, liveNodesAtEnd: 4, expectedNodesAtEnd: 4 });
  });

  it('fails when a shard has fewer copies on live nodes than the factor', function () {
    expect(check({ ...layout, leastLiveCopies: 2 }).valid).to.equal(false);
  });

  it('fails when a node that should have left is still up, or one that joined is not', function () {
    expect(check({ ...layout, liveNodes: 5 }).summary).to.match(/5 node\(s\) were up at the end where 4/);
    expect(check({ ...layout, liveNodes: 3 }).valid).to.equal(false);
  });

  it('fails when a step was still under way when the history ended', function () {
    const drain: FaultWindow = { fault: 'drain', target: 'n2', startNs: 1, endNs: 2, unfinished: true };
    const kill: FaultWindow = { fault: 'kill', target: 'n1', startNs: 1, endNs: 2, unfinished: true };
    expect(check(layout, [kill]).valid).to.equal(true);
    const result = check(layout, [drain]);
    expect(result.valid).to.equal(false);
    expect(result.summary).to.match(/drain n2 never finished/);
    expect(result.figures.unfinishedSteps).to.equal(1);
  });
});

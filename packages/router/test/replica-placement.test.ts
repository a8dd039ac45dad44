/**
 * The placement of replicated shards' copies (`planReplicaActions`, pure): repair first, then
 * draining, then balancing the copies and the primaries of each type; steps under way counted
 * as done; at most `limit` steps and one per shard. The simulations apply each plan to a map
 * as the mover would and plan again until nothing is left to do. Convergence over random
 * clusters is in `replica-placement-convergence.test.ts`.
 */
import { expect } from 'chai';
import { planReplicaActions, primaryMoveSteps, type ReplicaAction } from '../src/replica-placement.js';
import { apply, converge, counts, holds, nodes, shard, spread } from './support/placement-sim.js';

describe('replica placement: repair', function () {
  it('adds a copy on the eligible node with the fewest copies of the type, among those that serve it', function () {
    const shards = [
      shard('s1', 'n1', ['n2']),
      shard('s2', 'n4', ['n1', 'n2']),
      // n5 holds more copies than n4 in all, but none of `note`.
      shard('o1', 'n5', ['n3'], 'other'),
      shard('o2', 'n3', ['n5'], 'other'),
      shard('o3', 'n5', ['n3'], 'other'),
    ];
    // n3 holds no `note` and sorts first, but does not serve it.
    const live = nodes(['n1', 'n2', 'n3', 'n4', 'n5'], {
      types: { n3: ['other'], n5: ['note', 'other'] },
    });
    expect(planReplicaActions({ shards, nodes: live, factor: 3, minInSync: 2 })).to.deep.equal([
      { kind: 'add-replica', shardId: 's1', to: 'n5', reason: 'repair' },
    ]);
  });

  it('never adds a copy on a node that holds the shard, even one with the fewest copies', function () {
    const shards = [
      shard('s1', 'n1', ['n2']),
      shard('s2', 'n3', ['n1', 'n4']),
      shard('s3', 'n4', ['n3', 'n1']),
    ];
    const plan = planReplicaActions({
      shards,
      nodes: nodes(['n1', 'n2', 'n3', 'n4']),
      factor: 3,
      minInSync: 2,
    });
    // n2 holds the fewest (one) but holds s1; n3 and n4 hold two each, n3 sorts first.
    expect(plan.filter((a) => a.reason === 'repair')).to.deep.equal([
      { kind: 'add-replica', shardId: 's1', to: 'n3', reason: 'repair' },
    ]);
  });

  it('adds nothing when no live node that serves the type and is not draining lacks the shard', function () {
    const shards = [shard('s1', 'n1', ['n2'])];
    const live = nodes(['n1', 'n2', 'n3', 'n4'], { draining: ['n4'], types: { n3: ['other'] } });
    expect(planReplicaActions({ shards, nodes: live, factor: 3, minInSync: 2 })).to.deep.equal([]);
  });

  it('does not repair a shard whose primary is not live', function () {
    const shards = [shard('s1', 'n1', ['n2'])];
    const live = nodes(['n2', 'n3', 'n4', 'n5']);
    expect(planReplicaActions({ shards, nodes: live, factor: 3, minInSync: 2 })).to.deep.equal([]);
    expect(
      planReplicaActions({ shards, nodes: nodes(['n1', 'n2', 'n3']), factor: 3, minInSync: 2 }),
    ).to.deep.equal([{ kind: 'add-replica', shardId: 's1', to: 'n3', reason: 'repair' }]);
  });

  it('repairs before anything else when the plan has room for one step only', function () {
    const shards = [shard('s1', 'n1', ['n2', 'n5']), shard('s2', 'n2', ['n3'])];
    const live = nodes(['n1', 'n2', 'n3', 'n4', 'n5'], { draining: ['n5'] });
    expect(planReplicaActions({ shards, nodes: live, factor: 3, minInSync: 2, limit: 1 })).to.deep.equal([
      { kind: 'add-replica', shardId: 's2', to: 'n4', reason: 'repair' },
    ]);
  });
});

describe('replica placement: draining', function () {
  it('hands a draining node’s primary to the in-sync backup on a non-draining node with the fewest primaries', function () {
    const shards = [shard('s1', 'n1', ['n2', 'n3']), shard('s2', 'n2', ['n4', 'n5'])];
    const plan = planReplicaActions({
      shards,
      nodes: nodes(['n1', 'n2', 'n3', 'n4', 'n5'], { draining: ['n1'] }),
      factor: 3,
      minInSync: 2,
    });
    expect(plan.find((a) => a.shardId === 's1')).to.deep.equal({
      kind: 'transfer-primary',
      shardId: 's1',
      from: 'n1',
      to: 'n3',
      reason: 'drain',
    });
    // With n3 draining too, n2 is the only backup left to take it.
    const both = planReplicaActions({
      shards,
      nodes: nodes(['n1', 'n2', 'n3', 'n4', 'n5'], { draining: ['n1', 'n3'] }),
      factor: 3,
      minInSync: 2,
    });
    expect(both.find((a) => a.shardId === 's1')).to.deep.equal({
      kind: 'transfer-primary',
      shardId: 's1',
      from: 'n1',
      to: 'n2',
      reason: 'drain',
    });
  });

  it('moves a draining node’s backup to the node with the fewest copies among those without one', function () {
    const shards = [shard('s1', 'n1', ['n2', 'n4']), shard('s2', 'n3', ['n1', 'n2'])];
    const plan = planReplicaActions({
      shards,
      nodes: nodes(['n1', 'n2', 'n3', 'n4', 'n5'], { draining: ['n4'] }),
      factor: 3,
      minInSync: 2,
    });
    // n3 holds one copy, n5 none: n5 takes it.
    expect(plan.find((a) => a.shardId === 's1')).to.deep.equal({
      kind: 'move-replica',
      shardId: 's1',
      from: 'n4',
      to: 'n5',
      reason: 'drain',
    });
  });

  it('removes a draining backup no other node can take, only while the shard keeps minInSync copies', function () {
    const shards = [shard('s1', 'n1', ['n2', 'n3'])];
    const live = nodes(['n1', 'n2', 'n3'], { draining: ['n3'] });
    expect(planReplicaActions({ shards, nodes: live, factor: 3, minInSync: 2 })).to.deep.equal([
      { kind: 'remove-replica', shardId: 's1', from: 'n3', reason: 'drain' },
    ]);
    expect(planReplicaActions({ shards, nodes: live, factor: 3, minInSync: 3 })).to.deep.equal([]);
  });

  it('empties a draining node completely when the others can take its copies', function () {
    const ids = ['n1', 'n2', 'n3', 'n4'];
    const shards = Array.from({ length: 6 }, (_, i) =>
      shard(`s${i + 1}`, ids[i % 4]!, [ids[(i + 1) % 4]!, ids[(i + 2) % 4]!]),
    );
    const live = nodes(ids, { draining: ['n2'] });
    converge(shards, { nodes: live, factor: 3, minInSync: 2 });
    expect(shards.filter((s) => holds(s, 'n2'))).to.deep.equal([]);
    for (const s of shards) expect(new Set([s.node, ...s.backups]).size).to.equal(3);
    expect(spread(counts(shards, 'note', ['n1', 'n3', 'n4']).replicas)).to.be.at.most(1);
  });
});

describe('replica placement: balance', function () {
  it('gives a fourth node of a three-node cluster its share of copies and primaries', function () {
    const three = ['n1', 'n2', 'n3'];
    const shards = Array.from({ length: 8 }, (_, i) =>
      shard(`s${i + 1}`, three[i % 3]!, [three[(i + 1) % 3]!, three[(i + 2) % 3]!]),
    );
    const { rounds } = converge(shards, { nodes: nodes([...three, 'n4']), factor: 3, minInSync: 2 });
    expect(rounds).to.be.at.most(10);
    expect(counts(shards, 'note', [...three, 'n4'])).to.deep.equal({
      replicas: [6, 6, 6, 6],
      primaries: [2, 2, 2, 2],
    });
    for (const s of shards) expect(new Set([s.node, ...s.backups]).size).to.equal(3);
  });

  it('plans no more steps than the limit', function () {
    const shards = Array.from({ length: 5 }, (_, i) => shard(`s${i + 1}`, 'n1', []));
    const plan = planReplicaActions({
      shards,
      nodes: nodes(['n1', 'n2', 'n3']),
      factor: 3,
      minInSync: 2,
      limit: 2,
    });
    expect(plan).to.have.length(2);
    expect(plan.every((a) => a.kind === 'add-replica' && a.reason === 'repair')).to.equal(true);
    expect(
      planReplicaActions({ shards, nodes: nodes(['n1', 'n2', 'n3']), factor: 3, minInSync: 2 }),
    ).to.have.length(5);
  });

  it('counts a step under way as done and leaves its shard out of the plan', function () {
    const shards = [shard('s1', 'n1', ['n2'])];
    const adding: ReplicaAction = { kind: 'add-replica', shardId: 's1', to: 'n3', reason: 'repair' };
    const live = nodes(['n1', 'n2', 'n3', 'n4']);
    expect(planReplicaActions({ shards, nodes: live, factor: 3, minInSync: 2 })).to.deep.equal([adding]);
    expect(
      planReplicaActions({ shards, nodes: live, factor: 3, minInSync: 2, inProgress: [adding] }),
    ).to.deep.equal([]);
  });

  it('does not plan a second move in the same direction while the first one is under way', function () {
    const shards = [shard('s1', 'n1', ['n2']), shard('s2', 'n3', ['n2']), shard('s3', 'n1', ['n2'])];
    const input = { shards, nodes: nodes(['n1', 'n2', 'n3']), factor: 2, minInSync: 1, limit: 1 };
    // n2 holds three copies and n3 one: one copy moves from n2 to n3, and no more.
    const [first] = planReplicaActions(input);
    expect(first).to.deep.equal({
      kind: 'move-replica',
      shardId: 's1',
      from: 'n2',
      to: 'n3',
      reason: 'balance',
    });
    const again = planReplicaActions({ ...input, inProgress: [first!] });
    const andAgain = planReplicaActions({ ...input, inProgress: [first!, ...again] });
    for (const action of [...again, ...andAgain]) expect(action.kind).to.not.equal('move-replica');
    // Had the step under way not been counted, the next plan would overshoot with s3.
    expect(planReplicaActions({ ...input, busy: new Set(['s1']) })).to.deep.equal([
      { kind: 'move-replica', shardId: 's3', from: 'n2', to: 'n3', reason: 'balance' },
    ]);
    const moved = shards.map((s) => ({ ...s, backups: [...s.backups] }));
    for (const action of [first!, ...again, ...andAgain]) apply(moved, action, 1);
    const after = counts(moved, 'note', ['n1', 'n2', 'n3']);
    expect(spread(after.replicas)).to.be.at.most(1);
    expect(spread(after.primaries)).to.be.at.most(1);
  });

  it('counts a move half done (its new copy in the map, its old one not yet removed) only once', function () {
    // Two moves into n4 are in their removal: their new copies are in the map, their old ones
    // (on n1 and n2) not yet gone. Once they are, every node holds four copies. Counting the
    // new copies a second time would make n4 look two too full and send a copy back from it.
    const shards = [
      shard('s1', 'n3', ['n4', 'n1']),
      shard('s2', 'n3', ['n4', 'n2']),
      shard('s3', 'n1', ['n2']),
      shard('s4', 'n1', ['n2']),
      shard('s5', 'n1', ['n3']),
      shard('s6', 'n2', ['n3']),
      shard('s7', 'n2', ['n4']),
      shard('s8', 'n1', ['n4']),
    ];
    const inProgress: ReplicaAction[] = [
      { kind: 'move-replica', shardId: 's1', from: 'n1', to: 'n4', reason: 'balance' },
      { kind: 'move-replica', shardId: 's2', from: 'n2', to: 'n4', reason: 'balance' },
    ];
    const input = { shards, nodes: nodes(['n1', 'n2', 'n3', 'n4']), factor: 2, minInSync: 1 };
    expect(
      planReplicaActions({ ...input, inProgress }).filter((a) => a.kind === 'move-replica'),
    ).to.deep.equal([]);
  });

  it('leaves out the shards it is told are busy', function () {
    const shards = [shard('s1', 'n1', ['n2']), shard('s2', 'n1', ['n2'])];
    const plan = planReplicaActions({
      shards,
      nodes: nodes(['n1', 'n2', 'n3']),
      factor: 3,
      minInSync: 2,
      busy: new Set(['s1']),
    });
    expect(plan.map((a) => a.shardId)).to.deep.equal(['s2']);
  });
});

describe('replica placement: an operator moving a primary', function () {
  it('hands the primary to a backup, or copies to another node, hands over and removes the old copy', function () {
    const placed = shard('s1', 'n1', ['n2', 'n3']);
    expect(primaryMoveSteps(placed, 'n1')).to.deep.equal([]);
    expect(primaryMoveSteps(placed, 'n2')).to.deep.equal([
      { kind: 'transfer-primary', shardId: 's1', from: 'n1', to: 'n2', reason: 'balance' },
    ]);
    expect(primaryMoveSteps(placed, 'n4')).to.deep.equal([
      { kind: 'add-replica', shardId: 's1', to: 'n4', reason: 'balance' },
      { kind: 'transfer-primary', shardId: 's1', from: 'n1', to: 'n4', reason: 'balance' },
      { kind: 'remove-replica', shardId: 's1', from: 'n1', reason: 'balance' },
    ]);
  });
});

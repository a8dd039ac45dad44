/**
 * The placement of replicated shards' copies (`planReplicaActions`, pure): repair first, then
 * draining, then balancing the copies and the primaries of each type; steps under way counted
 * as done; at most `limit` steps and one per shard. The simulations apply each plan to a map
 * as the mover would and plan again until nothing is left to do.
 */
import { expect } from 'chai';
import {
  planReplicaActions,
  type PlacementInput,
  type PlacementNode,
  type ReplicaAction,
} from '../src/replica-placement.js';

interface Shard {
  id: string;
  type: string;
  node: string;
  backups: string[];
}

const shard = (id: string, node: string, backups: string[], type = 'note'): Shard => ({
  id,
  type,
  node,
  backups,
});

/** Nodes `n1`… serving `note`; `draining` and `types` change some of them. */
function nodes(
  ids: string[],
  options: { draining?: string[]; types?: Record<string, string[]> } = {},
): PlacementNode[] {
  return ids.map((id) => ({
    id,
    types: options.types?.[id] ?? ['note'],
    draining: options.draining?.includes(id) ?? false,
  }));
}

const holds = (s: Shard, id: string): boolean => s.node === id || s.backups.includes(id);

/** Applies one step to the map as the mover does, checking that it is a step the map allows. */
function apply(shards: Shard[], action: ReplicaAction, minInSync: number): void {
  const s = shards.find((x) => x.id === action.shardId);
  expect(s, `the shard of ${JSON.stringify(action)}`).to.not.equal(undefined);
  if (!s) return;
  switch (action.kind) {
    case 'add-replica':
      expect(holds(s, action.to), `${action.to} already holds ${s.id}`).to.equal(false);
      s.backups = [...s.backups, action.to];
      break;
    case 'move-replica':
      expect(s.backups, `${action.from} is a backup of ${s.id}`).to.include(action.from);
      expect(holds(s, action.to), `${action.to} already holds ${s.id}`).to.equal(false);
      s.backups = [...s.backups.filter((n) => n !== action.from), action.to];
      break;
    case 'transfer-primary':
      expect(s.node, `${action.from} leads ${s.id}`).to.equal(action.from);
      expect(s.backups, `${action.to} is a backup of ${s.id}`).to.include(action.to);
      s.node = action.to;
      s.backups = [action.from, ...s.backups.filter((n) => n !== action.to)];
      break;
    case 'remove-replica':
      expect(s.backups, `${action.from} is a backup of ${s.id}`).to.include(action.from);
      s.backups = s.backups.filter((n) => n !== action.from);
      expect(1 + s.backups.length, `copies of ${s.id} left`).to.be.at.least(minInSync);
      break;
  }
}

/** Plans and applies until a plan is empty; returns the rounds it took (throws past `maxRounds`). */
function converge(
  shards: Shard[],
  input: Omit<PlacementInput, 'shards'>,
  maxRounds = 30,
): { rounds: number; steps: ReplicaAction[] } {
  const steps: ReplicaAction[] = [];
  for (let round = 0; round < maxRounds; round += 1) {
    const plan = planReplicaActions({ ...input, shards: shards.map((s) => ({ ...s })) });
    if (plan.length === 0) return { rounds: round, steps };
    const ids = plan.map((a) => a.shardId);
    expect(new Set(ids).size, `one step per shard in ${JSON.stringify(plan)}`).to.equal(ids.length);
    for (const action of plan) apply(shards, action, input.minInSync);
    steps.push(...plan);
  }
  throw new Error(`no empty plan after ${maxRounds} rounds: ${JSON.stringify(shards)}`);
}

/** Per node, the copies and the primaries of `type` it holds. */
function counts(shards: Shard[], type: string, ids: string[]): { replicas: number[]; primaries: number[] } {
  const ofType = shards.filter((s) => s.type === type);
  return {
    replicas: ids.map((id) => ofType.filter((s) => holds(s, id)).length),
    primaries: ids.map((id) => ofType.filter((s) => s.node === id).length),
  };
}

const spread = (values: number[]): number => Math.max(...values) - Math.min(...values);

/** A small seeded PRNG (mulberry32), so a failing cluster can be built again from its seed. */
function prng(seed: number): { next(): number; int(min: number, max: number): number } {
  let a = seed >>> 0;
  const next = (): number => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
  return { next, int: (min, max) => min + Math.floor(next() * (max - min + 1)) };
}

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

/** A random cluster from a seed: 2 to 7 live nodes, one or two types, some nodes draining. */
function randomCluster(seed: number): {
  shards: Shard[];
  input: Omit<PlacementInput, 'shards'>;
  types: string[];
} {
  const random = prng(seed);
  const ids = Array.from({ length: random.int(2, 7) }, (_, i) => `n${i + 1}`);
  const types = random.next() < 0.5 ? ['a'] : ['a', 'b'];
  const live: PlacementNode[] = ids.map((id) => {
    const served = types.filter(() => random.next() < 0.75);
    return { id, types: served.length > 0 ? served : [types[0]!], draining: random.next() < 0.2 };
  });
  const factor = random.int(2, 3);
  const minInSync = random.int(1, factor);
  const shards: Shard[] = [];
  for (const type of types) {
    const serving = live.filter((n) => n.types.includes(type)).map((n) => n.id);
    for (let i = 0, count = random.int(1, 12); i < count; i += 1) {
      // Between one copy and the factor, on distinct nodes that serve the type.
      const pool = [...serving];
      const copies: string[] = [];
      for (let c = random.int(1, Math.min(factor, pool.length)); c > 0; c -= 1) {
        copies.push(...pool.splice(random.int(0, pool.length - 1), 1));
      }
      shards.push({ id: `${type}${i}`, type, node: copies[0]!, backups: copies.slice(1) });
    }
  }
  return { shards, input: { nodes: live, factor, minInSync }, types };
}

/** Live nodes that serve the type and are not draining: where its copies should be. */
const eligibleFor = (input: Omit<PlacementInput, 'shards'>, type: string): string[] =>
  input.nodes.filter((n) => !n.draining && n.types.includes(type)).map((n) => n.id);

const SEEDS = Array.from({ length: 300 }, (_, i) => i + 1);

describe('replica placement: random clusters', function () {
  it('converges within 10 rounds to full, distinct, evenly spread copies, off the draining nodes', function () {
    for (const seed of SEEDS) {
      const { shards, input, types } = randomCluster(seed);
      const context = `seed ${seed}: ${JSON.stringify(input)}`;
      try {
        converge(shards, input, 10);
      } catch (error) {
        throw new Error(`${context}: ${String(error)}`);
      }
      const draining = new Set(input.nodes.filter((n) => n.draining).map((n) => n.id));
      for (const type of types) {
        const eligible = eligibleFor(input, type);
        for (const s of shards.filter((x) => x.type === type)) {
          const copies = [s.node, ...s.backups];
          const where = `${context}, shard ${JSON.stringify(s)}`;
          const lacking = eligible.filter((id) => !holds(s, id));
          expect(new Set(copies).size, where).to.equal(copies.length);
          // The factor where enough nodes can hold it, else a copy on every node that can.
          if (eligible.length >= input.factor) expect(copies.length, where).to.equal(input.factor);
          else expect(lacking, where).to.deep.equal([]);
          // A copy stays on a draining node only where no other node could take it.
          if (copies.some((id) => draining.has(id))) expect(lacking, where).to.deep.equal([]);
          if (draining.has(s.node))
            expect(
              s.backups.filter((id) => !draining.has(id)),
              where,
            ).to.deep.equal([]);
        }
        if (eligible.length === 0) continue;
        const { replicas } = counts(shards, type, eligible);
        expect(
          spread(replicas),
          `${context}, type ${type}, copies per node ${replicas.join()}`,
        ).to.be.at.most(1);
      }
    }
  });

  // Handing over only from the node ranked last, and only straight to a backup, stopped short
  // of even primaries in 10 of these 300 clusters (seed 64 first, seed 125 needing a chain).
  it('evens out the primaries of each type to within one in the same clusters', function () {
    for (const seed of SEEDS) {
      const { shards, input, types } = randomCluster(seed);
      converge(shards, input, 10);
      for (const type of types) {
        const eligible = eligibleFor(input, type);
        if (eligible.length === 0) continue;
        const { primaries } = counts(shards, type, eligible);
        expect(
          spread(primaries),
          `seed ${seed}, type ${type}, primaries per node ${primaries.join()}`,
        ).to.be.at.most(1);
      }
    }
  });

  // n1, n2, n3 and n6 lead two shards each and n5 none; n6 ranks last and no backup of its
  // shards leads fewer than one, but n1 can hand a6 to n5.
  it('hands a primary over from any node that leads two more than another, not only the last ranked', function () {
    const ids = ['n1', 'n2', 'n3', 'n4', 'n5', 'n6', 'n7'];
    const shards = [
      shard('a0', 'n7', ['n5']),
      shard('a1', 'n6', ['n3']),
      shard('a2', 'n3', ['n6']),
      shard('a3', 'n6', ['n1']),
      shard('a4', 'n1', ['n4']),
      shard('a5', 'n3', ['n4']),
      shard('a6', 'n1', ['n5']),
      shard('a7', 'n2', ['n5']),
      shard('a8', 'n2', ['n7']),
      shard('a9', 'n4', ['n2']),
    ];
    converge(shards, { nodes: nodes(ids), factor: 2, minInSync: 2 });
    expect(spread(counts(shards, 'note', ids).primaries)).to.be.at.most(1);
  });
});

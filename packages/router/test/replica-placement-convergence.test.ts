/**
 * Placement over a few hundred seeded random clusters: applying plan after plan converges to
 * every shard's copies, on distinct nodes, evenly spread, and off the draining nodes.
 */
import { expect } from 'chai';
import type { PlacementInput, PlacementNode } from '../src/replica-placement.js';
import { converge, counts, holds, nodes, prng, shard, spread, type Shard } from './support/placement-sim.js';

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

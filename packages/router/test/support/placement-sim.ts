/**
 * A simulated map for the placement tests: shards as plain data, live nodes, and `apply`,
 * which carries a planned step out as the mover would, so a test can plan again until nothing
 * is left to do (`converge`). Also the counts a test judges a placement by, and a seeded PRNG.
 */
import { expect } from 'chai';
import {
  planReplicaActions,
  type PlacementInput,
  type PlacementNode,
  type ReplicaAction,
} from '../../src/replica-placement.js';

export interface Shard {
  id: string;
  type: string;
  node: string;
  backups: string[];
}

export const shard = (id: string, node: string, backups: string[], type = 'note'): Shard => ({
  id,
  type,
  node,
  backups,
});

/** Nodes `n1`… serving `note`; `draining` and `types` change some of them. */
export function nodes(
  ids: string[],
  options: { draining?: string[]; types?: Record<string, string[]> } = {},
): PlacementNode[] {
  return ids.map((id) => ({
    id,
    types: options.types?.[id] ?? ['note'],
    draining: options.draining?.includes(id) ?? false,
  }));
}

export const holds = (s: Shard, id: string): boolean => s.node === id || s.backups.includes(id);

/** Applies one step to the map as the mover does, checking that it is a step the map allows. */
export function apply(shards: Shard[], action: ReplicaAction, minInSync: number): void {
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
export function converge(
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
export function counts(
  shards: Shard[],
  type: string,
  ids: string[],
): { replicas: number[]; primaries: number[] } {
  const ofType = shards.filter((s) => s.type === type);
  return {
    replicas: ids.map((id) => ofType.filter((s) => holds(s, id)).length),
    primaries: ids.map((id) => ofType.filter((s) => s.node === id).length),
  };
}

export const spread = (values: number[]): number => Math.max(...values) - Math.min(...values);

/** A small seeded PRNG (mulberry32), so a failing cluster can be built again from its seed. */
export function prng(seed: number): { next(): number; int(min: number, max: number): number } {
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

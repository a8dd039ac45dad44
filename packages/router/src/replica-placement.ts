/**
 * Where the copies of replicated shards should be (DESIGN §6): pure functions, no I/O.
 *
 * `planReplicaActions` looks at the map and the live nodes and proposes the next steps, most
 * urgent first:
 * 1. **repair**: a shard with fewer copies than the factor gets one on another node;
 * 2. **drain**: a draining node hands its primaries to in-sync backups, then its backups move
 *    to other nodes (or, where no other node can take one, are removed while enough remain);
 * 3. **balance replicas**: a copy moves from the node with the most to the node with the fewest
 *    until counts differ by at most one;
 * 4. **balance primaries**: a primary is handed to an in-sync backup on a node with fewer
 *    primaries, or along a chain of such hand-overs, until counts differ by at most one.
 * The three copies of a shard are always on three different nodes, and a step never leaves a
 * shard with fewer copies than `minInSync`. Each shard appears in at most one step of a plan,
 * so the steps of one plan can run side by side. A move whose source is the primary is planned
 * as a hand-over of the primary first; the move follows in a later plan.
 */

/** A node as placement sees it. Only live nodes are given. */
export interface PlacementNode {
  readonly id: string;
  readonly types: readonly string[];
  /** Being emptied: it takes nothing new and gives everything away. */
  readonly draining: boolean;
}

/** A replicated shard: its primary and in-sync backups. */
export interface PlacedShard {
  readonly id: string;
  readonly type: string;
  readonly node: string;
  readonly backups: readonly string[];
}

export type ActionReason = 'repair' | 'drain' | 'balance';

export type ReplicaAction =
  | {
      readonly kind: 'add-replica';
      readonly shardId: string;
      readonly to: string;
      readonly reason: ActionReason;
    }
  | {
      readonly kind: 'move-replica';
      readonly shardId: string;
      readonly from: string;
      readonly to: string;
      readonly reason: ActionReason;
    }
  | {
      readonly kind: 'transfer-primary';
      readonly shardId: string;
      readonly from: string;
      readonly to: string;
      readonly reason: ActionReason;
    }
  | {
      readonly kind: 'remove-replica';
      readonly shardId: string;
      readonly from: string;
      readonly reason: ActionReason;
    };

export interface PlacementInput {
  readonly shards: readonly PlacedShard[];
  /** Live nodes (alive, not suspect or dead). */
  readonly nodes: readonly PlacementNode[];
  readonly factor: number;
  readonly minInSync: number;
  /** Shards left out of the plan for now (a step on them failed a moment ago). */
  readonly busy?: ReadonlySet<string>;
  /** Steps under way: counted as done, and their shards left out of the plan. */
  readonly inProgress?: readonly ReplicaAction[];
  /** At most this many steps (default: no limit). */
  readonly limit?: number;
}

/**
 * The steps that make `to` the primary of `shard` (an operator's move): a hand-over if `to` is
 * a backup; else a copy there, a hand-over and the removal of the old primary's copy.
 */
export function primaryMoveSteps(shard: PlacedShard, to: string): ReplicaAction[] {
  const { id: shardId, node: from } = shard;
  if (to === from) return [];
  const handOver: ReplicaAction = { kind: 'transfer-primary', shardId, from, to, reason: 'balance' };
  if (shard.backups.includes(to)) return [handOver];
  return [
    { kind: 'add-replica', shardId, to, reason: 'balance' },
    handOver,
    { kind: 'remove-replica', shardId, from, reason: 'balance' },
  ];
}

/** The next steps towards a placement where every shard has its copies, evenly spread. */
export function planReplicaActions(input: PlacementInput): ReplicaAction[] {
  const plan = new Plan(input);
  plan.repair();
  plan.drainPrimaries();
  plan.drainReplicas();
  plan.balanceReplicas();
  plan.balancePrimaries();
  return plan.actions;
}

class Plan {
  readonly actions: ReplicaAction[] = [];
  readonly #input: PlacementInput;
  readonly #taken = new Set<string>();
  readonly #live: Map<string, PlacementNode>;
  /** Per type, the copies and primaries of each node, as they will be once the planned steps are done. */
  readonly #counts = new Map<string, Map<string, { replicas: number; primaries: number }>>();

  constructor(input: PlacementInput) {
    this.#input = input;
    this.#live = new Map(input.nodes.map((n) => [n.id, n]));
    for (const shard of input.shards) {
      this.#count(shard.type, shard.node).primaries += 1;
      for (const id of [shard.node, ...shard.backups]) this.#count(shard.type, id).replicas += 1;
    }
    const byId = new Map(input.shards.map((s) => [s.id, s]));
    for (const action of input.inProgress ?? []) {
      const shard = byId.get(action.shardId);
      this.#taken.add(action.shardId);
      if (shard) this.#apply(action, shard);
    }
  }

  repair(): void {
    for (const shard of this.#open()) {
      const copies = 1 + shard.backups.length;
      if (copies >= this.#input.factor || !this.#live.has(shard.node)) continue;
      const to = this.#fewest(shard.type, this.#targetsFor(shard), 'replicas');
      if (to) this.#add({ kind: 'add-replica', shardId: shard.id, to, reason: 'repair' }, shard);
    }
  }

  drainPrimaries(): void {
    for (const shard of this.#open()) {
      if (!this.#live.get(shard.node)?.draining) continue;
      const to = this.#fewest(shard.type, this.#eligibleBackups(shard), 'primaries');
      if (to)
        this.#add(
          { kind: 'transfer-primary', shardId: shard.id, from: shard.node, to, reason: 'drain' },
          shard,
        );
    }
  }

  drainReplicas(): void {
    for (const shard of this.#open()) {
      const from = shard.backups.find((id) => this.#live.get(id)?.draining);
      if (from === undefined) continue;
      const to = this.#fewest(shard.type, this.#targetsFor(shard), 'replicas');
      if (to) {
        this.#add({ kind: 'move-replica', shardId: shard.id, from, to, reason: 'drain' }, shard);
      } else if (shard.backups.length >= this.#input.minInSync) {
        // No other node can take it: the shard keeps one copy fewer, never fewer than minInSync.
        this.#add({ kind: 'remove-replica', shardId: shard.id, from, reason: 'drain' }, shard);
      }
    }
  }

  balanceReplicas(): void {
    for (const type of this.#types()) {
      for (;;) {
        const ranked = this.#ranked(type, 'replicas');
        const fewest = ranked[0];
        const most = ranked[ranked.length - 1];
        if (!fewest || !most || this.#count(type, most).replicas - this.#count(type, fewest).replicas <= 1)
          break;
        const movable = (shard: PlacedShard): boolean => shard.type === type && !this.#holds(shard, fewest);
        // A backup moves without a hand-over; a primary is handed over first.
        const backup = this.#open().find((s) => s.backups.includes(most) && movable(s));
        if (backup) {
          this.#add(
            { kind: 'move-replica', shardId: backup.id, from: most, to: fewest, reason: 'balance' },
            backup,
          );
          continue;
        }
        const led = this.#open().find((s) => s.node === most && movable(s));
        const to = led && this.#fewest(type, this.#eligibleBackups(led), 'primaries');
        if (!led || !to) break;
        this.#add({ kind: 'transfer-primary', shardId: led.id, from: most, to, reason: 'balance' }, led);
      }
    }
  }

  balancePrimaries(): void {
    for (const type of this.#types()) {
      for (;;) {
        const ranked = this.#ranked(type, 'primaries');
        const fewest = ranked[0];
        const most = ranked[ranked.length - 1];
        if (!fewest || !most) break;
        if (this.#count(type, most).primaries - this.#count(type, fewest).primaries <= 1) break;
        const chain = this.#handOverChain(type, [...ranked].reverse());
        if (!chain) break;
        for (const step of chain) {
          const action: ReplicaAction = {
            kind: 'transfer-primary',
            shardId: step.shard.id,
            from: step.shard.node,
            to: step.to,
            reason: 'balance',
          };
          this.#add(action, step.shard);
        }
      }
    }
  }

  /**
   * The shortest chain of hand-overs that moves one primary's worth of load from a node leading
   * the most to one leading at least two fewer: each link hands a shard the node leads to one of
   * that shard's backups. The nodes in between lead as many as before. Undefined if there is none.
   */
  #handOverChain(
    type: string,
    donors: readonly string[],
  ): Array<{ shard: PlacedShard; to: string }> | undefined {
    const open = this.#open().filter((s) => s.type === type);
    if (open.length === 0) return undefined;
    for (const donor of donors) {
      const led = this.#count(type, donor).primaries;
      const via = new Map<string, { shard: PlacedShard; from: string }>();
      const queue = [donor];
      const seen = new Set(queue);
      while (queue.length > 0) {
        const node = queue.shift()!;
        const candidates = open.filter((s) => s.node === node);
        for (const shard of candidates) {
          for (const next of this.#eligibleBackups(shard)) {
            if (seen.has(next)) continue;
            seen.add(next);
            via.set(next, { shard, from: node });
            if (this.#count(type, next).primaries <= led - 2) {
              const chain: Array<{ shard: PlacedShard; to: string }> = [];
              for (let at = next; at !== donor;) {
                const link = via.get(at)!;
                chain.unshift({ shard: link.shard, to: at });
                at = link.from;
              }
              // A shard appears at most once in a plan.
              return new Set(chain.map((c) => c.shard.id)).size === chain.length ? chain : undefined;
            }
            queue.push(next);
          }
        }
      }
    }
    return undefined;
  }

  /** Shards neither busy nor already in this plan, while the plan has room. */
  #open(): PlacedShard[] {
    if (this.actions.length >= (this.#input.limit ?? Infinity)) return [];
    return this.#input.shards.filter((s) => !this.#taken.has(s.id) && !this.#input.busy?.has(s.id));
  }

  #add(action: ReplicaAction, shard: PlacedShard): void {
    if (this.actions.length >= (this.#input.limit ?? Infinity)) return;
    this.actions.push(action);
    this.#taken.add(shard.id);
    this.#apply(action, shard);
  }

  /** Counts the step as done. */
  /**
   * Counts the step as done. A step under way may be done in part already (a move whose new
   * copy is in the map, its old one not yet removed): only what the map does not show yet counts.
   */
  #apply(action: ReplicaAction, shard: PlacedShard): void {
    const count = (id: string): { replicas: number; primaries: number } => this.#count(shard.type, id);
    const holds = (id: string): boolean => this.#holds(shard, id);
    if ((action.kind === 'add-replica' || action.kind === 'move-replica') && !holds(action.to)) {
      count(action.to).replicas += 1;
    }
    if ((action.kind === 'move-replica' || action.kind === 'remove-replica') && holds(action.from)) {
      count(action.from).replicas -= 1;
    }
    if (action.kind === 'transfer-primary' && shard.node !== action.to) {
      count(action.to).primaries += 1;
      count(action.from).primaries -= 1;
    }
  }

  #types(): string[] {
    return [...new Set(this.#input.shards.map((s) => s.type))].sort();
  }

  /** Live, non-draining nodes serving `type`, from the fewest to the most of `what`. */
  #ranked(type: string, what: 'replicas' | 'primaries'): string[] {
    const ids = [...this.#live.values()]
      .filter((n) => !n.draining && n.types.includes(type))
      .map((n) => n.id);
    return sortByCount(ids, (id) => this.#count(type, id)[what]);
  }

  /** Live, non-draining nodes that serve the shard's type and hold no copy of it. */
  #targetsFor(shard: PlacedShard): string[] {
    return [...this.#live.values()]
      .filter((n) => !n.draining && n.types.includes(shard.type) && !this.#holds(shard, n.id))
      .map((n) => n.id);
  }

  /** The shard's in-sync backups on live, non-draining nodes. */
  #eligibleBackups(shard: PlacedShard): string[] {
    return shard.backups.filter((id) => {
      const node = this.#live.get(id);
      return node !== undefined && !node.draining;
    });
  }

  #holds(shard: PlacedShard, id: string): boolean {
    return shard.node === id || shard.backups.includes(id);
  }

  /** The candidate with the lowest count (ties: the lower id), or undefined if none. */
  #fewest(type: string, candidates: readonly string[], what: 'replicas' | 'primaries'): string | undefined {
    return sortByCount(candidates, (id) => this.#count(type, id)[what])[0];
  }

  #count(type: string, id: string): { replicas: number; primaries: number } {
    let byNode = this.#counts.get(type);
    if (!byNode)
      this.#counts.set(type, (byNode = new Map<string, { replicas: number; primaries: number }>()));
    let entry = byNode.get(id);
    if (!entry) byNode.set(id, (entry = { replicas: 0, primaries: 0 }));
    return entry;
  }
}

function sortByCount(ids: readonly string[], count: (id: string) => number): string[] {
  return [...ids].sort((a, b) => count(a) - count(b) || a.localeCompare(b, 'en', { numeric: true }));
}

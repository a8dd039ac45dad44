/**
 * The rebalancer: it plans and carries out steps over the fake cluster until a plan is empty,
 * never more than `maxConcurrent` at once, shows the steps under way as moves, and leaves a
 * shard whose step failed alone for a while before planning it again.
 */
import { expect } from 'chai';
import { IsxError } from '@isx/core';
import { planReplicaActions } from '../src/replica-placement.js';
import { closeWorldsAfterEach, ranges, until, world, type World } from './support/replica-sets.js';

/** Copies wait until the test lets them go, one by one, in the order they came (or it ends). */
function holdCopies(w: World): { held: Array<{ release(): void }>; most: () => number } {
  const held: Array<{ release(): void }> = [];
  let open = 0;
  let most = 0;
  w.calls.answer = async (node, path, body) => {
    if (path === '/internal/shards/copy') {
      open += 1;
      most = Math.max(most, open);
      await new Promise<void>((release) => held.push({ release }));
      open -= 1;
    }
    return w.calls.reply(node, path, body);
  };
  w.teardown.push(() => held.forEach((h) => h.release()));
  return { held, most: () => most };
}

/** What a fresh plan over the world's map and live nodes proposes. */
function replan(w: World): ReturnType<typeof planReplicaActions> {
  const nodes = [...w.live].map(([id, n]) => ({ id, types: n.types, draining: n.draining }));
  return planReplicaActions({ shards: w.cluster.placed(), nodes, factor: 3, minInSync: 2 });
}

describe('the rebalancer', function () {
  closeWorldsAfterEach();

  it('runs steps until a fresh plan is empty: two under-replicated shards get their third copies', async function () {
    const [lower, upper] = ranges(2);
    const w = world({
      note: [
        { id: 's1', range: lower!, node: 'n1', backups: ['n2'], epoch: 1 },
        { id: 's2', range: upper!, node: 'n2', backups: ['n3'], epoch: 1 },
      ],
    });
    for (const id of ['n4', 'n5']) w.live.delete(id);
    w.rebalancer.kick();
    await w.rebalancer.settled();
    expect(w.cluster.shard('s1')).to.deep.include({ node: 'n1', backups: ['n2', 'n3'], epoch: 2 });
    expect(w.cluster.shard('s2')).to.deep.include({ node: 'n2', backups: ['n3', 'n1'], epoch: 2 });
    expect(w.steps).to.have.deep.members([
      { action: { kind: 'add-replica', shardId: 's1', to: 'n3', reason: 'repair' }, ok: true },
      { action: { kind: 'add-replica', shardId: 's2', to: 'n1', reason: 'repair' }, ok: true },
    ]);
    expect(replan(w)).to.deep.equal([]);
    expect(w.rebalancer.moves).to.deep.equal([]);
  });

  it('spreads the copies onto a node that joined, moving replicas and dropping the old copies', async function () {
    const three = ['n1', 'n2', 'n3'];
    const w = world({
      note: ranges(6).map((range, i) => ({
        id: `s${i + 1}`,
        range,
        node: three[i % 3]!,
        backups: [three[(i + 1) % 3]!, three[(i + 2) % 3]!],
        epoch: 1,
      })),
    });
    w.live.delete('n5');
    w.rebalancer.kick();
    await w.rebalancer.settled();
    expect(replan(w)).to.deep.equal([]);
    const shards = w.cluster.placed();
    for (const s of shards) expect(new Set([s.node, ...s.backups]).size).to.equal(3);
    const held = (id: string): number => shards.filter((s) => s.node === id || s.backups.includes(id)).length;
    expect(['n1', 'n2', 'n3', 'n4'].map(held)).to.have.members([4, 5, 5, 4]);
    expect(w.steps.every((s) => s.ok)).to.equal(true);
    // Each node that lost a copy was told to drop it.
    const drops = w.calls.posts.filter((p) => p.path === '/internal/shards/drop');
    const moves = w.steps.filter((s) => s.action.kind === 'move-replica');
    expect(moves).to.not.deep.equal([]);
    expect(drops.map((p) => [p.node, (p.body as { shardId: string }).shardId])).to.have.deep.members(
      moves.map((m) => [m.action.kind === 'move-replica' ? m.action.from : '', m.action.shardId]),
    );
  });

  it('runs no more than maxConcurrent steps at once', async function () {
    const ids = ['s1', 's2', 's3', 's4', 's5'];
    const w = world(
      { note: ranges(5).map((range, i) => ({ id: ids[i]!, range, node: 'n1', backups: ['n2'], epoch: 1 })) },
      { maxConcurrent: 3 },
    );
    for (const id of ['n4', 'n5']) w.live.delete(id);
    const copies = holdCopies(w);
    w.rebalancer.kick();
    await until(() => copies.held.length === 3);
    expect(w.rebalancer.moves).to.have.length(3);
    w.rebalancer.kick();
    // Each step that ends makes room for one more.
    for (let i = 0; i < ids.length; i += 1) {
      copies.held[i]!.release();
      if (i + 3 < ids.length) await until(() => copies.held.length === i + 4);
    }
    await w.rebalancer.settled();
    expect(copies.most()).to.equal(3);
    const repairs = w.steps.filter((s) => s.action.reason === 'repair');
    expect(repairs.map((s) => s.action.shardId)).to.have.members(ids);
    for (const id of ids) {
      const { node, backups = [] } = w.cluster.shard(id);
      expect([node, ...backups]).to.have.members(['n1', 'n2', 'n3']);
    }
  });

  it('shows a step under way as a move with its phase and progress', async function () {
    const w = world({ note: [{ id: 's1', range: ranges(1)[0]!, node: 'n1', backups: ['n2'], epoch: 1 }] });
    for (const id of ['n4', 'n5']) w.live.delete(id);
    w.calls.status = (_node, shardId) => ({ shardId, seq: 12, entities: 5 });
    const copies = holdCopies(w);
    w.rebalancer.kick();
    await until(() => copies.held.length === 1);
    const [move, ...others] = w.rebalancer.moves;
    expect(others).to.deep.equal([]);
    expect(move).to.deep.include({
      shardId: 's1',
      type: 'note',
      kind: 'add-replica',
      reason: 'repair',
      from: 'n1',
      to: 'n3',
      phase: 'copying',
      entitiesCopied: 0,
      bytesCopied: 0,
      entitiesTotal: 5,
    });
    expect(move?.startedAt).to.be.a('string');
    expect(w.rebalancer.isBusy('s1')).to.equal(true);
    copies.held[0]!.release();
    await w.rebalancer.settled();
    expect(w.rebalancer.moves).to.deep.equal([]);
    expect(w.rebalancer.isBusy('s1')).to.equal(false);
    expect(w.cluster.shard('s1').backups).to.deep.equal(['n2', 'n3']);
  });

  it('leaves a shard whose step failed alone, and plans it again after the pause', async function () {
    this.timeout(10_000);
    const [lower, upper] = ranges(2);
    const w = world({
      note: [
        { id: 's1', range: lower!, node: 'n1', backups: ['n2'], epoch: 1 },
        { id: 's2', range: upper!, node: 'n2', backups: ['n1'], epoch: 1 },
      ],
    });
    for (const id of ['n4', 'n5']) w.live.delete(id);
    let failing = true;
    const tries = (): number =>
      w.calls.posts.filter(
        (p) => p.path === '/internal/shards/copy' && (p.body as { shardId: string }).shardId === 's1',
      ).length;
    w.calls.answer = (node, path, body) =>
      failing && path === '/internal/shards/copy' && (body as { shardId: string }).shardId === 's1'
        ? Promise.reject(new IsxError('NODE_ERROR', 'disk full'))
        : w.calls.reply(node, path, body);
    w.rebalancer.kick();
    await w.rebalancer.settled();
    expect(tries()).to.equal(1);
    expect(w.steps.map((s) => [s.action.shardId, s.ok])).to.have.deep.members([
      ['s1', false],
      ['s2', true],
    ]);
    expect(w.cluster.shard('s1')).to.deep.include({ backups: ['n2'], epoch: 1 });
    // Asked again at once, it still leaves s1 alone.
    w.rebalancer.kick();
    await w.rebalancer.settled();
    expect(tries()).to.equal(1);
    // Once the pause is over, s1 is planned again.
    failing = false;
    await new Promise((resolve) => setTimeout(resolve, 2_100));
    w.rebalancer.kick();
    await w.rebalancer.settled();
    expect(tries()).to.equal(2);
    expect(w.cluster.shard('s1')).to.deep.include({ backups: ['n2', 'n3'], epoch: 2 });
  });

  // A move is addReplica then removeReplica; should the new copy be abandoned (the set changed
  // under it), removing the source would leave s1 with its primary alone, below minInSync.
  it('does not remove the source of a move whose new copy was abandoned', async function () {
    const w = world({
      note: [{ id: 's1', range: ranges(1)[0]!, node: 'n1', backups: ['n2', 'n3'], epoch: 2 }],
    });
    w.live.delete('n5');
    w.live.get('n3')!.draining = true;
    let dropped = false;
    w.calls.answer = async (node, path, body) => {
      // While n4 copies s1 to replace n3, n1 reports n2: the set changes under the move.
      if (path === '/internal/shards/copy' && !dropped) {
        dropped = true;
        await w.coordinator.drop({ shardId: 's1', epoch: 2, node: 'n2' });
      }
      return w.calls.reply(node, path, body);
    };
    w.rebalancer.kick();
    await w.rebalancer.settled();
    const sets = w.cluster.commits.map((c) => c.config.types['note']!.shards[0]!.backups ?? []);
    for (const backups of sets) expect(1 + backups.length, JSON.stringify(sets)).to.be.at.least(2);
  });
});

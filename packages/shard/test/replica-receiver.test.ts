/**
 * The backup's side of replication against a real Level store: entries are applied strictly
 * in order with their log position, and entries from a replaced epoch or at a conflicting
 * position are refused with the code the primary acts on.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { expect } from 'chai';
import { pino } from 'pino';
import { parseClusterConfig, ShardMap, type ReplicateRequest, type ShardAssignment } from '@isx/core';
// The store and ownership come from src, not '@isx/shard' (dist): their classes have #private
// fields, so TypeScript treats the dist and src declarations as different types.
import { EntityStore } from '../src/entity-store.js';
import { MapOwnership } from '../src/ownership.js';
import { LogPositions } from '../src/replication/log-position.js';
import { ReplicaReceiver } from '../src/replication/replica-receiver.js';
import { rejection } from './support/rejection.js';

const SHARD = 'note-1';
const SELF = 'node-b';

/** A one-shard map in which node-a is the primary and `backups` back it up in `epoch`. */
function mapAt(epoch: number, backups: string[] = [SELF], version = epoch + 1): ShardMap {
  const shard: ShardAssignment = {
    id: SHARD,
    range: { start: '', end: null },
    node: 'node-a',
    backups,
    epoch,
  };
  return new ShardMap(
    parseClusterConfig({
      nodes: {
        'node-a': { url: 'http://node-a.test:4001' },
        'node-b': { url: 'http://node-b.test:4002' },
        'node-c': { url: 'http://node-c.test:4003' },
      },
      types: { note: { partitioner: 'hash', shards: [shard] } },
      replication: { factor: 3, minInSync: 2 },
    }),
    version,
  );
}

/** Entry `seq` of epoch `epoch`, writing `text` to the note `key`. */
function entry(seq: number, epoch: number, key = `k${seq}`, text = `v${seq}`): ReplicateRequest {
  return {
    shardId: SHARD,
    epoch,
    seq,
    entities: [
      {
        type: 'note',
        partitionKey: `p-${key}`,
        key,
        value: { version: 1, data: { text }, updatedAt: '2024-05-01T12:00:00.000Z' },
      },
    ],
  };
}

describe('the replica receiver (a backup taking entries of a shard log)', function () {
  let directory: string;
  let store: EntityStore;
  let ownership: MapOwnership;
  let positions: LogPositions;
  let pulls: number;
  /** What the next pullMap adopts, if anything. */
  let pulled: ShardMap | undefined;

  function receiver(): ReplicaReceiver {
    return new ReplicaReceiver({
      store,
      positions,
      ownership,
      pullMap: () => {
        pulls += 1;
        if (pulled) ownership.update(pulled);
        return Promise.resolve();
      },
    });
  }

  const textOf = async (key: string): Promise<unknown> =>
    (await store.getEntity('note', `p-${key}`, key))?.data?.text;

  beforeEach(async () => {
    directory = await mkdtemp(join(tmpdir(), 'isx-replica-receiver-'));
    store = await EntityStore.open(directory);
    positions = new LogPositions(store);
    ownership = new MapOwnership(SELF, mapAt(1));
    pulls = 0;
    pulled = undefined;
  });

  afterEach(async () => {
    await store.close();
    await rm(directory, { recursive: true, force: true });
  });

  it('applies entries in order and records the position of the last one', async function () {
    const backup = receiver();
    expect(await backup.apply(entry(1, 1))).to.deep.equal({ seq: 1 });
    expect(await backup.apply(entry(2, 1))).to.deep.equal({ seq: 2 });
    expect(await textOf('k1')).to.equal('v1');
    expect(await textOf('k2')).to.equal('v2');
    expect(await positions.get(SHARD)).to.deep.equal({ seq: 2, epoch: 1 });
    expect(await store.getMeta(`log-position/${SHARD}`)).to.deep.equal({ seq: 2, epoch: 1 });
  });

  it('logs each entry it applies at debug level, with the request ids, its node id, the shard and the epoch', async function () {
    const lines: Array<Record<string, unknown>> = [];
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        lines.push(JSON.parse(chunk.toString('utf8')) as Record<string, unknown>);
        done();
      },
    });
    const backup = new ReplicaReceiver({
      store,
      positions,
      ownership,
      pullMap: () => Promise.resolve(),
      logger: pino({ level: 'debug' }, sink),
    });
    await backup.apply({ ...entry(1, 1), requestIds: ['req-1', 'req-2'] });
    await backup.apply(entry(1, 1));
    expect(
      lines.map((line) => [line.msg, line.requestId, line.node, line.shard, line.epoch, line.seq]),
    ).to.deep.equal([['applied a replicated entry', 'req-1,req-2', SELF, SHARD, 1, 1]]);
  });

  it('applies entries sent together one at a time, in the order they were sent', async function () {
    const backup = receiver();
    const answers = await Promise.all([1, 2, 3].map((seq) => backup.apply(entry(seq, 1))));
    expect(answers).to.deep.equal([{ seq: 1 }, { seq: 2 }, { seq: 3 }]);
    expect(await positions.get(SHARD)).to.deep.equal({ seq: 3, epoch: 1 });
  });

  it('acknowledges a resent last entry of the same epoch without applying it again', async function () {
    const backup = receiver();
    await backup.apply(entry(1, 1, 'k1', 'first'));
    expect(await backup.apply(entry(1, 1, 'k1', 'resent'))).to.deep.equal({ seq: 1 });
    expect(await textOf('k1')).to.equal('first');
    expect(await positions.get(SHARD)).to.deep.equal({ seq: 1, epoch: 1 });
  });

  it('refuses an entry that skips a position with REPLICATION_GAP and applies nothing', async function () {
    const backup = receiver();
    await backup.apply(entry(1, 1));
    const error = await rejection(backup.apply(entry(3, 1)));
    expect(error.code).to.equal('REPLICATION_GAP');
    expect(await textOf('k3')).to.equal(undefined);
    expect(await positions.get(SHARD)).to.deep.equal({ seq: 1, epoch: 1 });
  });

  it('refuses a first entry other than 1 with REPLICATION_GAP', async function () {
    const error = await rejection(receiver().apply(entry(2, 1)));
    expect(error.code).to.equal('REPLICATION_GAP');
    expect(await textOf('k2')).to.equal(undefined);
  });

  it('refuses a held position from another epoch with REPLICATION_GAP and keeps what it holds', async function () {
    const backup = receiver();
    await backup.apply(entry(1, 1, 'k1', 'epoch-1'));
    ownership.update(mapAt(2));
    const error = await rejection(backup.apply(entry(1, 2, 'k1', 'epoch-2')));
    expect(error.code).to.equal('REPLICATION_GAP');
    expect(await textOf('k1')).to.equal('epoch-1');
    expect(await positions.get(SHARD)).to.deep.equal({ seq: 1, epoch: 1 });
  });

  it('goes on with the next position in a new epoch', async function () {
    const backup = receiver();
    await backup.apply(entry(1, 1));
    ownership.update(mapAt(2));
    expect(await backup.apply(entry(2, 2))).to.deep.equal({ seq: 2 });
    expect(await positions.get(SHARD)).to.deep.equal({ seq: 2, epoch: 2 });
  });

  it('refuses an entry from an epoch older than the map with STALE_EPOCH and applies nothing', async function () {
    ownership.update(mapAt(3));
    const error = await rejection(receiver().apply(entry(1, 2)));
    expect(error.code).to.equal('STALE_EPOCH');
    expect(await textOf('k1')).to.equal(undefined);
    expect(await positions.get(SHARD)).to.deep.equal({ seq: 0, epoch: 0 });
  });

  it('refuses an epoch older than one it accepted, even while its map is older still', async function () {
    const backup = receiver();
    // The pull finds nothing newer, so the entry of epoch 3 is taken on the map of epoch 1.
    expect(await backup.apply(entry(1, 3))).to.deep.equal({ seq: 1 });
    expect(ownership.map?.assignment(SHARD)?.epoch).to.equal(1);
    const error = await rejection(backup.apply(entry(2, 2)));
    expect(error.code).to.equal('STALE_EPOCH');
    expect(await textOf('k2')).to.equal(undefined);
    expect(await positions.get(SHARD)).to.deep.equal({ seq: 1, epoch: 3 });
  });

  it('refuses an entry with STALE_EPOCH when its map does not list this node as a backup', async function () {
    ownership.update(mapAt(2, ['node-c']));
    const error = await rejection(receiver().apply(entry(1, 2)));
    expect(error.code).to.equal('STALE_EPOCH');
    expect(await textOf('k1')).to.equal(undefined);
  });

  it('refuses an entry with STALE_EPOCH for a shard whose assignment has no backups', async function () {
    const shard: ShardAssignment = { id: SHARD, range: { start: '', end: null }, node: 'node-a' };
    const unreplicated = new ShardMap(
      parseClusterConfig({
        nodes: { 'node-a': { url: 'http://node-a.test:4001' } },
        types: { note: { partitioner: 'hash', shards: [shard] } },
      }),
      1,
    );
    ownership = new MapOwnership(SELF, unreplicated);
    const error = await rejection(receiver().apply(entry(1, 0)));
    expect(error.code).to.equal('STALE_EPOCH');
  });

  it('pulls the map for an entry from a newer epoch and takes it once the pulled map lists this node', async function () {
    ownership.update(mapAt(1, ['node-c']));
    pulled = mapAt(2, [SELF, 'node-c'], 10);
    expect(await receiver().apply(entry(1, 2))).to.deep.equal({ seq: 1 });
    expect(pulls).to.equal(1);
    expect(ownership.map?.version).to.equal(10);
    expect(await textOf('k1')).to.equal('v1');
  });

  it('does not pull the map for an entry from the epoch it already has', async function () {
    await receiver().apply(entry(1, 1));
    expect(pulls).to.equal(0);
  });

  it('refuses an entry from a newer epoch with STALE_EPOCH when the pulled map still leaves this node out', async function () {
    ownership.update(mapAt(1, ['node-c']));
    pulled = mapAt(2, ['node-c'], 10);
    const error = await rejection(receiver().apply(entry(1, 2)));
    expect(error.code).to.equal('STALE_EPOCH');
    expect(pulls).to.equal(1);
    expect(await textOf('k1')).to.equal(undefined);
  });

  it('keeps its position across a reopen of the store and goes on from it', async function () {
    await receiver().apply(entry(1, 1));
    await receiver().apply(entry(2, 1));
    await store.close();
    store = await EntityStore.open(directory);
    positions = new LogPositions(store);
    const reopened = receiver();
    expect(await reopened.status(SHARD)).to.deep.equal({ shardId: SHARD, seq: 2 });
    expect(await reopened.apply(entry(2, 1, 'k2', 'resent'))).to.deep.equal({ seq: 2 });
    expect((await rejection(reopened.apply(entry(4, 1)))).code).to.equal('REPLICATION_GAP');
    expect(await reopened.apply(entry(3, 1))).to.deep.equal({ seq: 3 });
    expect(await textOf('k2')).to.equal('v2');
    expect(await textOf('k3')).to.equal('v3');
  });

  it('reports seq 0 for a shard it holds nothing of, and the last applied seq after entries', async function () {
    const backup = receiver();
    expect(await backup.status(SHARD)).to.deep.equal({ shardId: SHARD, seq: 0 });
    await backup.apply(entry(1, 1));
    expect(await backup.status(SHARD)).to.deep.equal({ shardId: SHARD, seq: 1 });
  });

  it('goes on taking entries after one was refused', async function () {
    const backup = receiver();
    const [refused, taken] = await Promise.allSettled([backup.apply(entry(2, 1)), backup.apply(entry(1, 1))]);
    expect(refused.status).to.equal('rejected');
    expect(taken).to.deep.equal({ status: 'fulfilled', value: { seq: 1 } });
  });
});

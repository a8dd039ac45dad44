import { expect } from 'chai';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
// From src, not '@isx/shard': EntityStore has #private fields, so dist and src copies differ as types.
import { EntityStore } from '../src/entity-store.js';
import { LOG_TAIL, LogPositions } from '../src/replication/log-position.js';

describe('the kept tail of a shard log', function () {
  let dir: string;
  let store: EntityStore;

  beforeEach(async function () {
    dir = await mkdtemp(join(tmpdir(), 'isx-log-'));
    store = await EntityStore.open(dir);
  });

  afterEach(async function () {
    await store.close();
    await rm(dir, { recursive: true, force: true });
  });

  async function append(positions: LogPositions, seq: number, epoch: number): Promise<void> {
    const entry = {
      seq,
      epoch,
      entities: [{ type: 'note', partitionKey: 'p', key: `k${seq}`, value: { version: 1, updatedAt: 'x' } }],
    };
    await store.write([positions.op('s1', { seq, epoch }), ...positions.entryOps('s1', entry)]);
  }

  it('gives the entries after one it keeps, in order', async function () {
    const positions = new LogPositions(store);
    for (let seq = 1; seq <= 5; seq += 1) await append(positions, seq, seq < 4 ? 1 : 2);
    const after = await positions.entriesAfter('s1', 3, 1);
    expect(after?.map((e) => [e.seq, e.epoch])).to.deep.equal([
      [4, 2],
      [5, 2],
    ]);
  });

  it('refuses when the entry it starts from came from another epoch: the replica diverged', async function () {
    const positions = new LogPositions(store);
    for (let seq = 1; seq <= 3; seq += 1) await append(positions, seq, 2);
    expect(await positions.entriesAfter('s1', 2, 1)).to.equal(undefined);
  });

  it('refuses when it no longer keeps the entry it starts from', async function () {
    const positions = new LogPositions(store);
    for (let seq = 1; seq <= LOG_TAIL + 3; seq += 1) await append(positions, seq, 1);
    expect(await positions.entriesAfter('s1', 2, 1)).to.equal(undefined);
    expect(await positions.entriesAfter('s1', 4, 1)).to.have.length(LOG_TAIL - 1);
  });

  it('gives nothing after the last entry, and refuses one it never had', async function () {
    const positions = new LogPositions(store);
    await append(positions, 1, 1);
    expect(await positions.entriesAfter('s1', 1, 1)).to.deep.equal([]);
    expect(await positions.entriesAfter('s1', 7, 1)).to.equal(undefined);
  });
  it('gives nothing to a replica at its own position when it took the shard by a copy and keeps no entry', async function () {
    // A copy records the position it was taken at, without the entry: the node that copied
    // may later lead the shard and be asked to serve a replica at that same position.
    const positions = new LogPositions(store);
    await store.write([positions.op('s1', { seq: 2, epoch: 7 })]);
    expect(await positions.entriesAfter('s1', 2, 7)).to.deep.equal([]);
    expect(await positions.entriesAfter('s1', 2, 6), 'another epoch: diverged').to.equal(undefined);
    expect(await positions.entriesAfter('s1', 1, 7), 'an earlier entry it does not keep').to.equal(undefined);
  });
});

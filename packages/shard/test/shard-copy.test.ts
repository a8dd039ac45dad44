/**
 * The copy step on the target, against a source whose answers nock plays: a copy cut short
 * must leave neither the old range nor the shard's log position behind, so the next attempt
 * copies again instead of trusting a position over a range that no longer holds its data.
 * (Found by the activities-kill-receiver experiment: a replica whose copy failed after it
 * had cleared its range later "caught up from the log", was promoted, and lost records.)
 */
import { expect } from 'chai';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import nock from 'nock';
// From src, not '@isx/shard': EntityStore has #private fields, so dist and src copies differ as types.
import { EntityStore } from '../src/entity-store.js';
import { LogPositions } from '../src/replication/log-position.js';
import { copyShard } from '../src/shard-copy.js';

const SOURCE = 'http://source.test:4000';
const request = {
  shardId: 'note-1',
  type: 'note',
  range: { start: '', end: null },
  sourceUrl: SOURCE,
};
const line = (key: string, version: number) =>
  JSON.stringify({ key, partitionKey: key, value: { version, updatedAt: 'then', data: { key } } });

// Importing nock switches its interceptor on for every suite; keep it to this one.
nock.restore();

describe('copying a shard onto a replica', function () {
  before(() => {
    nock.activate();
    nock.disableNetConnect();
  });
  after(() => {
    nock.enableNetConnect();
    nock.restore();
  });
  let dir: string;
  let store: EntityStore;
  let positions: LogPositions;

  beforeEach(async function () {
    dir = await mkdtemp(join(tmpdir(), 'isx-copy-'));
    store = await EntityStore.open(dir);
    positions = new LogPositions(store);
    // The replica held the shard before, at entry 40 of epoch 3.
    await store.write([
      {
        kind: 'put-entity',
        type: 'note',
        partitionKey: 'a',
        key: 'a',
        value: { version: 1, updatedAt: 'x' },
      },
      positions.op('note-1', { seq: 40, epoch: 3 }),
    ]);
    positions.written('note-1', { seq: 40, epoch: 3 });
  });

  afterEach(async function () {
    nock.cleanAll();
    await store.close();
    await rm(dir, { recursive: true, force: true });
  });

  const keysHeld = async (): Promise<string[]> => {
    const keys: string[] = [];
    for await (const entity of store.scan('note', request.range)) keys.push(entity.key);
    return keys;
  };

  it('forgets the old range and its log position when the source fails, so nothing trusts them', async function () {
    nock(SOURCE)
      .get('/internal/shards/export')
      .query(true)
      .reply(503, { error: { code: 'NODE_UNAVAILABLE' } });
    const failed = await copyShard({ store, request, token: 't', positions }).then(
      () => undefined,
      (error: Error) => error,
    );
    expect(failed?.message).to.match(/answered 503/);
    expect(await keysHeld()).to.deep.equal([]);
    expect(await positions.recorded('note-1'), 'no position is left over the emptied range').to.equal(false);
    expect(await positions.get('note-1')).to.deep.equal({ seq: 0, epoch: 0 });
  });

  it('forgets them too when a line of the copy is bad half-way', async function () {
    nock(SOURCE)
      .get('/internal/shards/export')
      .query(true)
      .reply(200, `${line('b', 1)}\nnot json\n`, { 'x-isx-log-seq': '90', 'x-isx-log-epoch': '4' });
    await copyShard({ store, request, token: 't', positions }).catch(() => undefined);
    expect(await positions.recorded('note-1')).to.equal(false);
  });

  it('records the source’s position with the last batch of a copy that completes', async function () {
    nock(SOURCE)
      .get('/internal/shards/export')
      .query(true)
      .reply(200, `${line('b', 1)}\n${line('c', 2)}\n`, { 'x-isx-log-seq': '90', 'x-isx-log-epoch': '4' });
    expect(await copyShard({ store, request, token: 't', positions })).to.deep.include({ entities: 2 });
    expect(await keysHeld()).to.deep.equal(['b', 'c']);
    expect(await positions.get('note-1')).to.deep.equal({ seq: 90, epoch: 4 });
  });
});

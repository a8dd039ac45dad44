import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { hashPartitioner } from '@isx/core';
import { EntityStore, type StoredEntity, type StoreOp } from '@isx/shard';

const entity = (version: number, data?: Record<string, unknown>): StoredEntity => ({
  version,
  ...(data === undefined ? {} : { data }),
  updatedAt: '2024-05-01T12:00:00.000Z',
});

/** A put of `key` under its hash partition key, as a host would write it. */
function put(type: string, key: string, value: StoredEntity): StoreOp {
  return { kind: 'put-entity', type, partitionKey: hashPartitioner.partitionKey(key), key, value };
}

describe('EntityStore (classic-level in a temporary directory)', () => {
  let directory: string;
  let store: EntityStore | undefined;

  beforeEach(async () => {
    directory = await mkdtemp(join(tmpdir(), 'isx-entity-store-'));
  });

  afterEach(async () => {
    await store?.close();
    store = undefined;
    await rm(directory, { recursive: true, force: true });
  });

  const read = (open: EntityStore, type: string, key: string): Promise<StoredEntity | undefined> =>
    open.getEntity(type, hashPartitioner.partitionKey(key), key);

  it('returns what was put', async () => {
    store = await EntityStore.open(directory);
    const value = entity(1, { name: 'Spring sale', budget: { amount: 100 } });
    await store.write([put('campaign', 'spring', value)]);
    expect(await read(store, 'campaign', 'spring')).to.deep.equal(value);
  });

  it('returns undefined for an entity never written', async () => {
    store = await EntityStore.open(directory);
    expect(await read(store, 'campaign', 'nobody')).to.equal(undefined);
  });

  it('keeps entities of different types with the same key apart', async () => {
    store = await EntityStore.open(directory);
    await store.write([
      put('campaign', 'k', entity(1, { of: 'campaign' })),
      put('order', 'k', entity(5, { of: 'order' })),
    ]);
    expect((await read(store, 'campaign', 'k'))?.data).to.deep.equal({ of: 'campaign' });
    expect((await read(store, 'order', 'k'))?.version).to.equal(5);
  });

  it('replaces an entity with the later write', async () => {
    store = await EntityStore.open(directory);
    await store.write([put('campaign', 'k', entity(1, { n: 1 }))]);
    await store.write([put('campaign', 'k', entity(2, { n: 2 }))]);
    expect(await read(store, 'campaign', 'k')).to.deep.equal(entity(2, { n: 2 }));
  });

  it('keeps entities and metadata after it is closed and opened again', async () => {
    store = await EntityStore.open(directory);
    await store.write([
      put('campaign', 'spring', entity(3, { name: 'Spring' })),
      { kind: 'put-meta', name: 'node-id', value: { id: 'node-1' } },
    ]);
    await store.close();
    store = await EntityStore.open(directory);
    expect(await read(store, 'campaign', 'spring')).to.deep.equal(entity(3, { name: 'Spring' }));
    expect(await store.getMeta<{ id: string }>('node-id')).to.deep.equal({ id: 'node-1' });
    expect(await store.getMeta('missing')).to.equal(undefined);
  });

  it('keeps the version of a tombstone, which has no data, across a reopen', async () => {
    store = await EntityStore.open(directory);
    await store.write([put('campaign', 'k', entity(4, { n: 1 }))]);
    await store.write([put('campaign', 'k', entity(5))]);
    await store.close();
    store = await EntityStore.open(directory);
    const tombstone = await read(store, 'campaign', 'k');
    expect(tombstone?.version).to.equal(5);
    expect(tombstone).to.not.have.property('data');
  });

  it('creates its directory when it does not exist yet', async () => {
    store = await EntityStore.open(join(directory, 'nested', 'level'), { sync: false });
    await store.write([put('t', 'k', entity(1, {}))]);
    expect((await read(store, 't', 'k'))?.version).to.equal(1);
  });

  it('groups concurrent writes into shared batches and counts them', async () => {
    store = await EntityStore.open(directory, { sync: false });
    const open = store;
    await Promise.all(
      Array.from({ length: 50 }, (_, i) => open.write([put('t', `k${i}`, entity(1, { i }))])),
    );
    const stats = store.commitStats;
    expect(stats.writes).to.equal(50);
    expect(stats.batches).to.be.at.least(1).and.below(50);
    for (let i = 0; i < 50; i += 1) expect((await read(store, 't', `k${i}`))?.data).to.deep.equal({ i });
  });
  it('serves a hot record from memory, and a changed copy never reaches the next read', async () => {
    store = await EntityStore.open(directory, { sync: false });
    await store.write([put('campaign', 'k', entity(1, { tags: ['a'] }))]);
    const first = await read(store, 'campaign', 'k');
    (first?.data?.tags as string[]).push('changed by a caller');
    expect(await read(store, 'campaign', 'k')).to.deep.equal(entity(1, { tags: ['a'] }));
    expect(store.cacheStats.hits).to.equal(2);
    await store.write([put('campaign', 'k', entity(2, { tags: ['b'] }))]);
    expect((await read(store, 'campaign', 'k'))?.version).to.equal(2);
    await store.write([
      { kind: 'del-entity', type: 'campaign', partitionKey: hashPartitioner.partitionKey('k'), key: 'k' },
    ]);
    expect(await read(store, 'campaign', 'k')).to.equal(undefined);
  });

  it('stores records as JSON that a scan and a cold read parse alike', async () => {
    store = await EntityStore.open(directory, { cacheBytes: 0 });
    await store.write([put('campaign', 'k', entity(7, { n: 7 }))]);
    expect(await read(store, 'campaign', 'k')).to.deep.equal(entity(7, { n: 7 }));
    const scanned = [];
    for await (const record of store.scan('campaign', { start: '', end: null })) scanned.push(record.value);
    expect(scanned).to.deep.equal([entity(7, { n: 7 })]);
    expect(store.cacheStats).to.include({ hits: 0, records: 0 });
  });
});

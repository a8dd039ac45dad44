/**
 * A small world for EntityHost tests: a real Level store in a temporary directory, a `note`
 * entity, and a two-node shard map in which this host (node-a) owns the keys below "n".
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defineEntity, lexicalPartitioner, parseClusterConfig, ShardMap, type Clock } from '@isx/core';
import { EntityHost, EntityStore, StaticOwnership, type StoredEntity } from '@isx/shard';
import { z } from 'zod';

export const note = defineEntity({
  type: 'note',
  input: z.strictObject({
    text: z.string().min(1).max(200),
    tags: z.array(z.string()).optional(),
    meta: z.strictObject({ pinned: z.boolean().optional(), colour: z.string().optional() }).optional(),
  }),
  keyField: 'id',
  serverFields: ['updatedAt'],
  build: (input, { key, now }) => ({ id: key, ...input, updatedAt: now.toISOString() }),
});

export const NOW = Date.parse('2024-05-01T12:00:00.000Z');
export const fixedClock: Clock = { now: () => NOW, monotonic: () => 0 };

export function twoNodeMap(): ShardMap {
  return new ShardMap(
    parseClusterConfig({
      nodes: {
        'node-a': { url: 'http://127.0.0.1:4101' },
        'node-b': { url: 'http://127.0.0.1:4102' },
      },
      types: {
        note: {
          partitioner: 'lexical',
          keySpace: { start: 'a', end: '{' },
          shards: [
            { id: 'note-a-m', range: { start: 'a', end: 'n' }, node: 'node-a' },
            { id: 'note-n-z', range: { start: 'n', end: '{' }, node: 'node-b' },
          ],
        },
      },
    }),
    3,
  );
}

export interface HostWorld {
  host: EntityHost;
  store: EntityStore;
  /** Closes the store and opens a new store and host over the same directory. */
  reopen(): Promise<void>;
  /** Closes the store and removes its directory. */
  close(): Promise<void>;
}

async function openHost(directory: string): Promise<{ host: EntityHost; store: EntityStore }> {
  const store = await EntityStore.open(directory, { sync: false });
  const host = new EntityHost({
    store,
    entities: [note],
    ownership: new StaticOwnership(twoNodeMap(), 'node-a'),
    clock: fixedClock,
  });
  return { host, store };
}

/** Opens a store in a fresh temporary directory and a host for node-a over it. */
export async function openHostWorld(): Promise<HostWorld> {
  const directory = await mkdtemp(join(tmpdir(), 'isx-entity-host-'));
  const world: HostWorld = {
    ...(await openHost(directory)),
    async reopen() {
      await world.store.close();
      Object.assign(world, await openHost(directory));
    },
    async close() {
      await world.store.close();
      await rm(directory, { recursive: true, force: true });
    },
  };
  return world;
}

/** What the store holds for a note, read past the host (notes partition lexically). */
export function storedNote(store: EntityStore, key: string): Promise<StoredEntity | undefined> {
  return store.getEntity('note', lexicalPartitioner.partitionKey(key), key);
}

export interface ErrorShape {
  code: string;
  status: number;
  message: string;
  details: Record<string, unknown>;
}

/** The error a promise rejects with; fails if it fulfils. */
export async function rejection(promise: Promise<unknown>): Promise<ErrorShape> {
  const [error] = await rejections([promise]);
  return error!;
}

/** The errors that promises running side by side reject with; fails if any fulfils. */
export async function rejections(promises: Array<Promise<unknown>>): Promise<ErrorShape[]> {
  const results = await Promise.allSettled(promises);
  return results.map((result, i) => {
    if (result.status === 'fulfilled') throw new Error(`expected promise ${i} to reject`);
    return result.reason as ErrorShape;
  });
}

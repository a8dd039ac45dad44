/**
 * `startNode`: one shard server process's worth of parts, wired together.
 *
 * Opens the store, builds the entity host for the node's shards, and listens. `close`
 * stops accepting requests, lets those in flight finish, then closes the store, so a
 * clean stop never cuts a write in half.
 */
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { systemClock, type Clock, type EntityDefinition, type ShardMap } from '@isx/core';
import { pino, type Logger } from 'pino';
import { EntityHost } from './entity-host.js';
import { EntityStore } from './entity-store.js';
import { createNodeServer } from './http/node-server.js';
import { StaticOwnership } from './ownership.js';

export interface NodeOptions {
  /** This node's id in the shard map. */
  nodeId: string;
  /** The directory that holds this node's Level store. */
  dataDir: string;
  /** The entity types this node can host. */
  entities: readonly EntityDefinition[];
  /** The shard map that says which shards this node owns. */
  map: ShardMap;
  host?: string;
  /** 0 picks a free port. */
  port?: number;
  /** Sync every batch to disk before acknowledging (default true). */
  sync?: boolean;
  clock?: Clock;
  logger?: Logger;
}

export interface RunningNode {
  readonly nodeId: string;
  readonly url: string;
  readonly port: number;
  readonly entityHost: EntityHost;
  readonly store: EntityStore;
  close(): Promise<void>;
}

/**
 * Starts a shard server.
 *
 * @example
 * const node = await startNode({ nodeId: 'node-1', dataDir: '/tmp/n1', entities: [campaign], map });
 * console.log(node.url);
 * await node.close();
 */
export async function startNode(options: NodeOptions): Promise<RunningNode> {
  const logger = options.logger ?? pino({ level: 'info' }).child({ node: options.nodeId });
  const store = await EntityStore.open(join(options.dataDir, 'level'), { sync: options.sync ?? true });
  const entityHost = new EntityHost({
    store,
    entities: options.entities,
    ownership: new StaticOwnership(options.map, options.nodeId),
    clock: options.clock ?? systemClock,
  });
  const server = createNodeServer({ nodeId: options.nodeId, host: entityHost, logger });
  server.listen(options.port ?? 0, options.host ?? '127.0.0.1');
  await once(server, 'listening');
  const { port, address } = server.address() as AddressInfo;
  const url = `http://${address.includes(':') ? `[${address}]` : address}:${port}`;
  let closing: Promise<void> | undefined;
  return {
    nodeId: options.nodeId,
    url,
    port,
    entityHost,
    store,
    close() {
      closing ??= (async () => {
        const closed = new Promise<void>((resolve) => server.close(() => resolve()));
        server.closeIdleConnections();
        await closed;
        await store.close();
      })();
      return closing;
    },
  };
}

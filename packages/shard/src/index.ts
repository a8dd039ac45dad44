/**
 * `@isx/shard`: the shard server that hosts entities in LevelDB.
 *
 * A node owns some shards of some entity types and serves the keyed entity API for them
 * (GET, PUT with `If-Match`, PATCH, DELETE), answering `421 WRONG_SHARD` for any other key.
 * Its store is one classic-level database under its data directory; concurrent writes are
 * grouped into one batch.
 *
 * @example
 * import { startNode } from '@isx/shard';
 * const node = await startNode({ nodeId: 'node-1', dataDir: './data/node-1', entities: [campaign], map });
 *
 * @packageDocumentation
 */
export { EntityHost } from './entity-host.js';
export type { EntityHostOptions, WriteConditions } from './entity-host.js';
export { EntityStore } from './entity-store.js';
export type { EntityStoreOptions, ScannedEntity, StoredEntity, StoreOp } from './entity-store.js';
export { startNode } from './node.js';
export type { NodeOptions, RouterAttachment, RunningNode } from './node.js';
export { NODE_USAGE, runNodeMain } from './node-main.js';
export type { ServiceDefinition } from './node-main.js';
export { RouterLink } from './router-link.js';
export type { HeartbeatStats, RouterLinkOptions } from './router-link.js';
export { MapOwnership, StaticOwnership } from './ownership.js';
export { PeerRoutes } from './peer-routes.js';
export type { Ownership, WriteTicket } from './ownership.js';

/**
 * The bodies of the internal routes between nodes and the router (phase 2): registration,
 * heartbeats, the shard map, and the steps of a shard move. All require the cluster token.
 */
import { z } from 'zod';
import { clusterConfigSchema, nodeIdSchema, shardIdSchema } from './cluster-config.js';
import { isValidTypeName } from './key.js';
import { keyRangeSchema } from './key-range.js';
import { storedValueSchema } from './activity-state.js';

const typeNameSchema = z.string().refine(isValidTypeName, 'not a valid entity type name');
const urlSchema = z.url({ protocol: /^https?$/ }).transform((u) => u.replace(/\/+$/, ''));

/** The shard map as it travels: the layout plus the version that orders maps. */
export const shardMapWireSchema = z.object({
  version: z.number().int().min(0),
  config: clusterConfigSchema,
});
export type ShardMapWire = z.infer<typeof shardMapWireSchema>;

/** `POST /internal/register` */
export const registerRequestSchema = z.strictObject({
  /** The id this node was given before, read from its data directory; absent on first start. */
  nodeId: nodeIdSchema.optional(),
  service: z.string().min(1).max(64),
  types: z.array(typeNameSchema).min(1),
  url: urlSchema,
  capacity: z.number().int().min(1).max(1000).default(1),
});
export type RegisterRequest = z.infer<typeof registerRequestSchema>;

export const registerResponseSchema = z.object({
  nodeId: nodeIdSchema,
  heartbeatMs: z.number().int().min(1),
  map: shardMapWireSchema,
});
export type RegisterResponse = z.infer<typeof registerResponseSchema>;

/**
 * What a node reports, about once a second, of a shard it leads: how many records it holds
 * (tombstones included: they take room too) and how busy it is. The router splits a shard
 * that grows too large or takes too great a share of its type's operations (DESIGN §6).
 */
export const shardLoadSchema = z.strictObject({
  shardId: shardIdSchema,
  records: z.number().int().min(0),
  /** Keyed operations per second the primary served since its last report. */
  opsPerSec: z.number().min(0),
  /**
   * A partition key that divides the recent operations about evenly, from a sample of them;
   * absent when too few were sampled or one partition key takes most of them (a hot key
   * that no split can spread).
   */
  loadSplitAt: z.string().min(1).max(1024).optional(),
  /** Messages the shard's entities still have to deliver, as the delivery loop last read them. */
  outboxDepth: z.number().int().min(0).optional(),
  /** Entries each backup has not acknowledged yet, for the backups the primary has heard from. */
  backupLag: z.record(nodeIdSchema, z.number().int().min(0)).optional(),
});
export type ShardLoad = z.infer<typeof shardLoadSchema>;

/** `POST /internal/heartbeat` */
export const heartbeatRequestSchema = z.strictObject({
  nodeId: nodeIdSchema,
  mapVersion: z.number().int().min(0),
  /** The load of the shards the node leads; sent about once a second, not with every beat. */
  load: z.array(shardLoadSchema).max(10_000).optional(),
});
export type HeartbeatRequest = z.infer<typeof heartbeatRequestSchema>;

export const heartbeatResponseSchema = z.object({
  mapVersion: z.number().int().min(0),
});
export type HeartbeatResponse = z.infer<typeof heartbeatResponseSchema>;

/** Names one shard's data on a node: its type and its range of partition keys. */
export const shardScopeSchema = z.strictObject({
  shardId: shardIdSchema,
  type: typeNameSchema,
  range: keyRangeSchema,
});
export type ShardScope = z.infer<typeof shardScopeSchema>;

/** `POST /internal/shards/fence`: stop writes to a shard until unfenced or the fence expires. */
export const fenceRequestSchema = shardScopeSchema.extend({
  ttlMs: z.number().int().min(100).max(600_000),
  /** Refuse strong reads too (a primary handing its shard over); by default reads go on. */
  blocksReads: z.boolean().optional(),
});
export type FenceRequest = z.infer<typeof fenceRequestSchema>;

/** `POST /internal/shards/copy`: the target pulls a shard's data from the source. */
export const copyRequestSchema = shardScopeSchema.extend({
  sourceUrl: urlSchema,
  /** Read the source no faster than this (bytes per second); absent: as fast as it comes. */
  maxBytesPerSecond: z.number().int().min(1024).optional(),
});
export type CopyRequest = z.infer<typeof copyRequestSchema>;

export const copyResultSchema = z.object({
  entities: z.number().int().min(0),
  bytes: z.number().int().min(0),
});
export type CopyResult = z.infer<typeof copyResultSchema>;

/** `GET /internal/shards/copies`: the copies a node is pulling right now, and how far each has come. */
export const copiesInProgressSchema = z.object({
  copies: z.array(
    z.object({
      shardId: z.string(),
      entities: z.number().int().min(0),
      bytes: z.number().int().min(0),
      startedAt: z.string(),
    }),
  ),
});
export type CopiesInProgress = z.infer<typeof copiesInProgressSchema>;

/** One line of `GET /internal/shards/export`: an entity as stored, tombstones included. */
export const exportedEntitySchema = z.object({
  key: z.string(),
  partitionKey: z.string(),
  value: storedValueSchema,
});
export type ExportedEntity = z.infer<typeof exportedEntitySchema>;

/** `POST /cluster/shards/:id/split` */
export const splitRequestSchema = z.strictObject({
  at: z.string().min(1).max(256).optional(),
});

/** `POST /cluster/shards/:id/move` */
export const moveRequestSchema = z.strictObject({
  to: nodeIdSchema,
});

/** `POST /cluster/nodes/:id/drain`: start emptying a node, or, with `draining: false`, stop. */
export const drainRequestSchema = z.strictObject({
  draining: z.boolean().default(true),
});

/** `POST /cluster/nodes/:id/drain` → 200 */
export const drainAnswerSchema = z.object({
  node: nodeIdSchema,
  draining: z.boolean(),
  /** Copies the node still holds; it may leave once this is 0. */
  replicas: z.number().int().min(0),
});
export type DrainAnswer = z.infer<typeof drainAnswerSchema>;

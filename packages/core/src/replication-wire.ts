/**
 * The bodies that travel between the replicas of a shard and to the router about them
 * (phase 3). Every one carries the shard's epoch, so a replica can refuse a message from a
 * configuration that has been replaced. All need the cluster token.
 */
import { z } from 'zod';
import { nodeIdSchema, shardIdSchema } from './cluster-config.js';
import { storedValueSchema } from './activity-state.js';
import { requestIdSchema } from './request-id.js';

/** The most request ids an entry names; a busier group commit names its first ones only. */
export const MAX_REQUEST_IDS_PER_ENTRY = 64;

/** One entity as a replica stores it; `value` without `data` is a tombstone. */
export const replicatedEntitySchema = z.object({
  type: z.string().min(1),
  partitionKey: z.string(),
  key: z.string().min(1),
  value: storedValueSchema,
});
export type ReplicatedEntity = z.infer<typeof replicatedEntitySchema>;

/** `POST /internal/replicate`: the primary sends entry `seq` of the shard's log to a backup. */
export const replicateRequestSchema = z.strictObject({
  shardId: shardIdSchema,
  epoch: z.number().int().min(0),
  /** Entries are numbered from 1 without gaps; a backup applies them strictly in order. */
  seq: z.number().int().min(1),
  entities: z.array(replicatedEntitySchema).min(1),
  /** The ids of the requests whose writes the entry holds, for the backup's logs only. */
  requestIds: z.array(requestIdSchema).max(MAX_REQUEST_IDS_PER_ENTRY).optional(),
});
export type ReplicateRequest = z.infer<typeof replicateRequestSchema>;

/**
 * `POST /internal/replicate-batch`: the entries a primary has for one backup, of any of the
 * shards it leads, sent together: one request per backup per round instead of one per entry.
 * At most one entry per shard is in a batch, since a shard has one entry in flight at a time.
 */
export const replicateBatchRequestSchema = z.strictObject({
  entries: z.array(replicateRequestSchema).min(1).max(4096),
});
export type ReplicateBatchRequest = z.infer<typeof replicateBatchRequestSchema>;

/** What the backup did with each entry of a batch, in the batch's order. */
export const replicateBatchAnswerSchema = z.object({
  results: z.array(
    z.union([
      z.object({ seq: z.number().int().min(1) }),
      z.object({ error: z.object({ code: z.string(), message: z.string() }) }),
    ]),
  ),
});
export type ReplicateBatchAnswer = z.infer<typeof replicateBatchAnswerSchema>;

/** `POST /internal/replica-failed`: a primary tells the router a backup did not take an entry. */
export const replicaFailedRequestSchema = z.strictObject({
  shardId: shardIdSchema,
  epoch: z.number().int().min(0),
  node: nodeIdSchema,
});
export type ReplicaFailedRequest = z.infer<typeof replicaFailedRequestSchema>;

/** `GET /internal/shards/status?shardId=`: how far a replica's copy of a shard goes. */
export const shardStatusSchema = z.object({
  shardId: shardIdSchema,
  seq: z.number().int().min(0),
  /** The live entities of the shard this node holds, when asked for with `&count=1`. */
  entities: z.number().int().min(0).optional(),
});
export type ShardStatus = z.infer<typeof shardStatusSchema>;

/** `GET /internal/shards/log?shardId=&after=&epoch=`: the entries a replica misses, in order. */
export const logEntriesAnswerSchema = z.object({
  entries: z.array(
    z.object({
      seq: z.number().int().min(1),
      epoch: z.number().int().min(0),
      entities: z.array(replicatedEntitySchema),
    }),
  ),
});
export type LogEntriesAnswer = z.infer<typeof logEntriesAnswerSchema>;

/** `POST /internal/shards/catch-up` on a replica: catch up shard `shardId` from `sourceUrl`'s log. */
export const catchUpRequestSchema = z.strictObject({
  shardId: shardIdSchema,
  sourceUrl: z.url({ protocol: /^https?$/ }).transform((u) => u.replace(/\/+$/, '')),
});
export type CatchUpRequest = z.infer<typeof catchUpRequestSchema>;

/**
 * Schemas of the bodies that cross a process on the public API and `GET /cluster`.
 *
 * Each type is `z.infer` of its schema, so the contract is written once. Peers parse
 * what they receive with these; nothing is trusted because it came from our own code.
 */
import { z } from 'zod';
import { keyRangeSchema } from './key-range.js';
import { shardMapWireSchema } from './membership-wire.js';
import { partitionerNameSchema } from './partitioner.js';

const versionSchema = z.number().int().min(1);

/** `GET /:type/:key` → 200 */
export const entityRecordSchema = z.object({
  key: z.string(),
  version: versionSchema,
  data: z.record(z.string(), z.unknown()),
});
export type EntityRecord = z.infer<typeof entityRecordSchema>;

/** `PUT`, `PATCH`, `DELETE` → 200 */
export const writeResultSchema = z.object({
  key: z.string(),
  version: versionSchema,
});
export type WriteResult = z.infer<typeof writeResultSchema>;

/** `up`/`down` are probed (manual mode); `alive`/`suspect`/`dead` come from heartbeats (dynamic mode). */
export const nodeStatusSchema = z.enum(['up', 'down', 'unknown', 'alive', 'suspect', 'dead']);

/**
 * A change of where a shard lives that the router is carrying out: a move of an unreplicated
 * shard (phase 2; no `kind`), or one step of placing a replicated shard's copies (phase 3).
 */
export const moveViewSchema = z.object({
  shardId: z.string(),
  type: z.string(),
  /** Absent for a phase-2 move. */
  kind: z.enum(['add-replica', 'move-replica', 'transfer-primary', 'remove-replica']).optional(),
  /** Why the router started it. */
  reason: z.enum(['repair', 'drain', 'balance']).optional(),
  /** The node that gives up the copy or the primary (for an added replica, the one copied from). */
  from: z.string(),
  /** The node that receives it; absent when a copy is only removed. */
  to: z.string().optional(),
  phase: z.enum(['fencing', 'copying', 'switching', 'catching-up', 'cutover', 'removing']),
  startedAt: z.string(),
  entitiesCopied: z.number().int().min(0).optional(),
  bytesCopied: z.number().int().min(0).optional(),
  /** Entities the copy has to bring over, counted on the source when it started. */
  entitiesTotal: z.number().int().min(0).optional(),
});
export type MoveView = z.infer<typeof moveViewSchema>;

/** `GET /cluster` → 200 */
export const clusterViewSchema = z.object({
  version: z.number().int().min(0),
  mode: z.enum(['manual', 'dynamic']),
  nodes: z.array(
    z.object({
      id: z.string(),
      url: z.string(),
      status: nodeStatusSchema,
      /** Shards the node leads. */
      shards: z.number().int().min(0),
      /** Copies the node holds, led or backed up (replicated clusters). */
      replicas: z.number().int().min(0).optional(),
      /** Being emptied before it leaves (`isx drain`, or SIGTERM). */
      draining: z.boolean().optional(),
      service: z.string().optional(),
      heartbeatAgeMs: z.number().min(0).nullable().optional(),
    }),
  ),
  types: z.record(
    z.string(),
    z.object({
      partitioner: partitionerNameSchema,
      keySpace: keyRangeSchema,
      shards: z.array(
        z.object({
          id: z.string(),
          range: keyRangeSchema,
          node: z.string(),
          backups: z.array(z.string()).optional(),
          epoch: z.number().int().min(0).optional(),
          /** Records its primary last reported (dynamic clusters). */
          records: z.number().int().min(0).optional(),
          /** Keyed operations per second its primary last reported. */
          opsPerSec: z.number().min(0).optional(),
          /** Messages its entities still have to deliver, as its primary last reported. */
          outboxDepth: z.number().int().min(0).optional(),
          /** Entries each backup had not acknowledged when its primary last reported. */
          backupLag: z.record(z.string(), z.number().int().min(0)).optional(),
        }),
      ),
    }),
  ),
  /** The map in the form a client's routing cache loads. */
  map: shardMapWireSchema.optional(),
  moves: z.array(moveViewSchema).optional(),
  /** What the rebalancer has done since the router started (replicated clusters). */
  rebalancing: z
    .object({
      steps: z.number().int().min(0),
      failedSteps: z.number().int().min(0),
      entitiesCopied: z.number().int().min(0),
      bytesCopied: z.number().int().min(0),
    })
    .optional(),
  /** Shards the router split by itself since it started, by cause (dynamic clusters). */
  autoSplits: z.object({ size: z.number().int().min(0), load: z.number().int().min(0) }).optional(),
});
export type ClusterView = z.infer<typeof clusterViewSchema>;

/** `GET /healthz` on any process → 200 */
export const healthSchema = z.object({
  status: z.literal('ok'),
  role: z.enum(['router', 'node']),
  id: z.string(),
  pid: z.number().int(),
});
export type Health = z.infer<typeof healthSchema>;

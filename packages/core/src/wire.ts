/**
 * Schemas of the bodies that cross a process on the public API and `GET /cluster`.
 *
 * Each type is `z.infer` of its schema, so the contract is written once. Peers parse
 * what they receive with these; nothing is trusted because it came from our own code.
 */
import { z } from 'zod';
import { keyRangeSchema } from './key-range.js';
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

export const nodeStatusSchema = z.enum(['up', 'down', 'unknown']);

/** `GET /cluster` → 200 */
export const clusterViewSchema = z.object({
  version: z.number().int().min(0),
  mode: z.enum(['manual']),
  nodes: z.array(
    z.object({
      id: z.string(),
      url: z.string(),
      status: nodeStatusSchema,
      shards: z.number().int().min(0),
    }),
  ),
  types: z.record(
    z.string(),
    z.object({
      partitioner: partitionerNameSchema,
      keySpace: keyRangeSchema,
      shards: z.array(z.object({ id: z.string(), range: keyRangeSchema, node: z.string() })),
    }),
  ),
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

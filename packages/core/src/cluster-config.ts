/**
 * The manual cluster configuration of phase 1: which node serves which range of which type.
 *
 * Parsed by zod and then checked as a whole: every shard names a known node, shard ids are
 * unique, and the ranges of each type tile its key space with no gap and no overlap. A
 * configuration that fails any check is refused with every problem named; none is
 * repaired silently.
 */
import { z } from 'zod';
import { IsxError } from './errors.js';
import { isValidTypeName } from './key.js';
import { checkCoverage, coversExactly, describeCoverage, FULL_RANGE, keyRangeSchema } from './key-range.js';
import { partitionerNameSchema } from './partitioner.js';

const idSchema = z
  .string()
  .regex(/^[a-z0-9][a-z0-9._-]{0,62}$/, 'ids are lowercase letters, digits, ".", "_" and "-"');

export const nodeIdSchema = idSchema;
export const shardIdSchema = idSchema;

export const nodeAddressSchema = z.strictObject({
  url: z.url({ protocol: /^https?$/ }).transform((u) => u.replace(/\/+$/, '')),
});

export const shardAssignmentSchema = z.strictObject({
  id: shardIdSchema,
  range: keyRangeSchema,
  /** The node that serves the shard: its only copy, or its primary once it has backups. */
  node: nodeIdSchema,
  /** The in-sync backups (phase 3); every acknowledged write is on each of them. */
  backups: z.array(nodeIdSchema).optional(),
  /** Grows on every change of the replica set; replicas refuse a lower one. */
  epoch: z.number().int().min(0).optional(),
});
export type ShardAssignment = z.infer<typeof shardAssignmentSchema>;

export const typeLayoutSchema = z.strictObject({
  partitioner: partitionerNameSchema.default('hash'),
  /** The partition keys this type may use; keys outside are refused with KEY_NOT_COVERED. */
  keySpace: keyRangeSchema.default(FULL_RANGE),
  shards: z.array(shardAssignmentSchema).min(1),
});
export type TypeLayout = z.infer<typeof typeLayoutSchema>;

export const clusterConfigSchema = z
  .strictObject({
    nodes: z.record(nodeIdSchema, nodeAddressSchema),
    types: z.record(z.string(), typeLayoutSchema),
    /** Copies per shard (phase 3) and how many must hold a write before it is acknowledged. */
    replication: z
      .strictObject({ factor: z.number().int().min(1).max(5), minInSync: z.number().int().min(1).max(5) })
      .optional(),
  })
  .superRefine((config, ctx) => {
    const shardIds = new Set<string>();
    for (const [type, layout] of Object.entries(config.types)) {
      if (!isValidTypeName(type)) {
        ctx.addIssue({
          code: 'custom',
          path: ['types', type],
          message: `"${type}" is not a valid type name`,
        });
      }
      layout.shards.forEach((shard, i) => {
        if (!Object.hasOwn(config.nodes, shard.node)) {
          ctx.addIssue({
            code: 'custom',
            path: ['types', type, 'shards', i, 'node'],
            message: `unknown node "${shard.node}"`,
          });
        }
        if (shardIds.has(shard.id)) {
          ctx.addIssue({
            code: 'custom',
            path: ['types', type, 'shards', i, 'id'],
            message: `duplicate shard id "${shard.id}"`,
          });
        }
        shardIds.add(shard.id);
      });
      const report = checkCoverage(
        layout.shards.map((s) => s.range),
        layout.keySpace,
      );
      if (!coversExactly(report)) {
        for (const problem of describeCoverage(report)) {
          ctx.addIssue({ code: 'custom', path: ['types', type, 'shards'], message: problem });
        }
      }
    }
  });
export type ClusterConfig = z.infer<typeof clusterConfigSchema>;

/**
 * Parses a cluster configuration, throwing `INVALID_CONFIG` with every problem listed.
 *
 * @example
 * parseClusterConfig(JSON.parse(fs.readFileSync('cluster.json', 'utf8')));
 */
export function parseClusterConfig(value: unknown): ClusterConfig {
  const result = clusterConfigSchema.safeParse(value);
  if (result.success) return result.data;
  const problems = result.error.issues.map(
    (i) => `${i.path.map(String).join('.') || '(root)'}: ${i.message}`,
  );
  throw new IsxError(
    'INVALID_CONFIG',
    `The cluster configuration is not valid:\n  - ${problems.join('\n  - ')}`,
    {
      details: { problems },
    },
  );
}

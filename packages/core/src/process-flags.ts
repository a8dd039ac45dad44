/**
 * The flag sets of the long-running processes (`isx router`, `isx node`, a service's
 * `main`). Flags arrive as strings from `util.parseArgs`; these schemas coerce and check
 * them, so a process never starts on a half-understood command line.
 */
import { z } from 'zod';
import { nodeIdSchema } from './cluster-config.js';

const portSchema = z.coerce.number().int().min(0).max(65535);
export const logLevelSchema = z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']);

export const nodeFlagsSchema = z.strictObject({
  config: z.string().min(1, '--config FILE is required'),
  node: nodeIdSchema,
  data: z.string().min(1, '--data DIR is required'),
  host: z.string().default('127.0.0.1'),
  port: portSchema.optional(),
  fsync: z.boolean().default(true),
  'log-level': logLevelSchema.default('info'),
});
export type NodeFlags = z.infer<typeof nodeFlagsSchema>;

export const routerFlagsSchema = z.strictObject({
  config: z.string().min(1, '--config FILE is required'),
  host: z.string().default('127.0.0.1'),
  port: portSchema.default(4000),
  'node-timeout-ms': z.coerce.number().int().min(10).max(600_000).default(10_000),
  'log-level': logLevelSchema.default('info'),
});
export type RouterFlags = z.infer<typeof routerFlagsSchema>;

/** `isx up`: a local cluster of real processes. */
export const upFlagsSchema = z.strictObject({
  nodes: z.coerce.number().int().min(1).max(26).default(2),
  partitioner: z.enum(['hash', 'lexical']).default('hash'),
  service: z.string().default('campaign'),
  port: portSchema.default(4000),
  data: z.string().min(1).default('.isx/cluster'),
  'log-level': logLevelSchema.default('info'),
});
export type UpFlags = z.infer<typeof upFlagsSchema>;

/** `isx status`, `isx shards`: commands that read a running cluster. */
export const readClusterFlagsSchema = z.strictObject({
  router: z.url().default('http://127.0.0.1:4000'),
  json: z.boolean().default(false),
});
export type ReadClusterFlags = z.infer<typeof readClusterFlagsSchema>;

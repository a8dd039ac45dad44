/**
 * The flag sets of the long-running processes (`isx router`, `isx node`, a service's
 * `main`). Flags arrive as strings from `util.parseArgs`; these schemas coerce and check
 * them, so a process never starts on a half-understood command line.
 */
import { z } from 'zod';
import { nodeIdSchema } from './cluster-config.js';
import { IsxError } from './errors.js';

const portSchema = z.coerce.number().int().min(0).max(65535);
export const logLevelSchema = z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']);
export type LogLevel = z.infer<typeof logLevelSchema>;

/** The environment variable that sets a process's log level when `--log-level` is not given. */
export const LOG_LEVEL_ENV = 'ISX_LOG_LEVEL';

/**
 * The `--log-level` value to parse a flag set with: the flag when it was given (the flag set's
 * schema checks it), else {@link LOG_LEVEL_ENV} from `env` (any case), else `undefined`, which
 * leaves the flag set's default. A bad `ISX_LOG_LEVEL` throws `INVALID_CONFIG` naming the
 * variable, so that a process refuses it in one line rather than starting at a level no one chose.
 *
 * @example
 * const parsed = routerFlagsSchema.safeParse({ ...values, 'log-level': logLevelFrom(values['log-level'], process.env) });
 */
export function logLevelFrom(
  flag: string | undefined,
  env: Readonly<Record<string, string | undefined>>,
): string | undefined {
  if (flag !== undefined) return flag;
  const raw = env[LOG_LEVEL_ENV]?.trim();
  if (raw === undefined || raw === '') return undefined;
  const level = logLevelSchema.safeParse(raw.toLowerCase());
  if (level.success) return level.data;
  throw new IsxError(
    'INVALID_CONFIG',
    `${LOG_LEVEL_ENV} must be one of ${logLevelSchema.options.join(', ')}; it is "${raw.slice(0, 40)}".`,
    { details: { [LOG_LEVEL_ENV]: raw.slice(0, 40) } },
  );
}

/** A node runs either from a manual configuration (`--config` and `--node`) or under a router (`--router`). */
export const nodeFlagsSchema = z
  .strictObject({
    config: z.string().min(1).optional(),
    node: nodeIdSchema.optional(),
    router: z.url().optional(),
    data: z.string().min(1, '--data DIR is required'),
    host: z.string().default('127.0.0.1'),
    port: portSchema.optional(),
    /** The URL the router and peers dial, when it is not the listen address (a proxy, a NAT). */
    advertise: z.url().optional(),
    /** `ADVERTISED=DIAL`: dial a peer known by ADVERTISED at DIAL instead. */
    'peer-route': z
      .array(
        z.string().regex(/^https?:\/\/[^=]+=https?:\/\/[^=]+$/, 'a peer route is ADVERTISED_URL=DIAL_URL'),
      )
      .default([]),
    fsync: z.boolean().default(true),
    /** How long SIGTERM may spend draining the node before it stops anyway. */
    'drain-timeout-ms': z.coerce.number().int().min(0).max(3_600_000).default(120_000),
    /** Message delivery (phase 4): the first retry's wait, the longest wait, and the attempts before a dead letter. */
    'delivery-backoff-ms': z.coerce.number().int().min(1).max(60_000).default(100),
    'delivery-backoff-max-ms': z.coerce.number().int().min(1).max(3_600_000).default(10_000),
    'delivery-max-attempts': z.coerce.number().int().min(1).max(1_000_000).default(20),
    'log-level': logLevelSchema.default('info'),
  })
  .refine((f) => f['delivery-backoff-max-ms'] >= f['delivery-backoff-ms'], {
    message: '--delivery-backoff-max-ms cannot be below --delivery-backoff-ms',
    path: ['delivery-backoff-max-ms'],
  })
  .refine((f) => (f.router === undefined) === (f.config !== undefined && f.node !== undefined), {
    message: 'give either --router URL, or --config FILE with --node ID',
    path: ['router'],
  });
export type NodeFlags = z.infer<typeof nodeFlagsSchema>;

/** A router runs from a manual configuration (`--config`) or owns a dynamic map in its store (`--data`). */
export const routerFlagsSchema = z
  .strictObject({
    config: z.string().min(1).optional(),
    data: z.string().min(1).optional(),
    'router-id': z
      .string()
      .regex(/^[a-z0-9]{1,8}$/, 'a router id is 1–8 lowercase letters or digits')
      .optional(),
    'shards-per-type': z.coerce.number().int().min(1).max(1024).default(8),
    /** Copies of every shard (phase 3); 1 keeps phase 2's single copy. */
    'replication-factor': z.coerce.number().int().min(1).max(5).default(1),
    /** Replicas that must hold a write before it is acknowledged (default: the lesser of 2 and the factor). */
    'min-in-sync': z.coerce.number().int().min(1).max(5).optional(),
    /** Rebalancing steps at once (copies, hand-overs), with replicas. */
    'max-concurrent-moves': z.coerce.number().int().min(1).max(64).default(2),
    /** How fast a new replica may copy its shard, in MB/s (0: unlimited). */
    'move-rate-mb': z.coerce.number().min(0).max(10_000).default(0),
    /** Split a shard automatically once it holds more records than this (0: never). */
    'max-shard-entities': z.coerce.number().int().min(0).default(100_000),
    /** Split a shard automatically once it serves more than this share of its type's operations (0: never). */
    'split-load-share': z.coerce.number().min(0).max(1).default(0.5),
    /** ... but only while the type serves at least this many operations per second. */
    'split-min-ops': z.coerce.number().min(0).default(200),
    /** Automatic splits stop once a type has this many shards. */
    'max-shards-per-type': z.coerce.number().int().min(1).max(4096).default(256),
    'heartbeat-ms': z.coerce.number().int().min(10).max(60_000).default(200),
    'suspect-after-ms': z.coerce.number().int().min(10).max(600_000).default(600),
    'dead-after-ms': z.coerce.number().int().min(10).max(600_000).default(1000),
    host: z.string().default('127.0.0.1'),
    port: portSchema.default(4000),
    'node-timeout-ms': z.coerce.number().int().min(10).max(600_000).default(10_000),
    'log-level': logLevelSchema.default('info'),
  })
  .refine((f) => (f.config === undefined) !== (f.data === undefined), {
    message: 'give either --config FILE (manual shards) or --data DIR (a dynamic cluster)',
    path: ['config'],
  })
  .refine((f) => (f['min-in-sync'] ?? 1) <= f['replication-factor'], {
    message: '--min-in-sync cannot exceed --replication-factor',
    path: ['min-in-sync'],
  })
  .refine((f) => f['dead-after-ms'] > f['suspect-after-ms'], {
    message: '--dead-after-ms must exceed --suspect-after-ms',
    path: ['dead-after-ms'],
  });
export type RouterFlags = z.infer<typeof routerFlagsSchema>;

/** `isx up`: a local cluster of real processes. */
export const upFlagsSchema = z.strictObject({
  nodes: z.coerce.number().int().min(1).max(26).default(2),
  /** `manual` is phase 1's hand-written ranges; `dynamic` has nodes register with the router. */
  mode: z.enum(['manual', 'dynamic']).default('dynamic'),
  partitioner: z.enum(['hash', 'lexical']).default('hash'),
  /** Copies of every shard (dynamic mode only); 3 is phase 3's default of three copies. */
  rf: z.coerce.number().int().min(1).max(5).default(1),
  service: z.string().default('campaign'),
  port: portSchema.default(4000),
  data: z.string().min(1).default('.isx/cluster'),
  'log-level': logLevelSchema.default('info'),
  /**
   * What of the processes' logs `isx up` prints: `notable` (warnings, errors, and the info lines
   * about membership, failover, moves and splits), every line at or above a level, or `none`.
   */
  logs: z.enum(['notable', 'none', 'fatal', 'error', 'warn', 'info', 'debug', 'trace']).default('notable'),
});
export type UpFlags = z.infer<typeof upFlagsSchema>;

/** `isx status`, `isx shards`: commands that read a running cluster. */
export const readClusterFlagsSchema = z.strictObject({
  router: z.url().default('http://127.0.0.1:4000'),
  json: z.boolean().default(false),
});
export type ReadClusterFlags = z.infer<typeof readClusterFlagsSchema>;

/** `isx split SHARD` and `isx move SHARD --to NODE`: commands that steer a dynamic cluster. */
export const steerFlagsSchema = z.strictObject({
  router: z.url().default('http://127.0.0.1:4000'),
  at: z.string().min(1).optional(),
  to: nodeIdSchema.optional(),
});
export type SteerFlags = z.infer<typeof steerFlagsSchema>;

/** `isx drain NODE`: empty a node so it can leave (or, with `--undo`, stop doing so). */
export const drainFlagsSchema = z.strictObject({
  router: z.url().default('http://127.0.0.1:4000'),
  wait: z.boolean().default(false),
  undo: z.boolean().default(false),
});
export type DrainFlags = z.infer<typeof drainFlagsSchema>;

/** `isx dead-letters [replay SENDER]`: list the messages senders gave up on, or send some again. */
export const deadLettersFlagsSchema = z.strictObject({
  router: z.url().default('http://127.0.0.1:4000'),
  json: z.boolean().default(false),
  /** With replay: only the letters to this receiver, `type/key`. */
  to: z.string().min(3).optional(),
  /** With replay: only the letter with this sequence number. */
  seq: z.coerce.number().int().min(1).optional(),
});
export type DeadLettersFlags = z.infer<typeof deadLettersFlagsSchema>;

/** `isx experiment FILE`: run a failure experiment. */
export const experimentFlagsSchema = z.strictObject({
  /** Where the run's files go (default `lab-results/NAME-TIME`). */
  out: z.string().min(1).optional(),
  /** Replaces the spec's seed. */
  seed: z.coerce
    .number()
    .int()
    .min(0)
    .max(2 ** 32 - 1)
    .optional(),
  /** Replaces the workload's duration, in milliseconds. */
  duration: z.coerce.number().int().positive().optional(),
  'log-level': logLevelSchema.default('warn'),
});
export type ExperimentFlags = z.infer<typeof experimentFlagsSchema>;

/**
 * What the router's dashboard streams (`GET /dashboard/events`, server-sent events): one
 * snapshot of the cluster at a time, with the recent request rate and the recent events.
 *
 * The page draws a snapshot whole, so a browser that reconnects loses nothing it needs.
 */
import { z } from 'zod';
import { clusterViewSchema } from './wire.js';

/** One second of keyed requests through the router. */
export const requestSecondSchema = z.object({
  /** The second's start, in milliseconds since the epoch. */
  at: z.number().int(),
  requests: z.number().int().min(0),
  /** Answers with a status of 500 or more, or none at all. */
  errors: z.number().int().min(0),
  /** Latency percentiles in milliseconds; null in a second without requests. */
  p50Ms: z.number().min(0).nullable(),
  p99Ms: z.number().min(0).nullable(),
});
export type RequestSecond = z.infer<typeof requestSecondSchema>;

/** Something the cluster did: a node's liveness changed, a shard failed over, a move began or ended. */
export const dashboardEventSchema = z.object({
  /** ISO time the router saw it. */
  at: z.string(),
  kind: z.enum(['liveness', 'failover', 'move-started', 'move-done', 'move-failed', 'split']),
  /** One line for a person to read. */
  text: z.string(),
  nodeId: z.string().optional(),
  shardId: z.string().optional(),
});
export type DashboardEvent = z.infer<typeof dashboardEventSchema>;

/** One `snapshot` event of `GET /dashboard/events`. */
export const dashboardSnapshotSchema = z.object({
  at: z.string(),
  routerId: z.string(),
  cluster: clusterViewSchema,
  /** The last minute of keyed requests, oldest first, one entry per second. */
  requests: z.array(requestSecondSchema),
  /** The most recent events, oldest first. */
  events: z.array(dashboardEventSchema),
  /** Dead letters by the shard of their sender, as the nodes last answered (dynamic clusters). */
  deadLetters: z
    .object({
      total: z.number().int().min(0),
      byShard: z.record(z.string(), z.number().int().min(0)),
      /** Nodes that could not be asked. */
      unanswered: z.array(z.string()),
    })
    .optional(),
});
export type DashboardSnapshot = z.infer<typeof dashboardSnapshotSchema>;

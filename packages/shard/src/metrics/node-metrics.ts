/**
 * A node's metrics, served on `GET /metrics` in the Prometheus text format (issue 8): its
 * requests by route, method and status, with latency histograms; group-commit batch sizes;
 * replication (in-sync set sizes, backup lag, batch sizes); message delivery; heartbeats to
 * the router; and prom-client's default process metrics.
 *
 * Each node has a registry of its own, never prom-client's global one, since tests run
 * several nodes in one process. What is observed as it happens (requests, batches) costs a
 * label lookup and a bucket search; everything else is read at scrape time from figures the
 * node keeps anyway, in the metrics' `collect` callbacks. A scrape must never scan the store,
 * and an observer here must never throw into the code that calls it.
 */
import type { ShardMap } from '@isx/core';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { DeliveryLoop } from '../activities/delivery-loop.js';
import type { BackupLag } from '../replication/backup-acknowledgements.js';
import type { HeartbeatStats } from '../router-link.js';

/** Request latencies, from 1 ms to 5 s. */
const SECONDS_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];
/** Store operations per group-commit batch: powers of two up to 1024. */
const BATCH_OPS_BUCKETS = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024];
/** Entries per replicate-batch request: powers of two up to the streams' cap of 256. */
const BATCH_ENTRIES_BUCKETS = [1, 2, 4, 8, 16, 32, 64, 128, 256];

/** What the metrics read from the delivery loop at scrape time. */
export type DeliveryFigures = Pick<DeliveryLoop, 'totals' | 'senders' | 'queuedMessages'>;

export interface NodeMetricsOptions {
  /** This node's id; a function because a new node learns it when it registers. */
  nodeId: () => string;
  /** The service the node runs (`campaign`, …). */
  service: string;
  /** The shard map as the node holds it, for the shards it leads and their in-sync sets. */
  map: () => ShardMap | undefined;
  /** The delivery loop of the messages between entities (phase 4). */
  delivery?: () => DeliveryFigures | undefined;
  /** How far behind each backup of the shards the node leads is, where known (phase 3). */
  backupLag?: () => readonly BackupLag[];
  /** The heartbeats to the router; only a node with a router has them. */
  heartbeats?: () => HeartbeatStats | undefined;
  /** The clock of `HeartbeatStats.lastSucceededAt`, in ms (default `performance.now`). */
  now?: () => number;
}

/** A request's labels on the HTTP metrics. */
export interface RequestLabels {
  /** A route template (`/:type/:key`), never a raw path. */
  readonly route: string;
  readonly method: string;
  readonly status: number;
}

/**
 * The metrics of one node, and the registry that serves them.
 *
 * @example
 * const metrics = new NodeMetrics({ nodeId: () => 'node-1', service: 'campaign', map: () => ownership.map });
 * metrics.observeRequest({ route: '/:type/:key', method: 'GET', status: 200 }, 0.002);
 * const text = await metrics.scrape(); // served with `metrics.contentType`
 */
export class NodeMetrics {
  readonly registry = new Registry();
  readonly #requests: Counter<'route' | 'method' | 'status'>;
  readonly #requestSeconds: Histogram<'route' | 'method' | 'status'>;
  readonly #groupCommitOps: Histogram;
  readonly #replicationBatchEntries: Histogram;

  constructor(options: NodeMetricsOptions) {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry });
    new Gauge({
      name: 'isx_node_info',
      help: 'Always 1: this node, and the service it runs.',
      labelNames: ['node', 'service'],
      registers,
      collect() {
        // The node id changes once, when a new node registers: drop the old series.
        this.reset();
        this.set({ node: options.nodeId(), service: options.service }, 1);
      },
    });
    this.#requests = new Counter({
      name: 'isx_http_requests_total',
      help: 'HTTP requests answered, by route template, method and status.',
      labelNames: ['route', 'method', 'status'],
      registers,
    });
    this.#requestSeconds = new Histogram({
      name: 'isx_http_request_duration_seconds',
      help: 'Time from a request’s arrival to the end of its answer, by route template, method and status.',
      labelNames: ['route', 'method', 'status'],
      buckets: SECONDS_BUCKETS,
      registers,
    });
    this.#groupCommitOps = new Histogram({
      name: 'isx_group_commit_batch_ops',
      help: 'Store operations written by each group-commit batch.',
      buckets: BATCH_OPS_BUCKETS,
      registers,
    });
    this.#replicationBatchEntries = new Histogram({
      name: 'isx_replication_batch_entries',
      help: 'Log entries carried by each replicate-batch request sent to a backup.',
      buckets: BATCH_ENTRIES_BUCKETS,
      registers,
    });
    registerReplicationGauges(options, registers);
    registerDeliveryMetrics(options, registers);
    if (options.heartbeats) registerHeartbeatMetrics(options, options.heartbeats, registers);
  }

  /** The content type of {@link scrape}'s text. */
  get contentType(): string {
    return this.registry.contentType;
  }

  /** Every metric, in the Prometheus text format. */
  scrape(): Promise<string> {
    return this.registry.metrics();
  }

  /** One request answered, `seconds` after it arrived. */
  observeRequest(labels: RequestLabels, seconds: number): void {
    this.#requests.inc(labels);
    this.#requestSeconds.observe(labels, seconds);
  }

  /** One group-commit batch written to the store, with `ops` operations. */
  observeGroupCommit(ops: number): void {
    this.#groupCommitOps.observe(ops);
  }

  /** One replicate-batch request sent to a backup, with `entries` entries. */
  observeReplicationBatch(entries: number): void {
    this.#replicationBatchEntries.observe(entries);
  }
}

type Registers = Registry[];

function registerReplicationGauges(options: NodeMetricsOptions, registers: Registers): void {
  new Gauge({
    name: 'isx_replication_in_sync_replicas',
    help: 'Copies in the in-sync set (the primary and its in-sync backups) of each shard this node leads.',
    labelNames: ['shard'],
    registers,
    collect() {
      this.reset();
      for (const shard of options.map()?.shardsOf(options.nodeId()) ?? []) {
        this.set({ shard: shard.id }, 1 + (shard.backups?.length ?? 0));
      }
    },
  });
  new Gauge({
    name: 'isx_replication_backup_lag_entries',
    help:
      'Log entries this primary sent for a shard that a backup has not acknowledged, in the current epoch; ' +
      'a backup that has acknowledged nothing in it yet has no sample.',
    labelNames: ['shard', 'backup'],
    registers,
    collect() {
      this.reset();
      for (const lag of options.backupLag?.() ?? []) {
        this.set({ shard: lag.shardId, backup: lag.backup }, lag.entries);
      }
    },
  });
}

function registerDeliveryMetrics(options: NodeMetricsOptions, registers: Registers): void {
  // The delivery loop keeps these totals anyway: counters read at scrape time cost the loop nothing.
  new Counter({
    name: 'isx_delivery_attempts_total',
    help:
      'Messages between entities: delivered (messages the receiver holds), ' +
      'retried (failed attempts to be tried again), parked (messages given up as dead letters).',
    labelNames: ['outcome'],
    registers,
    collect() {
      const totals = options.delivery?.()?.totals ?? { delivered: 0, retried: 0, parked: 0 };
      this.reset();
      this.inc({ outcome: 'delivered' }, totals.delivered);
      this.inc({ outcome: 'retried' }, totals.retried);
      this.inc({ outcome: 'parked' }, totals.parked);
    },
  });
  new Counter({
    name: 'isx_dead_letters_parked_total',
    help: 'Messages this node parked as dead letters since it started.',
    registers,
    collect() {
      this.reset();
      this.inc(options.delivery?.()?.totals.parked ?? 0);
    },
  });
  new Gauge({
    name: 'isx_delivery_senders_pending',
    help: 'Entities this node leads that have messages still to deliver.',
    registers,
    collect() {
      this.set(options.delivery?.()?.senders ?? 0);
    },
  });
  new Gauge({
    name: 'isx_outbox_pending_messages',
    help:
      'Messages still to deliver from the entities this node leads, ' +
      'as the delivery loop last read their records (a round old at most).',
    registers,
    collect() {
      this.set(options.delivery?.()?.queuedMessages ?? 0);
    },
  });
}

function registerHeartbeatMetrics(
  options: NodeMetricsOptions,
  heartbeats: () => HeartbeatStats | undefined,
  registers: Registers,
): void {
  const now = options.now ?? (() => performance.now());
  new Counter({
    name: 'isx_heartbeats_sent_total',
    help: 'Heartbeats sent to the router: ok (answered, map current) or failed.',
    labelNames: ['outcome'],
    registers,
    collect() {
      const stats = heartbeats();
      this.reset();
      this.inc({ outcome: 'ok' }, stats?.ok ?? 0);
      this.inc({ outcome: 'failed' }, stats?.failed ?? 0);
    },
  });
  new Gauge({
    name: 'isx_router_last_heartbeat_age_seconds',
    help: 'Seconds since a heartbeat to the router last succeeded (or the registration, before the first).',
    registers,
    collect() {
      const stats = heartbeats();
      this.set(stats ? Math.max(0, now() - stats.lastSucceededAt) / 1000 : 0);
    },
  });
}

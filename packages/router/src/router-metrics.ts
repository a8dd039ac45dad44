/**
 * The router's metrics, served on `GET /metrics` in the Prometheus text format: its requests by
 * route template, method and status, with their latency; forwarded requests it answered with an
 * error of its own; what the cluster code reports (liveness changes, moves, failovers, automatic
 * splits); and, read when scraped, the nodes' liveness, their heartbeat ages and the shard map.
 *
 * Each router has its own prom-client registry, never the global one, so two routers in one
 * process (as in tests) keep their figures apart. A label must never hold a raw path or a key:
 * one series per entity would swamp Prometheus.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ShardMap } from '@isx/core';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { ClusterEvents, MoveKind, MoveResult } from './cluster-events.js';
import type { NodeView } from './cluster-manager.js';
import type { Liveness, LivenessChange } from './failure-detector.js';
import { pathnameOf, routeTemplateOf } from './request-route.js';

/** Request latency buckets, in seconds: 1 ms to 10 s (the default node timeout). */
const DURATION_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
/** Every kind of move, so that each series exists, at zero, before its first move. */
const MOVE_KINDS: Record<MoveKind, true> = {
  'add-replica': true,
  'move-replica': true,
  'transfer-primary': true,
  'remove-replica': true,
  move: true,
  split: true,
};
const MOVE_RESULTS: readonly MoveResult[] = ['done', 'failed'];
/** The changes a failure detector can make: a sweep ages a node, a heartbeat revives it. */
const LIVENESS_CHANGES: ReadonlyArray<readonly [Liveness, Liveness]> = [
  ['alive', 'suspect'],
  ['alive', 'dead'],
  ['suspect', 'dead'],
  ['suspect', 'alive'],
  ['dead', 'alive'],
];
/** How `isx_cluster_nodes` counts a node: by liveness, except a live node being drained. */
type NodeStatus = Liveness | 'draining';
const NODE_STATUSES: readonly NodeStatus[] = ['alive', 'suspect', 'dead', 'draining'];

/** What the router's gauges are read from when it is scraped. */
export interface RouterMetricsSource {
  /** The shard map in use. */
  map(): ShardMap;
  /** The registered nodes and their liveness; absent for a fixed map, whose nodes are not watched. */
  nodes?: (() => readonly NodeView[]) | undefined;
}

/**
 * One router's metrics and the registry that serves them.
 *
 * @example
 * const metrics = new RouterMetrics({ map: () => manager.map, nodes: () => manager.nodes() });
 * manager.observe(metrics);
 * server.on('request', (request, response) => metrics.observeRequest(request, response));
 * const text = await metrics.registry.metrics(); // served with metrics.registry.contentType
 */
export class RouterMetrics implements ClusterEvents {
  /** This router's registry, with Node's default process metrics in it. */
  readonly registry = new Registry();
  readonly #requests: Counter<'route' | 'method' | 'status'>;
  readonly #requestSeconds: Histogram<'route' | 'method' | 'status'>;
  readonly #forwardErrors: Counter<'code'>;
  readonly #transitions: Counter<'from' | 'to'>;
  readonly #movesStarted: Counter<'kind'>;
  readonly #movesFinished: Counter<'kind' | 'outcome'>;
  readonly #movesInProgress: Gauge<'kind'>;
  readonly #failovers: Counter;
  readonly #autoSplits: Counter;

  constructor(source: RouterMetricsSource) {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry });
    this.#requests = new Counter({
      name: 'isx_http_requests_total',
      help: 'HTTP requests the router answered, by route template, method and status (status "aborted": the response was cut off).',
      labelNames: ['route', 'method', 'status'],
      registers,
    });
    this.#requestSeconds = new Histogram({
      name: 'isx_http_request_duration_seconds',
      help: 'Time from receiving an HTTP request to the end of its response, by route template, method and status.',
      labelNames: ['route', 'method', 'status'],
      buckets: DURATION_BUCKETS,
      registers,
    });
    this.#forwardErrors = new Counter({
      name: 'isx_router_forward_errors_total',
      help: 'Forwarded requests answered with an error instead of a node answer (NODE_UNAVAILABLE, NODE_TIMEOUT, NODE_CONNECTION_LOST, NODE_ERROR), or with a node refusal such as SHARD_MOVING once the request could not be held longer, by code.',
      labelNames: ['code'],
      registers,
    });
    this.#transitions = new Counter({
      name: 'isx_failure_detector_transitions_total',
      help: 'Liveness changes of nodes seen by the failure detector, by previous and new status.',
      labelNames: ['from', 'to'],
      registers,
    });
    this.#movesStarted = new Counter({
      name: 'isx_moves_started_total',
      help: 'Moves started: rebalancing steps, shard moves and splits, by kind.',
      labelNames: ['kind'],
      registers,
    });
    this.#movesFinished = new Counter({
      name: 'isx_moves_finished_total',
      help: 'Moves finished, by kind and outcome (done or failed).',
      labelNames: ['kind', 'outcome'],
      registers,
    });
    this.#movesInProgress = new Gauge({
      name: 'isx_moves_in_progress',
      help: 'Moves running now, by kind.',
      labelNames: ['kind'],
      registers,
    });
    this.#failovers = new Counter({
      name: 'isx_failovers_total',
      help: 'Backups promoted to primary because the primary of their shard died.',
      registers,
    });
    this.#autoSplits = new Counter({
      name: 'isx_auto_splits_total',
      help: 'Shards the router split by itself, for size or load.',
      registers,
    });
    this.#zeroSeries();
    registerScrapeTimeGauges(source, registers);
  }

  /** Counts and times one request once its response is over; call as the request arrives. */
  observeRequest(request: IncomingMessage, response: ServerResponse): void {
    const started = performance.now();
    const pathname = pathnameOf(request.url);
    response.once('close', () => {
      const labels = {
        route: routeTemplateOf(request, pathname),
        method: request.method ?? 'UNKNOWN',
        status: response.writableFinished ? String(response.statusCode) : 'aborted',
      };
      this.#requests.inc(labels);
      this.#requestSeconds.observe(labels, (performance.now() - started) / 1000);
    });
  }

  /** A forwarded request was answered with the error `code` instead of a node's answer. */
  forwardFailed(code: string): void {
    this.#forwardErrors.inc({ code });
  }

  livenessChanged(change: LivenessChange): void {
    this.#transitions.inc({ from: change.from, to: change.to });
  }

  moveStarted(kind: MoveKind): void {
    this.#movesStarted.inc({ kind });
    this.#movesInProgress.inc({ kind });
  }

  moveFinished(kind: MoveKind, result: MoveResult): void {
    this.#movesFinished.inc({ kind, outcome: result });
    this.#movesInProgress.dec({ kind });
  }

  failedOver(): void {
    this.#failovers.inc();
  }

  splitAutomatically(): void {
    this.#autoSplits.inc();
  }

  /** Makes every series of a known label set exist at zero, so a rate works from the start. */
  #zeroSeries(): void {
    for (const kind of Object.keys(MOVE_KINDS) as MoveKind[]) {
      this.#movesStarted.inc({ kind }, 0);
      this.#movesInProgress.set({ kind }, 0);
      for (const outcome of MOVE_RESULTS) this.#movesFinished.inc({ kind, outcome }, 0);
    }
    for (const [from, to] of LIVENESS_CHANGES) this.#transitions.inc({ from, to }, 0);
  }
}

/** The gauges computed from the cluster's own state each time the router is scraped. */
function registerScrapeTimeGauges(source: RouterMetricsSource, registers: Registry[]): void {
  new Gauge({
    name: 'isx_cluster_nodes',
    help: 'Registered nodes by status: alive, suspect or dead, or draining for a live node being emptied.',
    labelNames: ['status'],
    registers,
    collect() {
      const nodes = source.nodes?.();
      if (!nodes) return;
      for (const status of NODE_STATUSES) {
        this.set({ status }, nodes.filter((node) => statusOf(node) === status).length);
      }
    },
  });
  new Gauge({
    name: 'isx_node_heartbeat_age_seconds',
    help: 'Seconds since the router last heard from each registered node.',
    labelNames: ['node'],
    registers,
    collect() {
      this.reset();
      for (const node of source.nodes?.() ?? []) {
        if (node.heartbeatAgeMs !== null) this.set({ node: node.record.id }, node.heartbeatAgeMs / 1000);
      }
    },
  });
  new Gauge({
    name: 'isx_shards',
    help: 'Shards in the shard map, by entity type.',
    labelNames: ['type'],
    registers,
    collect() {
      this.reset();
      for (const [type, layout] of Object.entries(source.map().config.types)) {
        this.set({ type }, layout.shards.length);
      }
    },
  });
  new Gauge({
    name: 'isx_shard_map_version',
    help: 'Version of the shard map the router uses.',
    registers,
    collect() {
      this.set(source.map().version);
    },
  });
}

function statusOf(node: NodeView): NodeStatus {
  return node.status === 'alive' && node.record.draining === true ? 'draining' : node.status;
}

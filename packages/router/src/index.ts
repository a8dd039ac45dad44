/**
 * `@isx/router`: the service locator and configuration manager.
 *
 * Every operation names `(type, key)`. The router finds the shard that owns the key in its
 * shard map and streams the request to that shard's node over a keep-alive pool, without
 * parsing the body. It answers what it can decide alone (unknown type, invalid key, a key
 * no shard covers) and turns node failures into errors that say whether the request may
 * have been applied. `GET /cluster` shows the map and which nodes are up; `GET /metrics` serves
 * the router's metrics in the Prometheus text format.
 *
 * @example
 * import { startRouter } from '@isx/router';
 * const router = await startRouter({ map, port: 4000 });
 *
 * @packageDocumentation
 */
export { createAdminApp } from './admin-app.js';
export type { AdminAppOptions } from './admin-app.js';
export type { ClusterEvents, MoveKind, MoveResult } from './cluster-events.js';
export { ClusterManager } from './cluster-manager.js';
export type { ClusterManagerOptions, NodeView } from './cluster-manager.js';
export type { MoveOutcome } from './move-coordinator.js';
export { FailureDetector } from './failure-detector.js';
export type { FailureDetectorOptions, Liveness, LivenessChange } from './failure-detector.js';
export { Forwarder } from './forwarder.js';
export type { ForwarderOptions, ForwardOutcome, ForwardTarget, OutgoingRequest } from './forwarder.js';
export { IdGenerator } from './id-generator.js';
export { hashRanges, initialShards, planMoves } from './placement.js';
export type { PlannedMove } from './placement.js';
export { RouterMetrics } from './router-metrics.js';
export type { RouterMetricsSource } from './router-metrics.js';
export { startRouter } from './router.js';
export type { RouterOptions, RunningRouter } from './router.js';
export { ROUTER_USAGE, runRouterMain } from './router-main.js';

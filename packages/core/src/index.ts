/**
 * `@isx/core`: the vocabulary every Infinite Scale process shares.
 *
 * Keys and their validation, the `hash` and `lexical` partitioners, `KeyRange` and the
 * coverage check, entity definitions, the cluster configuration and `ShardMap`, the wire
 * schemas of every body that crosses a process, and typed errors with stable codes.
 * It depends on zod only and does no I/O.
 *
 * @example
 * import { parseClusterConfig, ShardMap } from '@isx/core';
 * const map = new ShardMap(parseClusterConfig(config));
 * const { shard, nodeUrl } = map.locate('campaign', 'spring-sale');
 *
 * @packageDocumentation
 */
export { systemClock } from './clock.js';
export { until } from './until.js';
export { CLUSTER_TOKEN_ENV, CLUSTER_TOKEN_HEADER, tokensMatch } from './cluster-token.js';
export type { Clock } from './clock.js';
export {
  clusterConfigSchema,
  nodeAddressSchema,
  nodeIdSchema,
  parseClusterConfig,
  shardAssignmentSchema,
  shardIdSchema,
  typeLayoutSchema,
} from './cluster-config.js';
export type { ClusterConfig, ShardAssignment, TypeLayout } from './cluster-config.js';
export {
  activityStateSchema,
  deadLetterSchema,
  deadLettersAnswerSchema,
  deadLetterViewSchema,
  hasPendingMessages,
  replayAnswerSchema,
  replayRequestSchema,
  incomingActivitySchema,
  outgoingActivitySchema,
  pendingMessageSchema,
  storedValueSchema,
} from './activity-state.js';
export type {
  ActivityState,
  DeadLetter,
  DeadLettersAnswer,
  DeadLetterView,
  IncomingActivity,
  ReplayAnswer,
  ReplayRequest,
  OutgoingActivity,
  PendingMessage,
  StoredValue,
} from './activity-state.js';
export { defineEntity } from './entity.js';
export { parseEntityPath } from './entity-path.js';
export type { EntityPath } from './entity-path.js';
export type { BuildContext, EntityDefinition, EntitySpec, HandleContext, MessageHandler } from './entity.js';
export {
  addressName,
  deliveredBatchSchema,
  deliveredMessageSchema,
  MAX_DELIVERIES_PER_REQUEST,
  MAX_MESSAGES_PER_DELIVERY,
  deliveryAnswerSchema,
  deliveryRequestSchema,
  deliveryResultSchema,
  deliveryResultsSchema,
  entityAddressSchema,
  messageKindSchema,
  outcomeOf,
  outgoingMessageSchema,
  parseAddressName,
  withMessages,
} from './message.js';
export type {
  DeliveredBatch,
  DeliveredMessage,
  DeliveryAnswer,
  DeliveryResult,
  EntityAddress,
  Outcome,
  OutgoingMessage,
} from './message.js';
export {
  ERROR_STATUS,
  errorBodySchema,
  errorFromBody,
  isIsxError,
  IsxError,
  RetryableError,
  validationError,
} from './errors.js';
export type { ErrorBody, ErrorCode, IsxErrorOptions } from './errors.js';
export {
  checkerNameSchema,
  clusterSpecSchema,
  experimentSpecSchema,
  faultEntrySchema,
  faultSchema,
  labNodeNameSchema,
  isServiceEnd,
  labServiceNameSchema,
  linkEndSchema,
  linkSchema,
  nodeTargetSchema,
  processTargetSchema,
  shardTargetSchema,
  parseExperimentSpec,
  periodicFaultSchema,
  timedFaultSchema,
  workloadSpecSchema,
} from './experiment-spec.js';
export type {
  CheckerName,
  ClusterSpec,
  ExperimentSpec,
  ExperimentSpecInput,
  FaultKind,
  FaultSpec,
  LinkSpec,
  NodeTarget,
  ProcessTarget,
  ShardTarget,
  PeriodicFault,
  TimedFault,
  WorkloadSpec,
} from './experiment-spec.js';
export {
  historyEventSchema,
  nemesisEventSchema,
  operationEventSchema,
  operationNameSchema,
  operationPhaseSchema,
} from './history-event.js';
export type {
  HistoryEvent,
  NemesisEvent,
  OperationEvent,
  OperationName,
  OperationPhase,
} from './history-event.js';
export { MAX_BODY_BYTES, parseJson, parseJsonObject } from './json-body.js';
export { isValidKey, isValidTypeName, keyProblem, MAX_KEY_LENGTH, parseKey } from './key.js';
export {
  checkCoverage,
  compareEnds,
  compareRanges,
  coversExactly,
  describeCoverage,
  formatRange,
  FULL_RANGE,
  isEmptyRange,
  keyRangeSchema,
  rangeContains,
} from './key-range.js';
export type { CoverageReport, KeyRange } from './key-range.js';
export { applyMergePatch } from './merge-patch.js';
export {
  copyRequestSchema,
  copiesInProgressSchema,
  copyResultSchema,
  exportedEntitySchema,
  fenceRequestSchema,
  heartbeatRequestSchema,
  shardLoadSchema,
  heartbeatResponseSchema,
  moveRequestSchema,
  drainRequestSchema,
  drainAnswerSchema,
  registerRequestSchema,
  registerResponseSchema,
  shardMapWireSchema,
  shardScopeSchema,
  splitRequestSchema,
} from './membership-wire.js';
export type {
  CopyRequest,
  DrainAnswer,
  CopiesInProgress,
  CopyResult,
  ExportedEntity,
  FenceRequest,
  HeartbeatRequest,
  ShardLoad,
  HeartbeatResponse,
  RegisterRequest,
  RegisterResponse,
  ShardMapWire,
  ShardScope,
} from './membership-wire.js';
export { hashPartitioner, lexicalPartitioner, partitionerFor, partitionerNameSchema } from './partitioner.js';
export type { Partitioner, PartitionerName } from './partitioner.js';
export { checkIfMatch, parseIfMatch, versionEtag } from './preconditions.js';
export type { IfMatch } from './preconditions.js';
export {
  experimentFlagsSchema,
  LOG_LEVEL_ENV,
  logLevelFrom,
  logLevelSchema,
  nodeFlagsSchema,
  readClusterFlagsSchema,
  routerFlagsSchema,
  steerFlagsSchema,
  deadLettersFlagsSchema,
  drainFlagsSchema,
  upFlagsSchema,
} from './process-flags.js';
export type {
  ExperimentFlags,
  LogLevel,
  NodeFlags,
  ReadClusterFlags,
  RouterFlags,
  SteerFlags,
  DeadLettersFlags,
  DrainFlags,
  UpFlags,
} from './process-flags.js';
export {
  catchUpRequestSchema,
  logEntriesAnswerSchema,
  MAX_REQUEST_IDS_PER_ENTRY,
  replicaFailedRequestSchema,
  replicatedEntitySchema,
  replicateRequestSchema,
  replicateBatchRequestSchema,
  replicateBatchAnswerSchema,
  shardStatusSchema,
} from './replication-wire.js';
export type {
  CatchUpRequest,
  LogEntriesAnswer,
  ReplicaFailedRequest,
  ReplicatedEntity,
  ReplicateRequest,
  ReplicateBatchRequest,
  ReplicateBatchAnswer,
  ShardStatus,
} from './replication-wire.js';
export { newRequestId, REQUEST_ID_HEADER, requestIdFrom, requestIdSchema } from './request-id.js';
export type { RequestId } from './request-id.js';
export { ShardMap } from './shard-map.js';
export { splitPoint } from './split-point.js';
export type { Placement } from './shard-map.js';
export {
  clusterViewSchema,
  entityRecordSchema,
  healthSchema,
  moveViewSchema,
  nodeStatusSchema,
  writeResultSchema,
} from './wire.js';
export type { ClusterView, EntityRecord, Health, MoveView, WriteResult } from './wire.js';
export { dashboardEventSchema, dashboardSnapshotSchema, requestSecondSchema } from './dashboard-wire.js';
export type { DashboardEvent, DashboardSnapshot, RequestSecond } from './dashboard-wire.js';

/**
 * `@isx/lab`: the `isx` command line, the local cluster launcher and the failure lab.
 *
 * `LocalCluster` starts a router and its nodes as real processes on loopback ports, each
 * with its Level store on disk, and can `kill -9` and restart them. The phase demos and the
 * real-process tests are built on it.
 *
 * The failure lab runs an experiment spec: a cluster with a {@link TcpProxy} on every
 * link, a seeded workload that records its history, a nemesis that injects the scheduled
 * faults, and checkers (durability, linearizability, availability) whose verdicts go into
 * `report.json` and `report.html`.
 *
 * @example
 * import { LocalCluster } from '@isx/lab';
 * const cluster = await LocalCluster.start({ dataDir: '/tmp/isx', nodes: 2, partitioner: 'lexical' });
 * await cluster.node('node-2').kill();
 * await cluster.node('node-2').start();
 * await cluster.stop();
 *
 * @example
 * import { loadExperimentSpec, runExperiment } from '@isx/lab';
 * const spec = await loadExperimentSpec('experiments/kill-node.yaml');
 * const report = await runExperiment(spec, { outDir: '/tmp/kill-node' });
 * console.log(report.verdict); // 'valid'
 *
 * @packageDocumentation
 */
export { auditActivities, queuedMessages } from './activities/activity-audit.js';
export type { ActivityAudit, AuditOptions, KeyAudit } from './activities/activity-audit.js';
export { targetingFor } from './activities/profile-targeting.js';
export { ActivitiesChecker } from './checkers/activities.js';
export { AvailabilityChecker, unavailableWindows } from './checkers/availability.js';
export type { UnavailableWindow } from './checkers/availability.js';
export { checkersFor } from './checkers/checker-registry.js';
export type { Anomaly, Checker, CheckerContext, CheckerResult, FaultWindow } from './checkers/checker.js';
export { DurabilityChecker } from './checkers/durability.js';
export { LinearizabilityChecker } from './checkers/linearizability.js';
export { fetchClusterView, movesTable, nodesTable, progressOf, shardsTable } from './cluster-tables.js';
export { isBalanced, leastCopies } from './experiment/cluster-probe.js';
export { experimentCommand } from './experiment/experiment-command.js';
export { runExperiment } from './experiment/experiment-runner.js';
export type { RunExperimentOptions } from './experiment/experiment-runner.js';
export { planFaults } from './experiment/fault-schedule.js';
export { OperationClient } from './experiment/operation-client.js';
export type { OperationCompletion, OperationRequest } from './experiment/operation-client.js';
export { registerCodec } from './experiment/register-values.js';
export { Workload, workloadKeys } from './experiment/workload.js';
export type { WorkloadCounts, WorkloadOptions } from './experiment/workload.js';
export type { PlannedFault } from './experiment/fault-schedule.js';
export { loadExperimentSpec, parseExperimentSpecText, SpecError } from './experiment/spec-file.js';
export type { SpecOverrides } from './experiment/spec-file.js';
export { freePort, freePorts } from './free-port.js';
export { faultWindows } from './history/fault-windows.js';
export { HistoryWriter, readHistory } from './history/history-file.js';
export { pairOperations } from './history/operations.js';
export type { Operation } from './history/operations.js';
export { LocalCluster } from './local-cluster.js';
export type { LocalClusterOptions, NodeWiring, StartProgress } from './local-cluster.js';
export { ISX_ENTRY, ManagedProcess } from './managed-process.js';
export type { ManagedProcessSpec } from './managed-process.js';
export { manualLayout } from './manual-layout.js';
export type { ManualLayoutOptions } from './manual-layout.js';
export { runDemo } from './demo-run.js';
export type { DemoContext } from './demo-run.js';
export { Narrator } from './narrator.js';
export type { NarratedProgressOptions, NarratorOptions } from './narrator.js';
export { formatDuration, Progress, stdoutIsTty } from './progress.js';
export type { ProgressOptions, ProgressSample } from './progress.js';
export { HEALTHY, TcpProxy } from './proxy/tcp-proxy.js';
export type { LinkFaults, TcpProxyOptions } from './proxy/tcp-proxy.js';
export { buildReport } from './report/report-builder.js';
export { renderReportHtml } from './report/report-html.js';
export type {
  ExperimentReport,
  LatencySample,
  ReportFault,
  TimelineBucket,
  Verdict,
} from './report/report-model.js';
export { SERVICES } from './services.js';
export { formatTable } from './table.js';
export { until } from '@isx/core';

/**
 * Runs one failure experiment from its spec: start a cluster with a proxy on every link,
 * drive the workload while the nemesis follows the fault schedule, heal everything, wait
 * for quiet, read every key once more, then check the history and write the report.
 *
 * Everything a run produces goes to its output directory: `history.jsonl`, `report.json`,
 * `report.html`, the process logs and the Level stores. The runner narrates as it goes, with a
 * progress line while the workload runs and while it waits for the cluster to heal and its
 * queues to drain, and always stops every process it started, whatever happened.
 */
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ExperimentSpec } from '@isx/core';
import { checkersFor } from '../checkers/checker-registry.js';
import type { CheckerResult, FinalLayout } from '../checkers/checker.js';
import { faultWindows } from '../history/fault-windows.js';
import { HistoryWriter } from '../history/history-file.js';
import { pairOperations } from '../history/operations.js';
import { buildReport } from '../report/report-builder.js';
import { renderReportHtml } from '../report/report-html.js';
import type { ExperimentReport } from '../report/report-model.js';
import { auditActivities, type ActivityAudit } from '../activities/activity-audit.js';
import { fetchClusterView } from '../cluster-tables.js';
import { Progress, type ProgressOptions, type ProgressSample } from '../progress.js';
import { copyLayout, waitForQuiet } from './cluster-probe.js';
import { planFaults, type PlannedFault } from './fault-schedule.js';
import { startLabCluster, type LabCluster } from './lab-cluster.js';
import { Nemesis } from './nemesis.js';
import { OperationClient } from './operation-client.js';
import { registerCodec } from './register-values.js';
import { ReplicationMonitor } from './replication-monitor.js';
import { Workload, workloadKeys } from './workload.js';

export interface RunExperimentOptions {
  /** Where the history, the report, the logs and the data go. */
  readonly outDir: string;
  /**
   * Receives each line of narration (default: stdout). Given one, progress comes as plain
   * lines through it too; on stdout, a terminal gets a progress bar redrawn in place.
   */
  readonly log?: (line: string) => void;
  /** Log level of the cluster's processes (default `warn`). */
  readonly logLevel?: string;
}

/** Runs `spec` and returns its report (also written to `outDir`). */
export async function runExperiment(
  spec: ExperimentSpec,
  options: RunExperimentOptions,
): Promise<ExperimentReport> {
  const log = options.log ?? ((line: string) => process.stdout.write(`${line}\n`));
  const progressTo = progressOutput(options.log);
  const schedule = planFaults(spec);
  await mkdir(options.outDir, { recursive: true });
  // A run starts on empty stores: what an earlier run in this directory left would be a history we did not record.
  await rm(join(options.outDir, 'cluster'), { recursive: true, force: true });
  await writeFile(join(options.outDir, 'spec.json'), `${JSON.stringify({ spec, schedule }, null, 2)}\n`);
  log(`▶ ${spec.name}: ${spec.description}`);
  log(
    `  seed ${spec.seed}, ${spec.cluster.nodes} node(s), ${schedule.length} fault(s) planned, ${spec.workload.durationMs / 1000} s of workload`,
  );
  const startedAt = new Date().toISOString();
  const lab = await startLabCluster(spec, join(options.outDir, 'cluster'), options.logLevel ?? 'warn');
  log(
    `  cluster up: router ${lab.cluster.routerUrl}, nodes ${[...lab.nodes.keys()].join(', ')}, a proxy on every link`,
  );
  const history = new HistoryWriter(join(options.outDir, 'history.jsonl'));
  const monitor = new ReplicationMonitor(lab.cluster.routerUrl, spec.cluster.replicationFactor, history);
  monitor.start();
  let workloadNs = 0;
  let restoredAtEnd = true;
  let finalLayout: FinalLayout | undefined;
  let activities: ActivityAudit | undefined;
  const nemesis = new Nemesis({
    network: lab.network,
    nodes: lab.nodes,
    namesById: lab.namesById,
    dataDirs: lab.dataDirs,
    router: lab.cluster.router,
    routerUrl: lab.cluster.routerUrl,
    clusterToken: lab.cluster.token,
    spares: lab.spares,
    startSpare: () => lab.startSpare(),
    servicesByName: lab.servicesByName,
    type: spec.workload.type,
    history,
  });
  try {
    const client = new OperationClient({
      routerUrl: lab.cluster.routerUrl,
      type: spec.workload.type,
      codec: registerCodec(spec.workload.type, { withProfile: spec.workload.withProfile }),
      timeoutMs: spec.workload.timeoutMs,
    });
    const workload = new Workload({ spec: spec.workload, seed: spec.seed, client, history });
    const injected = { faults: 0 };
    const progress = new Progress({
      ...progressTo,
      label: 'workload',
      totalMs: spec.workload.durationMs,
      sample: () => workloadSample(workload, nemesis, injected.faults),
    }).start();
    try {
      await Promise.all([
        workload.run(),
        followSchedule(schedule, spec.workload.durationMs, nemesis, history, injected, (line) =>
          progress.above(`${line}\n`),
        ),
      ]);
    } finally {
      workloadNs = history.nowNs();
      const { ok, fail, info } = workload.counts;
      progress.finish(
        `${count(ok)} ok, ${count(fail)} fail, ${count(info)} info, ${injected.faults} fault(s) injected`,
      );
    }
    restoredAtEnd = await settle(spec, lab, nemesis, log, progressTo);
    finalLayout = await fetchClusterView(lab.cluster.routerUrl).then(
      (view) => ({ ...copyLayout(view), expectedNodes: nemesis.expectedNodes }),
      () => undefined,
    );
    monitor.stop();
    await finalReads(spec, client, history, log, progressTo);
    if (spec.workload.withProfile) activities = await auditQueues(spec, lab, log, progressTo);
  } finally {
    monitor.stop();
    nemesis.close();
    await history.close();
    await lab.stop();
  }
  const report = await judge(
    spec,
    history,
    startedAt,
    workloadNs,
    { restoredAtEnd, finalLayout, activities },
    log,
  );
  await writeFile(join(options.outDir, 'report.json'), `${JSON.stringify(report, null, 2)}\n`);
  await writeFile(join(options.outDir, 'report.html'), renderReportHtml(report));
  log(`  report: ${join(options.outDir, 'report.html')}`);
  return report;
}

/** Applies each planned fault at its time, and undoes it when its duration runs out. */
async function followSchedule(
  schedule: readonly PlannedFault[],
  durationMs: number,
  nemesis: Nemesis,
  history: HistoryWriter,
  injected: { faults: number },
  log: (line: string) => void,
): Promise<void> {
  const events = schedule.flatMap((planned, index) => [
    { atMs: planned.atMs, index, action: 'apply' as const },
    ...(planned.untilMs === undefined ? [] : [{ atMs: planned.untilMs, index, action: 'undo' as const }]),
  ]);
  events.sort((a, b) => a.atMs - b.atMs || (a.action === 'undo' ? -1 : 1));
  // What is still in force when the workload ends is healed by the settle step.
  const due = events.filter((event) => event.atMs < durationMs);
  const targets = new Map<number, string>();
  for (const event of due) {
    const wait = event.atMs - history.nowNs() / 1e6;
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    const planned = schedule[event.index]!;
    if (event.action === 'apply') {
      const target = await nemesis.apply(planned);
      targets.set(event.index, target);
      injected.faults += 1;
      log(`  ⚡ ${(history.nowNs() / 1e9).toFixed(1)} s  ${planned.fault.kind} ${target}`);
    } else {
      const target = targets.get(event.index);
      if (target === undefined) continue;
      nemesis.undo(planned, target);
      log(`  ✚ ${(history.nowNs() / 1e9).toFixed(1)} s  undo ${planned.fault.kind} ${target}`);
    }
  }
}

/**
 * Heals, restarts, waits for the operator's steps under way, then for quiet: the nodes
 * expected (joined ones in, departed ones out) up, no step under way, every shard with all
 * its copies on live nodes. Returns whether quiet came.
 */
async function settle(
  spec: ExperimentSpec,
  lab: LabCluster,
  nemesis: Nemesis,
  log: (line: string) => void,
  progressTo: ProgressTarget,
): Promise<boolean> {
  log('  healing every fault, restarting killed processes, finishing drains and restarts…');
  const healing = new Progress({
    ...progressTo,
    label: 'healing',
    showAfterMs: 2_000,
    sample: () => {
      const steps = nemesis.unfinishedSteps;
      return { detail: steps.length > 0 ? `under way: ${steps.join(', ')}` : '' };
    },
  }).start();
  const healed = await nemesis.healEverything();
  healing.finish(healed ? 'every step finished' : 'steps still under way');
  if (!healed) log(`  steps still under way after 60 s: ${nemesis.unfinishedSteps.join(', ')}`);
  const expected = nemesis.expectedNodes;
  let state = 'not quiet yet';
  const waiting = new Progress({
    ...progressTo,
    label: 'waiting for quiet',
    showAfterMs: 2_000,
    sample: () => ({ detail: state }),
  }).start();
  const quiet = await waitForQuiet(
    lab.cluster.routerUrl,
    expected,
    spec.settle.quietMs,
    30_000,
    spec.cluster.replicationFactor,
    (quietForMs) => {
      state =
        quietForMs === undefined
          ? `not quiet yet (${expected} node(s) expected)`
          : `quiet for ${(quietForMs / 1000).toFixed(1)} s of ${spec.settle.quietMs / 1000} s`;
    },
  );
  waiting.finish(quiet ? 'quiet' : 'not quiet');
  log(
    quiet
      ? `  quiet for ${spec.settle.quietMs} ms with ${expected} node(s)`
      : `  the cluster did not go quiet with ${expected} node(s) within 30 s; reading anyway`,
  );
  return quiet;
}

/** Reads every key until it answers or `finalReadsMs` passes; each attempt is in the history. */
async function finalReads(
  spec: ExperimentSpec,
  client: OperationClient,
  history: HistoryWriter,
  log: (line: string) => void,
  progressTo: ProgressTarget,
): Promise<void> {
  const deadline = performance.now() + spec.settle.finalReadsMs;
  let process = 1_000_000;
  let unread = 0;
  let tried = 0;
  const progress = new Progress({
    ...progressTo,
    label: 'final reads',
    total: spec.workload.keys,
    unit: 'keys',
    showAfterMs: 2_000,
    sample: () => ({ done: tried, detail: unread > 0 ? `${unread} unread` : '' }),
  }).start();
  for (const key of workloadKeys(spec.workload.keys)) {
    tried += 1;
    for (;;) {
      process += 1;
      history.record({ type: 'invoke', process, f: 'read', key, final: true });
      const done = await client.perform({ f: 'read', key });
      history.record({ process, f: 'read', key, final: true, ...done });
      if (done.type === 'ok') break;
      if (performance.now() > deadline) {
        unread += 1;
        break;
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  progress.finish();
  log(`  final reads: ${spec.workload.keys - unread} of ${spec.workload.keys} keys read`);
}

/** Waits for every campaign → profile queue to drain, narrating, then reads both sides of each key. */
async function auditQueues(
  spec: ExperimentSpec,
  lab: LabCluster,
  log: (line: string) => void,
  progressTo: ProgressTarget,
): Promise<ActivityAudit | undefined> {
  log('  waiting for every queue of messages to drain…');
  let state = '';
  const progress = new Progress({
    ...progressTo,
    label: 'draining queues',
    everyMs: 2_000,
    showAfterMs: 2_000,
    sample: () => ({ detail: state }),
  }).start();
  const audit = await auditActivities(lab.cluster.routerUrl, workloadKeys(spec.workload.keys), {
    drainMs: spec.settle.drainMs,
    onWaiting: (queued) => {
      state = Number.isNaN(queued) ? 'some keys unreadable' : `${queued} message(s) queued`;
    },
  }).catch((error: Error) => {
    progress.finish('the activities could not be read');
    log(`  the activities could not be read: ${error.message}`);
    return undefined;
  });
  progress.finish(audit?.drained === false ? state : 'drained');
  if (audit) {
    log(
      audit.drained
        ? `  queues drained in ${audit.drainMs} ms`
        : `  messages still queued after ${audit.drainMs} ms; judging anyway`,
    );
  }
  return audit;
}

async function judge(
  spec: ExperimentSpec,
  history: HistoryWriter,
  startedAt: string,
  workloadNs: number,
  end: {
    restoredAtEnd: boolean;
    finalLayout: FinalLayout | undefined;
    activities: ActivityAudit | undefined;
  },
  log: (line: string) => void,
): Promise<ExperimentReport> {
  const { operations, nemesis } = pairOperations(history.events);
  const faults = faultWindows(nemesis, workloadNs);
  const context = { spec, operations, faults, workloadNs, ...end };
  const results: CheckerResult[] = [];
  for (const checker of checkersFor(spec.checkers)) {
    const result = await checker.check(context);
    results.push(result);
    const mark = result.valid === true ? '✓' : result.valid === false ? '✗' : '?';
    log(`  ${mark} ${result.checker}: ${result.summary}`);
  }
  const report = buildReport({ spec, startedAt, operations, faults, checkers: results, workloadNs });
  log(`■ verdict: ${report.verdict.toUpperCase()}`);
  return report;
}

/** Where progress goes: stdout (a bar on a terminal), or plain lines through the caller's `log`. */
type ProgressTarget = Pick<ProgressOptions, 'write' | 'tty' | 'indent'>;

function progressOutput(log: ((line: string) => void) | undefined): ProgressTarget {
  if (log === undefined) return { indent: '  ' };
  return {
    indent: '  ',
    tty: false,
    write: (text) => {
      for (const line of text.split('\n')) if (line !== '') log(line);
    },
  };
}

/** Operations done (ok, fail, info), in flight, and the faults injected so far and in force. */
function workloadSample(workload: Workload, nemesis: Nemesis, faults: number): ProgressSample {
  const { ok, fail, info, inFlight } = workload.counts;
  const active = nemesis.active;
  return {
    done: ok + fail + info,
    detail:
      `ok ${count(ok)}  fail ${count(fail)}  info ${count(info)}  in flight ${inFlight}  faults ${faults}` +
      (active.length > 0 ? ` (now: ${active.join(', ')})` : ''),
  };
}

function count(n: number): string {
  return n.toLocaleString('en');
}

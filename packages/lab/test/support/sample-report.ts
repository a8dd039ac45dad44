/**
 * A realistic experiment report, built without running anything, for the report tests and
 * for the docs: a 20 s run in 500 ms buckets against three nodes, a node killed from 4 s to
 * 9 s (throughput falls, failures and timeouts rise), the router cut off from a node from
 * 12 s to 15 s, a few hundred sampled latencies, and a linearizability anomaly with the six
 * operations that show it. It is deterministic (a seeded generator, no clock), so a test
 * may count what it draws; it must never depend on a run, the network or the time of day.
 */
import { parseExperimentSpec } from '@isx/core';
import type { CheckerResult } from '../../src/checkers/checker.js';
import type { Operation } from '../../src/history/operations.js';
import type { ExperimentReport, LatencySample, TimelineBucket } from '../../src/report/report-model.js';
import { seededRandom } from '../../src/internal/seeded-random.js';

const DURATION_MS = 20_000;
const BUCKET_MS = 500;
const KILL = { startMs: 4_000, endMs: 9_000 };
const PARTITION = { startMs: 12_000, endMs: 15_000 };

type Phase = 'calm' | 'kill' | 'partition';

function phaseAt(ms: number): Phase {
  if (ms >= KILL.startMs && ms < KILL.endMs) return 'kill';
  if (ms >= PARTITION.startMs && ms < PARTITION.endMs) return 'partition';
  return 'calm';
}

/**
 * One timeline bucket as its phase makes it likely: while the node is down, fewer successes,
 * more failures and timeouts, and a p99 near the 2 s client timeout; while the router is cut
 * off, a milder dip with a p99 near the router's 1 s timeout.
 */
function bucketAt(startMs: number, random: () => number): TimelineBucket {
  const between = (low: number, high: number): number => Math.floor(low + random() * (high - low + 1));
  const round1 = (value: number): number => Math.round(value * 10) / 10;
  switch (phaseAt(startMs)) {
    case 'kill':
      return {
        startMs,
        ok: between(20, 30),
        fail: between(6, 11),
        info: between(2, 5),
        p50Ms: round1(12 + random() * 6),
        p99Ms: round1(1_900 + random() * 110),
      };
    case 'partition':
      return {
        startMs,
        ok: between(42, 52),
        fail: between(2, 5),
        info: between(1, 2),
        p50Ms: round1(7 + random() * 3),
        p99Ms: round1(1_000 + random() * 20),
      };
    default:
      return {
        startMs,
        ok: between(58, 70),
        fail: random() < 0.2 ? 1 : 0,
        info: 0,
        p50Ms: round1(5 + random() * 2),
        p99Ms: round1(28 + random() * 16),
      };
  }
}

/** A latency as the outcome and the phase make it likely: timeouts at 2 s, router 504s at 1 s. */
function latencyOf(
  outcome: LatencySample['outcome'],
  phase: Phase,
  p50: number,
  random: () => number,
): number {
  if (outcome === 'info') return 2_000 + random() * 25;
  if (outcome === 'fail')
    return phase === 'calm' || random() < 0.4 ? 0.8 + random() * 3 : 1_000 + random() * 15;
  // Log-normal around the bucket's median (Box–Muller for the normal part).
  const normal = Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
  return p50 * Math.exp(0.7 * normal);
}

/** About eight sampled operations per bucket, their outcomes in the bucket's proportions. */
function samplesOf(buckets: readonly TimelineBucket[], random: () => number): LatencySample[] {
  return buckets.flatMap((bucket) => {
    const total = bucket.ok + bucket.fail + bucket.info;
    const phase = phaseAt(bucket.startMs);
    return Array.from({ length: 8 }, () => {
      const pick = random() * total;
      const outcome = pick < bucket.ok ? 'ok' : pick < bucket.ok + bucket.fail ? 'fail' : 'info';
      const latencyMs = latencyOf(outcome, phase, bucket.p50Ms ?? 5, random);
      return { atMs: Math.round(bucket.startMs + random() * BUCKET_MS), latencyMs, outcome };
    });
  });
}

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
}

/** One operation on key `k3`, its times given in ms since the run began. */
function op(
  index: number,
  process: number,
  [f, outcome]: [Operation['f'], Operation['outcome']],
  [invokeMs, completeMs]: [number, number],
  fields: Pick<Operation, 'result'> & Partial<Pick<Operation, 'value' | 'expectedVersion'>>,
): Operation {
  const ns = (ms: number): number => Math.round(ms * 1e6);
  return {
    index,
    process,
    f,
    key: 'k3',
    outcome,
    invokeNs: ns(invokeMs),
    completeNs: ns(completeMs),
    final: false,
    ...fields,
  };
}

/** The sub-history of the anomaly: a read of the old value after another read saw the new one. */
function anomalyOperations(): Operation[] {
  return [
    op(1_902, 0, ['write', 'ok'], [3_812.4, 3_818.9], { value: 'v17', result: { version: 5 } }),
    op(1_951, 1, ['cas', 'info'], [4_020.0, 6_020.3], {
      value: 'v18',
      expectedVersion: 5,
      result: { error: 'timeout after 2000 ms' },
    }),
    op(1_973, 2, ['read', 'ok'], [4_410.7, 4_415.2], { result: { value: 'v18', version: 6 } }),
    op(1_990, 3, ['read', 'ok'], [4_702.3, 4_709.9], { result: { value: 'v17', version: 5 } }),
    op(2_011, 0, ['write', 'fail'], [5_120.0, 5_123.4], {
      value: 'v19',
      result: { error: '503 no primary for shard campaign/3' },
    }),
    op(2_187, 2, ['read', 'ok'], [7_240.5, 7_251.0], { result: { value: 'v18', version: 6 } }),
  ];
}

function checkers(okShare: number, acknowledgedWrites: number): CheckerResult[] {
  return [
    {
      checker: 'durability',
      valid: true,
      summary: `All ${acknowledgedWrites} acknowledged writes were found by the final reads.`,
      figures: { acknowledgedWrites, lost: 0, finalReads: 8 },
      anomalies: [],
    },
    {
      checker: 'linearizability',
      valid: false,
      summary: '1 of 8 keys has no linearizable order: k3.',
      figures: { keys: 8, keysInvalid: 1, statesExplored: 48_211 },
      anomalies: [
        {
          kind: 'not-linearizable',
          key: 'k3',
          message:
            'Process 3 read "v17" (version 5) after process 2 had read "v18" (version 6); ' +
            'no order of these operations explains both reads.',
          operations: anomalyOperations(),
        },
      ],
    },
    {
      checker: 'availability',
      valid: true,
      summary: `${(okShare * 100).toFixed(1)}% of operations succeeded; no bucket was without a success.`,
      figures: { okShare: Math.round(okShare * 1000) / 1000, longestOutageMs: 0 },
      anomalies: [],
    },
  ];
}

/**
 * Builds the sample report. Every call returns an equal, fresh object, so a test may
 * spread and change it freely.
 */
export function sampleReport(): ExperimentReport {
  const random = seededRandom(42);
  const buckets = Array.from({ length: DURATION_MS / BUCKET_MS }, (_, i) => bucketAt(i * BUCKET_MS, random));
  const latencies = samplesOf(buckets, random);
  const sum = (pick: (b: TimelineBucket) => number): number => buckets.reduce((acc, b) => acc + pick(b), 0);
  const operations = {
    ok: sum((b) => b.ok),
    refused: 0,
    fail: sum((b) => b.fail),
    info: sum((b) => b.info),
    total: 0,
  };
  operations.total = operations.ok + operations.fail + operations.info;
  const sorted = latencies.map((s) => s.latencyMs).sort((a, b) => a - b);
  const spec = parseExperimentSpec({
    name: 'kill-primary-under-load',
    description: 'Kill the node holding primaries while four clients write, then cut the router off from n3.',
    seed: 42,
    cluster: { nodes: 3, replicationFactor: 2 },
    workload: { clients: 4, keys: 8, durationMs: DURATION_MS },
    faults: [
      { at: KILL.startMs, fault: { kind: 'kill', target: 'n2', durationMs: KILL.endMs - KILL.startMs } },
      {
        at: PARTITION.startMs,
        fault: {
          kind: 'partition',
          link: { from: 'router', to: 'n3' },
          durationMs: PARTITION.endMs - PARTITION.startMs,
        },
      },
    ],
  });
  return {
    name: spec.name,
    description: spec.description,
    seed: spec.seed,
    startedAt: '2025-05-14T09:31:07.412Z',
    verdict: 'invalid',
    spec,
    figures: {
      durationMs: DURATION_MS,
      operations,
      throughputPerSecond: operations.total / (DURATION_MS / 1000),
      latencyMs: {
        p50: percentile(sorted, 50),
        p95: percentile(sorted, 95),
        p99: percentile(sorted, 99),
        max: sorted[sorted.length - 1] ?? 0,
      },
    },
    timeline: { bucketMs: BUCKET_MS, buckets },
    latencies,
    faults: [
      { fault: 'kill', target: 'n2', detail: 'SIGKILL, restarted after 5000 ms', ...KILL },
      { fault: 'partition', target: 'router→n3', detail: 'direction both', ...PARTITION },
    ],
    checkers: checkers(operations.ok / operations.total, Math.round(operations.ok * 0.27)),
    files: { history: 'history.jsonl', logs: 'logs/' },
  };
}

/**
 * `npm run bench -- rebalance`: how fast a replicated cluster gives a joining node its share.
 *
 * A dynamic cluster of `--nodes` campaign nodes at replication factor 3 is loaded with
 * `--entities` campaigns of about 300 bytes (200,000 by default, as the issue asks). Then a
 * node joins, under a light write load (`--concurrency` closed-loop writers), and the
 * benchmark follows `GET /cluster` until the cluster is balanced (every shard with three
 * copies, copies and primaries per node within one, no step under way). It reports:
 * - the time from the join to balance;
 * - the bytes and entities the new replicas copied (the router's own count of what each
 *   copy brought over), and that divided by the time to balance, in MB/s;
 * - the writes that failed meanwhile (there should be none) and their latency.
 * `--move-rate-mb` and `--max-concurrent-moves` are passed to the router, to measure the knobs.
 *
 * Every process it starts is stopped, whatever happens.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { fetchClusterView, isBalanced, movesTable, type LocalCluster, type Narrator } from '@isx/lab';
import type { ClusterView } from '@isx/core';
import { z } from 'zod';
import type { BenchResult } from './support/bench-result.js';
import { preparedCampaigns } from './support/campaign-payload.js';
import { parseFlags } from './support/flags.js';
import { benchNarrator, interrupted } from './support/interrupt.js';
import { startBenchCluster, type BenchCluster } from './support/isx-cluster.js';
import { KeepAliveHttp } from './support/keep-alive-http.js';
import { formatMs, summarizeLatencies } from './support/latency.js';

export const description = 'rebalance speed when a node joins a loaded RF 3 cluster (MB/s, time to balance)';

export const flagsSchema = z.strictObject({
  entities: z.coerce.number().int().min(100).max(5_000_000).default(200_000),
  nodes: z.coerce.number().int().min(3).max(16).default(3),
  /** Writers while loading. */
  'load-concurrency': z.coerce.number().int().min(1).max(512).default(64),
  /** Writers while the node joins. */
  concurrency: z.coerce.number().int().min(0).max(256).default(4),
  'move-rate-mb': z.coerce.number().min(0).max(10_000).default(0),
  'max-concurrent-moves': z.coerce.number().int().min(1).max(64).default(2),
  /** Give up if the cluster is not balanced within this long after the join. */
  'timeout-s': z.coerce.number().int().min(10).max(3600).default(600),
});
type Flags = z.output<typeof flagsSchema>;

export async function run(argv: readonly string[]): Promise<BenchResult> {
  const flags = parseFlags(argv, flagsSchema);
  const narrator = benchNarrator(`rebalance: ${description}`);
  const http = new KeepAliveHttp({ maxSockets: Math.max(flags['load-concurrency'], flags.concurrency, 1) });
  let bench: BenchCluster | undefined;
  let succeeded = false;
  try {
    narrator.step(`Start a cluster of ${flags.nodes} campaign nodes at replication factor 3`);
    bench = await startBenchCluster({
      nodes: flags.nodes,
      replicationFactor: 3,
      routerArgs: [
        '--max-concurrent-moves',
        String(flags['max-concurrent-moves']),
        '--move-rate-mb',
        String(flags['move-rate-mb']),
      ],
    });
    const { cluster } = bench;
    const campaigns = preparedCampaigns(flags.entities);
    const payloadBytes = campaigns.reduce((sum, c) => sum + c.bytes.length, 0);

    narrator.step(
      `Load ${flags.entities.toLocaleString('en')} campaigns (${(payloadBytes / 1e6).toFixed(1)} MB of JSON) with ${flags['load-concurrency']} writers`,
    );
    const loadStarted = performance.now();
    let next = 0;
    let loaded = 0;
    const loading = narrator.progress({
      label: 'loading',
      total: flags.entities,
      unit: 'campaigns',
      sample: () => ({ done: loaded }),
    });
    try {
      await Promise.all(
        Array.from({ length: flags['load-concurrency'] }, async () => {
          while (next < campaigns.length && !interrupted()) {
            const c = campaigns[next++]!;
            const url = new URL(`/campaign/${c.key}`, cluster.routerUrl);
            for (let attempt = 0; ; attempt += 1) {
              const ok = await http.send({ method: 'PUT', url }, c.bytes).then(
                () => true,
                (error: unknown) => {
                  if (attempt >= 5) throw error;
                  return false;
                },
              );
              if (ok) break;
              await sleep(100);
            }
            loaded += 1;
          }
        }),
      );
    } finally {
      loading.finish();
    }
    const loadSeconds = (performance.now() - loadStarted) / 1000;
    narrator.say(`loaded in ${loadSeconds.toFixed(0)} s (${Math.round(flags.entities / loadSeconds)}/s)`);
    const before = await settled(cluster.routerUrl, 120_000);

    narrator.step(`A node joins, under ${flags.concurrency} writers; follow the rebalancing until balanced`);
    const latencies: number[] = [];
    let failed = 0;
    let stop = false;
    const writers = Array.from({ length: flags.concurrency }, async (_, w) => {
      for (let i = 0; !stop && !interrupted(); i += 1) {
        const c = campaigns[(i * flags.concurrency + w) % campaigns.length]!;
        const start = performance.now();
        await http
          .send({ method: 'PUT', url: new URL(`/campaign/${c.key}`, cluster.routerUrl) }, c.bytes)
          .then(
            () => latencies.push(performance.now() - start),
            () => (failed += 1),
          );
      }
    });
    const joinedAt = performance.now();
    const joined = await cluster.addNode();
    narrator.say(`${joined} registered after ${formatMs(performance.now() - joinedAt)} ms`);
    const after = await followUntilBalanced(cluster, narrator, before, flags['timeout-s'] * 1000, () => ({
      writes: latencies.length,
      failed,
    }));
    const balanceMs = performance.now() - joinedAt;
    stop = true;
    await Promise.all(writers);
    const bytes = (after.rebalancing?.bytesCopied ?? 0) - (before.rebalancing?.bytesCopied ?? 0);
    const entities = (after.rebalancing?.entitiesCopied ?? 0) - (before.rebalancing?.entitiesCopied ?? 0);
    const steps = (after.rebalancing?.steps ?? 0) - (before.rebalancing?.steps ?? 0);
    const newNode = after.nodes.find((n) => n.id === joined);
    narrator.check(failed === 0, `${latencies.length} writes during the rebalance, ${failed} failed`);
    narrator.check(
      (newNode?.replicas ?? 0) > 0,
      `${joined} holds ${newNode?.replicas ?? 0} copies and leads ${newNode?.shards ?? 0} shards`,
    );
    succeeded = narrator.failures.length === 0;
    return summarize(
      flags,
      { balanceMs, bytes, entities, steps, latencies, failed, loadSeconds },
      narrator.failures,
    );
  } finally {
    http.close();
    await bench?.dispose(succeeded);
  }
}

async function settled(routerUrl: string, timeoutMs: number): Promise<ClusterView> {
  const deadline = performance.now() + timeoutMs;
  while (performance.now() < deadline) {
    const view = await fetchClusterView(routerUrl);
    if (isBalanced(view)) return view;
    await sleep(200);
  }
  throw new Error('the cluster did not settle after loading');
}

/**
 * Follows `GET /cluster` until balanced: a progress line with the entities and bytes copied
 * since `before` and the writes made meanwhile, and the steps under way every 2 s.
 */
async function followUntilBalanced(
  cluster: LocalCluster,
  narrator: Narrator,
  before: ClusterView,
  timeoutMs: number,
  writes: () => { writes: number; failed: number },
): Promise<ClusterView> {
  const started = performance.now();
  let lastSaid = 0;
  let latest = before;
  const copied = (view: ClusterView, field: 'entitiesCopied' | 'bytesCopied'): number =>
    (view.rebalancing?.[field] ?? 0) - (before.rebalancing?.[field] ?? 0);
  const progress = narrator.progress({
    label: 'rebalancing',
    unit: 'entities copied',
    sample: () => {
      const { writes: done, failed } = writes();
      const moves = latest.moves ?? [];
      // The router counts a step's copy once the step ends; add what the steps under way copied so far.
      const inFlight = (field: 'entitiesCopied' | 'bytesCopied'): number =>
        moves.reduce((sum, m) => sum + (m[field] ?? 0), 0);
      return {
        done: copied(latest, 'entitiesCopied') + inFlight('entitiesCopied'),
        detail:
          `${((copied(latest, 'bytesCopied') + inFlight('bytesCopied')) / 1e6).toFixed(1)} MB  ` +
          `${moves.length} step(s) under way  ${done.toLocaleString('en')} writes, ${failed} failed`,
      };
    },
  });
  try {
    while (performance.now() - started < timeoutMs && !interrupted()) {
      const view = await fetchClusterView(cluster.routerUrl);
      latest = view;
      if (isBalanced(view)) {
        progress.finish(`${(copied(view, 'bytesCopied') / 1e6).toFixed(1)} MB, balanced`);
        return view;
      }
      if (performance.now() - lastSaid >= 2_000) {
        lastSaid = performance.now();
        for (const line of movesTable(view).split('\n')) if (line) narrator.say(`  ${line}`);
      }
      await sleep(200);
    }
  } finally {
    progress.finish('not balanced');
  }
  throw new Error(`the cluster did not balance within ${timeoutMs / 1000} s of the join`);
}

function summarize(
  flags: Flags,
  figures: {
    balanceMs: number;
    bytes: number;
    entities: number;
    steps: number;
    latencies: number[];
    failed: number;
    loadSeconds: number;
  },
  failures: readonly string[],
): BenchResult {
  const mbPerSecond = figures.bytes / 1e6 / (figures.balanceMs / 1000);
  const latency = summarizeLatencies(figures.latencies);
  return {
    params: { ...flags },
    measurements: {},
    table: {
      headers: [
        'ENTITIES',
        'TIME TO BALANCE S',
        'STEPS',
        'COPIED MB',
        'COPIED ENTITIES',
        'MB/S',
        'WRITES P50/P99 MS',
        'FAILED',
      ],
      rows: [
        [
          flags.entities.toLocaleString('en'),
          (figures.balanceMs / 1000).toFixed(1),
          String(figures.steps),
          (figures.bytes / 1e6).toFixed(1),
          figures.entities.toLocaleString('en'),
          mbPerSecond.toFixed(2),
          `${formatMs(latency.p50)} / ${formatMs(latency.p99)}`,
          String(figures.failed),
        ],
      ],
    },
    summary: {
      balanceSeconds: figures.balanceMs / 1000,
      bytesCopied: figures.bytes,
      entitiesCopied: figures.entities,
      steps: figures.steps,
      megabytesPerSecond: mbPerSecond,
      writesDuring: figures.latencies.length,
      writesFailed: figures.failed,
      loadSeconds: figures.loadSeconds,
    },
    notes: [
      `a node joining a cluster of ${flags.entities.toLocaleString('en')} entities was given its share in ${(figures.balanceMs / 1000).toFixed(1)} s, copying ${(figures.bytes / 1e6).toFixed(1)} MB: ${mbPerSecond.toFixed(2)} MB/s over the whole rebalance`,
    ],
    failures,
  };
}

/**
 * `npm run bench -- failover`: how long writes to a shard stop when its primary dies.
 *
 * A dynamic cluster of `--nodes` campaign nodes at replication factor 3, default intervals
 * (heartbeat 200 ms, dead after 1000 ms, lease 700 ms). Each of `--trials` trials writes one
 * key in a closed loop through the router, kills the node holding its shard's primary with
 * SIGKILL, and measures the time from the kill to the first write *sent after the kill* that
 * succeeds. The node is then restarted and the next trial waits until every shard has its
 * three copies again. Targets: p50 at most 1.2 s, max at most 2.5 s.
 *
 * It never reports a trial whose write did not come back within `--give-up-ms`; that is a
 * failure. Every process it starts is stopped, whatever happens.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { ShardMap } from '@isx/core';
import { fetchClusterView, leastCopies, type Progress } from '@isx/lab';
import { z } from 'zod';
import type { BenchResult } from './support/bench-result.js';
import { preparedCampaigns } from './support/campaign-payload.js';
import { parseFlags } from './support/flags.js';
import { benchNarrator } from './support/interrupt.js';
import { startBenchCluster, type BenchCluster } from './support/isx-cluster.js';
import { KeepAliveHttp } from './support/keep-alive-http.js';
import { formatMs, percentile } from './support/latency.js';

export const description = 'time from kill -9 of a primary to the first successful write on its shard (RF 3)';

export const flagsSchema = z.strictObject({
  trials: z.coerce.number().int().min(1).max(100).default(10),
  nodes: z.coerce.number().int().min(3).max(16).default(4),
  /** A trial fails if no write succeeds within this long after the kill. */
  'give-up-ms': z.coerce.number().int().min(1000).max(60_000).default(10_000),
});
type Flags = z.output<typeof flagsSchema>;

const TARGET_P50_MS = 1200;
const TARGET_MAX_MS = 2500;

export async function run(argv: readonly string[]): Promise<BenchResult> {
  const flags = parseFlags(argv, flagsSchema);
  const narrator = benchNarrator(`failover: ${description}`);
  const http = new KeepAliveHttp({ maxSockets: 8, timeoutMs: flags['give-up-ms'] });
  let bench: BenchCluster | undefined;
  let succeeded = false;
  const times: number[] = [];
  let progress: Progress | undefined;
  try {
    narrator.step(`Start a cluster of ${flags.nodes} campaign nodes at replication factor 3`);
    bench = await startBenchCluster({ nodes: flags.nodes, replicationFactor: 3 });
    const { cluster } = bench;
    let failedTrials = 0;
    progress = narrator.progress({
      label: 'failover trials',
      total: flags.trials,
      unit: 'trials',
      errorUnit: 'gave up',
      sample: () => ({
        done: times.length + failedTrials,
        errors: failedTrials,
        detail: times.length > 0 ? `last ${formatMs(times[times.length - 1]!)} ms` : '',
      }),
    });
    for (let trial = 1; trial <= flags.trials; trial += 1) {
      narrator.step(`Trial ${trial} of ${flags.trials}`);
      const { key, bytes } = preparedCampaigns(trial)[trial - 1]!;
      const target = { method: 'PUT', url: new URL(`/campaign/${key}`, cluster.routerUrl) };
      const view = await fetchClusterView(cluster.routerUrl);
      const shard = new ShardMap(view.map!.config, view.map!.version).locate('campaign', key).shard;
      await http.send(target, bytes);
      const victim = cluster.node(shard.node);
      await victim.kill();
      const killedAt = performance.now();
      let elapsed: number | undefined;
      while (elapsed === undefined && performance.now() - killedAt < flags['give-up-ms']) {
        const ok = await http.send(target, bytes).then(
          () => true,
          () => false,
        );
        if (ok) elapsed = performance.now() - killedAt;
      }
      narrator.check(
        elapsed !== undefined,
        `killed ${shard.node} (primary of ${shard.id}); first write after ${elapsed === undefined ? 'never' : formatMs(elapsed)} ms`,
      );
      if (elapsed !== undefined) times.push(elapsed);
      else failedTrials += 1;
      await victim.start();
      await fullyReplicated(cluster.routerUrl, 30_000);
    }
    const sorted = Float64Array.from(times).sort();
    progress.finish(sorted.length > 0 ? `p50 ${formatMs(percentile(sorted, 50))} ms` : undefined);
    succeeded = narrator.failures.length === 0;
    return summarize(flags, times, narrator.failures);
  } finally {
    progress?.finish('stopped');
    http.close();
    await bench?.dispose(succeeded);
  }
}

async function fullyReplicated(routerUrl: string, timeoutMs: number): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (performance.now() < deadline) {
    const view = await fetchClusterView(routerUrl);
    const alive = view.nodes.filter((n) => n.status === 'alive').length === view.nodes.length;
    if (alive && leastCopies(view) >= 3) return;
    await sleep(100);
  }
  throw new Error('the cluster did not get back to three copies within 30 s');
}

function summarize(flags: Flags, times: readonly number[], failures: readonly string[]): BenchResult {
  const sorted = Float64Array.from(times).sort();
  const p50 = sorted.length > 0 ? percentile(sorted, 50) : Number.NaN;
  const max = sorted.length > 0 ? sorted[sorted.length - 1]! : Number.NaN;
  const met = p50 <= TARGET_P50_MS && max <= TARGET_MAX_MS;
  return {
    params: { ...flags },
    measurements: {},
    table: {
      headers: ['TRIALS', 'P50 MS', 'MAX MS', 'MIN MS', 'ALL MS'],
      rows: [
        [
          String(times.length),
          formatMs(p50),
          formatMs(max),
          formatMs(sorted[0] ?? Number.NaN),
          times.map((t) => t.toFixed(0)).join(' '),
        ],
      ],
    },
    summary: {
      failoverMs: times,
      p50Ms: p50,
      maxMs: max,
      targetP50Ms: TARGET_P50_MS,
      targetMaxMs: TARGET_MAX_MS,
      met,
    },
    notes: [
      `failover p50 ${formatMs(p50)} ms (target ≤ ${TARGET_P50_MS}), max ${formatMs(max)} ms (target ≤ ${TARGET_MAX_MS}): ${met ? 'met' : 'not met'}`,
    ],
    failures,
  };
}

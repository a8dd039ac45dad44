/**
 * `npm run bench -- cutover`: how long a client's write waits when the primary of its shard is
 * handed to another node (DESIGN §6: "a primary move stops writes on the old primary only for
 * the cutover").
 *
 * A dynamic cluster of `--nodes` campaign nodes at replication factor 3. `--concurrency`
 * closed-loop writers PUT campaigns through the router, each write's start and end recorded.
 * Meanwhile `--cutovers` times, the benchmark asks the router to move the primary of a shard to
 * one of its backups (`POST /cluster/shards/:id/move`), picking a shard on a node that leads
 * the most and a backup on a node that leads the fewest, so the primaries stay even and the
 * rebalancer has nothing to undo. For each cutover, the client-seen pause is the longest
 * latency of a write to that shard that was in flight while the move ran (a hand-over with no
 * such write is not counted). Target: p99 of those pauses under 100 ms. The first `--warmup`
 * hand-overs are made and shown but not counted: they also pay for cold code paths. Writes to other shards, and to any shard between cutovers, give
 * the baseline to compare with.
 *
 * It checks that no write failed and that every cutover handed the primary over. Every process
 * it starts is stopped, whatever happens.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { CLUSTER_TOKEN_HEADER, ShardMap, type ClusterView } from '@isx/core';
import { fetchClusterView, type Progress } from '@isx/lab';
import { z } from 'zod';
import type { BenchResult } from './support/bench-result.js';
import { preparedCampaigns } from './support/campaign-payload.js';
import { parseFlags } from './support/flags.js';
import { benchNarrator, interrupted } from './support/interrupt.js';
import { startBenchCluster, type BenchCluster } from './support/isx-cluster.js';
import { KeepAliveHttp } from './support/keep-alive-http.js';
import { formatMs, percentile, summarizeLatencies } from './support/latency.js';

export const description = 'longest write pause a client sees while a primary is handed over (RF 3)';

export const flagsSchema = z.strictObject({
  cutovers: z.coerce.number().int().min(1).max(500).default(30),
  concurrency: z.coerce.number().int().min(1).max(256).default(16),
  nodes: z.coerce.number().int().min(3).max(16).default(3),
  keys: z.coerce.number().int().min(8).max(100_000).default(1000),
  /** Quiet time between cutovers, ms. */
  'gap-ms': z.coerce.number().int().min(0).max(60_000).default(500),
  /**
   * Hand-overs made first and shown, but not counted: the first ones after start-up also pay
   * for cold code paths and new connections in the router and the nodes.
   */
  warmup: z.coerce.number().int().min(0).max(50).default(3),
});
type Flags = z.output<typeof flagsSchema>;

const TARGET_P99_MS = 100;

interface Write {
  readonly shardId: string;
  readonly start: number;
  readonly end: number;
  readonly ok: boolean;
}

interface Cutover {
  readonly shardId: string;
  readonly from: string;
  readonly to: string;
  readonly start: number;
  readonly end: number;
  /** The router's own figure: fence to announcement. */
  readonly routerPausedMs: number | undefined;
}

export async function run(argv: readonly string[]): Promise<BenchResult> {
  const flags = parseFlags(argv, flagsSchema);
  const narrator = benchNarrator(`cutover: ${description}`);
  const http = new KeepAliveHttp({ maxSockets: flags.concurrency });
  let bench: BenchCluster | undefined;
  let succeeded = false;
  let progress: Progress | undefined;
  try {
    narrator.step(`Start a cluster of ${flags.nodes} campaign nodes at replication factor 3`);
    bench = await startBenchCluster({ nodes: flags.nodes, replicationFactor: 3 });
    const { cluster } = bench;
    const campaigns = preparedCampaigns(flags.keys);
    const shardOfKey = campaigns.map(({ key }) => bench!.map.locate('campaign', key).shard.id);
    const targets = campaigns.map(({ key }) => ({
      method: 'PUT',
      url: new URL(`/campaign/${key}`, cluster.routerUrl),
    }));

    narrator.step(
      `Write with ${flags.concurrency} workers while ${flags.cutovers} primaries are handed over`,
    );
    const writes: Write[] = [];
    let stop = false;
    const workers = Array.from({ length: flags.concurrency }, async (_, w) => {
      for (let i = 0; !stop && !interrupted(); i += 1) {
        const index = (i * flags.concurrency + w) % flags.keys;
        const start = performance.now();
        const ok = await http.send(targets[index]!, campaigns[index]!.bytes).then(
          () => true,
          () => false,
        );
        writes.push({ shardId: shardOfKey[index]!, start, end: performance.now(), ok });
      }
    });
    await sleep(1_000);
    const cutovers: Cutover[] = [];
    const warmups: Cutover[] = [];
    const total = flags.warmup + flags.cutovers;
    progress = narrator.progress({
      label: 'cutovers',
      total,
      unit: 'hand-overs',
      sample: () => ({
        done: warmups.length + cutovers.length,
        detail: `${writes.length.toLocaleString('en')} writes, ${writes.filter((w) => !w.ok).length} failed`,
      }),
    });
    for (let n = 1; n <= total && !interrupted(); n += 1) {
      const warming = n <= flags.warmup;
      const view = await fetchClusterView(cluster.routerUrl);
      const choice = evenHandOver(view);
      if (!choice) {
        narrator.check(false, 'no shard could be handed over without unbalancing the primaries');
        break;
      }
      const start = performance.now();
      const response = await fetch(`${cluster.routerUrl}/cluster/shards/${choice.shardId}/move`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', [CLUSTER_TOKEN_HEADER]: cluster.token },
        body: JSON.stringify({ to: choice.to }),
      });
      const answer = (await response.json()) as {
        pausedMs?: number;
        error?: { code: string; message: string };
      };
      const end = performance.now();
      if (!response.ok) {
        narrator.check(
          false,
          `cutover ${n}: ${answer.error?.code ?? response.status} ${answer.error?.message ?? ''}`,
        );
        continue;
      }
      const cutover = { ...choice, start, end, routerPausedMs: answer.pausedMs };
      (warming ? warmups : cutovers).push(cutover);
      const seen = clientPause(writes, cutover);
      narrator.say(
        `${String(n).padStart(3)}/${total}  ${choice.shardId} ${choice.from} → ${choice.to}: router paused it ${answer.pausedMs ?? '?'} ms, longest client write so far ${formatMs(seen)} ms${warming ? ' (warm-up, not counted)' : ''}`,
      );
      await sleep(flags['gap-ms']);
    }
    await sleep(500);
    stop = true;
    await Promise.all(workers);
    progress.finish();
    const failed = writes.filter((w) => !w.ok).length;
    narrator.check(failed === 0, `${writes.length} writes, ${failed} failed`);
    narrator.check(
      cutovers.length === flags.cutovers,
      `${cutovers.length} of ${flags.cutovers} cutovers done`,
    );
    succeeded = narrator.failures.length === 0;
    return summarize(flags, writes, cutovers, warmups, narrator.failures);
  } finally {
    progress?.finish('stopped');
    http.close();
    await bench?.dispose(succeeded);
  }
}

/** A shard led by a node with the most primaries, to its backup on a node with the fewest. */
function evenHandOver(view: ClusterView): { shardId: string; from: string; to: string } | undefined {
  if (!view.map) return undefined;
  const map = new ShardMap(view.map.config, view.map.version);
  const led = new Map(view.nodes.filter((n) => n.status === 'alive').map((n) => [n.id, n.shards]));
  const shards = Object.values(view.types).flatMap((layout) => layout.shards);
  const options = shards.flatMap((s) =>
    (s.backups ?? [])
      .filter((b) => led.has(b))
      .map((b) => ({ shardId: s.id, from: s.node, to: b, gain: (led.get(s.node) ?? 0) - (led.get(b) ?? 0) })),
  );
  // A hand-over from a node leading one more keeps the spread within one; pick the largest gain.
  const best = options.sort((a, b) => b.gain - a.gain)[0];
  return best && best.gain >= 1 && map.assignment(best.shardId) ? best : undefined;
}

/** The longest latency of a write to the cutover's shard that was in flight while it ran. */
function clientPause(writes: readonly Write[], cutover: Cutover): number {
  let longest = 0;
  for (const w of writes) {
    if (w.shardId === cutover.shardId && w.end >= cutover.start && w.start <= cutover.end) {
      longest = Math.max(longest, w.end - w.start);
    }
  }
  return longest;
}

function summarize(
  flags: Flags,
  writes: readonly Write[],
  cutovers: readonly Cutover[],
  warmups: readonly Cutover[],
  failures: readonly string[],
): BenchResult {
  const pauses = cutovers.map((c) => clientPause(writes, c));
  // A hand-over while no write to its shard was in flight shows no pause; it is not counted.
  const seen = pauses.filter((p) => p > 0);
  const sortedPauses = Float64Array.from(seen).sort();
  const routerPauses = Float64Array.from(cutovers.map((c) => c.routerPausedMs ?? Number.NaN)).sort();
  const all = [...warmups, ...cutovers];
  const during = (w: Write): boolean => all.some((c) => w.end >= c.start && w.start <= c.end);
  const outside = writes.filter((w) => w.ok && !during(w)).map((w) => w.end - w.start);
  const baseline = summarizeLatencies(outside);
  const stat = (sorted: Float64Array, p: number): number =>
    sorted.length > 0 ? percentile(sorted, p) : Number.NaN;
  const p99 = stat(sortedPauses, 99);
  const met = p99 < TARGET_P99_MS;
  return {
    params: { ...flags },
    measurements: {},
    table: {
      headers: ['WHAT', 'N', 'P50 MS', 'P99 MS', 'MAX MS'],
      rows: [
        [
          'longest client write per cutover',
          String(seen.length),
          formatMs(stat(sortedPauses, 50)),
          formatMs(p99),
          formatMs(sortedPauses[sortedPauses.length - 1] ?? Number.NaN),
        ],
        [
          'router: fence to announcement',
          String(routerPauses.length),
          formatMs(stat(routerPauses, 50)),
          formatMs(stat(routerPauses, 99)),
          formatMs(routerPauses[routerPauses.length - 1] ?? Number.NaN),
        ],
        [
          'writes outside cutovers (baseline)',
          String(outside.length),
          formatMs(baseline.p50),
          formatMs(baseline.p99),
          formatMs(baseline.max),
        ],
      ],
    },
    summary: {
      clientPauseMs: pauses,
      routerPauseMs: cutovers.map((c) => c.routerPausedMs ?? null),
      cutoversWithoutWritesInFlight: pauses.length - seen.length,
      warmupClientPauseMs: warmups.map((c) => clientPause(writes, c)),
      warmupRouterPauseMs: warmups.map((c) => c.routerPausedMs ?? null),
      clientPauseP99Ms: p99,
      targetP99Ms: TARGET_P99_MS,
      baselineP99Ms: baseline.p99,
      met,
    },
    notes: [
      `longest client write per cutover: p99 ${formatMs(p99)} ms (target < ${TARGET_P99_MS} ms): ${met ? 'met' : 'not met'}; writes outside cutovers: p99 ${formatMs(baseline.p99)} ms`,
      `${seen.length} of ${pauses.length} counted hand-overs had a write to their shard in flight; the ${warmups.length} warm-up hand-over(s) before them paused the router ${warmups.map((c) => `${c.routerPausedMs ?? '?'}`).join(', ') || '-'} ms`,
    ],
    failures,
  };
}

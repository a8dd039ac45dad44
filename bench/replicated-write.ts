/**
 * `npm run bench -- replicated-write [--vs etcd]`: what three copies cost a write.
 *
 * Two dynamic clusters run at once, one with replication factor 1 and one with 3, each with
 * `--nodes` campaign nodes, and `PUT /campaign/:key` of about 300 bytes goes through each
 * router with `--concurrency` closed-loop workers. Rounds alternate between them so that the
 * machine's state affects both alike. The figure of interest is RF 3 / RF 1 throughput; the
 * target is at least 0.6. With `--vs etcd`, a three-member etcd cluster joins as a third
 * variant (puts through its JSON gateway, spread over the members), and the ratio of our RF 3
 * throughput and p99 to etcd's is reported (target: at least 1.5× its throughput, p99 no worse).
 *
 * It never measures a cluster that is still copying: both are settled (every shard with its
 * copies) first. Every process it starts is stopped, whatever happens.
 */
import { z } from 'zod';
import type { BenchResult } from './support/bench-result.js';
import { preparedCampaigns } from './support/campaign-payload.js';
import { startEtcdCluster, type EtcdCluster } from './support/etcd-cluster.js';
import { etcdPutOperation } from './support/etcd-load.js';
import { loadFlagsShape, parseFlags } from './support/flags.js';
import { benchNarrator } from './support/interrupt.js';
import { compareInterleaved, type Variant, type VariantOutcome } from './support/interleaved-comparison.js';
import { startBenchCluster, type BenchCluster } from './support/isx-cluster.js';
import { KeepAliveHttp } from './support/keep-alive-http.js';
import { formatMs } from './support/latency.js';

export const description = 'PUT through the router at replication factor 3 vs 1 (and vs etcd with --vs etcd)';

export const flagsSchema = z.strictObject({
  ...loadFlagsShape,
  rounds: z.coerce.number().int().min(1).max(20).default(2),
  keys: z.coerce.number().int().min(1).max(1_000_000).default(1000),
  nodes: z.coerce.number().int().min(3).max(16).default(3),
  vs: z.enum(['none', 'etcd']).default('none'),
});
type Flags = z.output<typeof flagsSchema>;

const TARGET_RF3_SHARE = 0.6;
const TARGET_VS_ETCD = 1.5;

export async function run(argv: readonly string[]): Promise<BenchResult> {
  const flags = parseFlags(argv, flagsSchema);
  const narrator = benchNarrator(`replicated-write: ${description}`);
  const http = new KeepAliveHttp({ maxSockets: flags.concurrency });
  const clusters: BenchCluster[] = [];
  let etcd: EtcdCluster | undefined;
  let succeeded = false;
  try {
    narrator.step(`Start two clusters of ${flags.nodes} campaign nodes: replication factor 1 and 3`);
    const rf1 = await startBenchCluster({ nodes: flags.nodes });
    clusters.push(rf1);
    const rf3 = await startBenchCluster({ nodes: flags.nodes, replicationFactor: 3 });
    clusters.push(rf3);
    narrator.say(
      `RF 1 router ${rf1.cluster.routerUrl}; RF 3 router ${rf3.cluster.routerUrl}, every shard with 3 copies`,
    );
    const campaigns = preparedCampaigns(flags.keys);
    const pick = (worker: number, iteration: number): number =>
      (iteration * flags.concurrency + worker) % flags.keys;
    const putVia = (routerUrl: string): Variant['operation'] => {
      const targets = campaigns.map(({ key }) => ({
        method: 'PUT',
        url: new URL(`/campaign/${key}`, routerUrl),
      }));
      return (w, i) => http.send(targets[pick(w, i)]!, campaigns[pick(w, i)]!.bytes);
    };
    const variants: Variant[] = [
      { label: 'rf1', title: 'PUT through the router, one copy', operation: putVia(rf1.cluster.routerUrl) },
      {
        label: 'rf3',
        title: 'PUT through the router, three copies',
        operation: putVia(rf3.cluster.routerUrl),
      },
    ];
    if (flags.vs === 'etcd') {
      narrator.step('Start a three-member etcd cluster on loopback (installs etcd-server if missing)');
      etcd = await startEtcdCluster({ size: 3, log: (line) => narrator.say(line) });
      narrator.say(`etcd ${etcd.version} at ${etcd.endpoints.join(', ')}`);
      variants.push({
        label: 'etcd',
        title: `etcd ${etcd.version} put through its JSON gateway, three members`,
        operation: etcdPutOperation(http, {
          endpoints: etcd.endpoints,
          gatewayPrefix: etcd.gatewayPrefix,
          keys: flags.keys,
          concurrency: flags.concurrency,
        }),
      });
    }
    const outcomes = await compareInterleaved({
      variants,
      concurrency: flags.concurrency,
      durationSeconds: flags.duration,
      rounds: flags.rounds,
      warmupSeconds: flags.warmup,
      narrate: narrator,
    });
    narrator.step('Check the measurement');
    for (const [label, { result }] of Object.entries(outcomes)) {
      narrator.check(result.errors === 0, `${label}: ${result.requests} requests, ${result.errors} errors`);
    }
    succeeded = narrator.failures.length === 0;
    return summarize(flags, outcomes, narrator.failures);
  } finally {
    http.close();
    await etcd?.stop();
    for (const bench of clusters) await bench.dispose(succeeded);
  }
}

function summarize(
  flags: Flags,
  outcomes: Record<string, VariantOutcome>,
  failures: readonly string[],
): BenchResult {
  const rate = (label: string): number => outcomes[label]?.result.throughputPerSecond ?? 0;
  const p = (label: string, q: 'p50' | 'p99'): number => outcomes[label]?.result[q] ?? 0;
  const share = rate('rf1') === 0 ? 0 : rate('rf3') / rate('rf1');
  const rows = Object.entries(outcomes).map(([label, { result: m, roundThroughputs }]) => [
    label,
    m.throughputPerSecond.toFixed(0),
    roundThroughputs.map((t) => t.toFixed(0)).join(' / '),
    formatMs(m.p50),
    formatMs(m.p99),
    formatMs(m.max),
    String(m.errors),
    rate('rf1') === 0 ? '-' : (m.throughputPerSecond / rate('rf1')).toFixed(2),
  ]);
  const notes = [
    `RF 3 / RF 1 throughput: ${share.toFixed(2)} (target ≥ ${TARGET_RF3_SHARE}: ${share >= TARGET_RF3_SHARE ? 'met' : 'not met'})`,
  ];
  const summary: Record<string, unknown> = { rf3OverRf1: share, targetRf3OverRf1: TARGET_RF3_SHARE };
  if (outcomes.etcd) {
    const throughputRatio = rate('etcd') === 0 ? 0 : rate('rf3') / rate('etcd');
    const p50Ratio = p('etcd', 'p50') === 0 ? 0 : p('rf3', 'p50') / p('etcd', 'p50');
    const p99Ratio = p('etcd', 'p99') === 0 ? 0 : p('rf3', 'p99') / p('etcd', 'p99');
    Object.assign(summary, {
      rf3OverEtcdThroughput: throughputRatio,
      rf3OverEtcdP50: p50Ratio,
      rf3OverEtcdP99: p99Ratio,
    });
    notes.push(
      `RF 3 / etcd throughput: ${throughputRatio.toFixed(2)} (target ≥ ${TARGET_VS_ETCD}: ${throughputRatio >= TARGET_VS_ETCD ? 'met' : 'not met'}); ` +
        `p50 ${p50Ratio.toFixed(2)}×, p99 ${p99Ratio.toFixed(2)}× etcd's (target p99 ≤ 1: ${p99Ratio <= 1 ? 'met' : 'not met'})`,
    );
  }
  return {
    params: { ...flags, valueBytes: preparedCampaigns(1)[0]?.bytes.length },
    measurements: Object.fromEntries(Object.entries(outcomes).map(([label, o]) => [label, o.result])),
    table: { headers: ['PATH', 'REQ/S', 'BY ROUND', 'P50 MS', 'P99 MS', 'MAX MS', 'ERRORS', 'VS RF1'], rows },
    summary,
    notes,
    failures,
  };
}

/**
 * `npm run bench -- router-hop`: what the router's extra hop costs a write.
 *
 * One dynamic cluster, one run, three ways to send the same `PUT /campaign/:key` of about
 * 300 bytes with `--concurrency` closed-loop workers: through the router; straight to the node
 * that owns the key (located in the router's shard map, as a client with a routing cache
 * would); and through `IsxClient`, whose routing cache also goes straight to the owner. Each
 * is warmed up, then measured for `--duration` seconds in all, split over `--rounds`
 * interleaved rounds. The figure of interest is router / direct throughput: the target is
 * that the hop costs at most 30 % of it. CPU per request of the generator, the router and the
 * nodes is reported too, because on a small machine they all share the same cores.
 *
 * It must never measure a moving cluster: it waits until the shards are settled, and it
 * checks that the map version did not change while it measured. The cluster is always
 * stopped, whatever happens.
 */
import { IsxClient } from '@isx/client';
import { z } from 'zod';
import type { BenchResult } from './support/bench-result.js';
import { preparedCampaigns, type CampaignBody } from './support/campaign-payload.js';
import { loadFlagsShape, parseFlags } from './support/flags.js';
import { benchNarrator } from './support/interrupt.js';
import { compareInterleaved, type Variant, type VariantOutcome } from './support/interleaved-comparison.js';
import { mapVersion, startBenchCluster, type BenchCluster } from './support/isx-cluster.js';
import { KeepAliveHttp, type HttpTarget } from './support/keep-alive-http.js';
import { formatMs } from './support/latency.js';

export const description = 'PUT through the router vs straight to the owning node vs IsxClient';

export const flagsSchema = z.strictObject({
  ...loadFlagsShape,
  /** V8 needs a few seconds to optimise the router's and the client's paths. */
  /** Interleaved rounds the duration is split over. */
  rounds: z.coerce.number().int().min(1).max(20).default(2),
  /** Distinct keys written; workers cycle through them. */
  keys: z.coerce.number().int().min(1).max(1_000_000).default(1000),
  nodes: z.coerce.number().int().min(1).max(16).default(2),
});
type Flags = z.output<typeof flagsSchema>;

/** The hop may cost at most this share of direct throughput. */
const TARGET_MAX_COST = 0.3;

export async function run(argv: readonly string[]): Promise<BenchResult> {
  const flags = parseFlags(argv, flagsSchema);
  const narrator = benchNarrator(`router-hop: ${description}`);
  const http = new KeepAliveHttp({ maxSockets: flags.concurrency });
  let bench: BenchCluster | undefined;
  let client: IsxClient | undefined;
  let succeeded = false;
  try {
    narrator.step(`Start a dynamic cluster: a router and ${flags.nodes} campaign nodes, logs at warn`);
    bench = await startBenchCluster({ nodes: flags.nodes });
    const { cluster, map } = bench;
    narrator.say(`router ${cluster.routerUrl}, data in ${bench.dataDir}, map version ${map.version}`);

    const campaigns = preparedCampaigns(flags.keys);
    const viaRouter: HttpTarget[] = campaigns.map(({ key }) => put(cluster.routerUrl, key));
    const direct: HttpTarget[] = campaigns.map(({ key }) => put(map.locate('campaign', key).nodeUrl, key));
    const owners = countBy(direct.map((t) => t.url.origin));
    narrator.say(`owners of the keys: ${[...owners].map(([url, n]) => `${url} ${n}`).join(', ')}`);

    narrator.step(
      `Write the ${flags.keys} keys once through the router (${campaigns[0]?.bytes.length} B each)`,
    );
    const seeded = await runOnce(flags.keys, flags.concurrency, (i) =>
      http.send(viaRouter[i]!, campaigns[i]!.bytes),
    );
    narrator.check(seeded.errors === 0, `${seeded.done} keys written, ${seeded.errors} errors`);

    client = new IsxClient({ routerUrl: cluster.routerUrl });
    const entities = client.entity<CampaignBody>('campaign');
    await client.refreshMap();
    const pick = (worker: number, iteration: number): number =>
      (iteration * flags.concurrency + worker) % flags.keys;
    const variants: Variant[] = [
      {
        label: 'router',
        title: 'PUT through the router (two hops)',
        operation: (w, i) => http.send(viaRouter[pick(w, i)]!, campaigns[pick(w, i)]!.bytes),
      },
      {
        label: 'direct',
        title: 'PUT straight to the owning node (one hop)',
        operation: (w, i) => http.send(direct[pick(w, i)]!, campaigns[pick(w, i)]!.bytes),
      },
      {
        label: 'client',
        title: 'IsxClient put with its routing cache (one hop, axios)',
        operation: (w, i) => entities.put(campaigns[pick(w, i)]!.key, campaigns[pick(w, i)]!.body),
      },
    ];
    const outcomes = await compareInterleaved({
      variants,
      concurrency: flags.concurrency,
      durationSeconds: flags.duration,
      rounds: flags.rounds,
      warmupSeconds: flags.warmup,
      cpuGroups: cpuGroups(bench),
      narrate: narrator,
    });

    narrator.step('Check the measurement');
    for (const [label, { result }] of Object.entries(outcomes)) {
      narrator.check(result.errors === 0, `${label}: ${result.requests} requests, ${result.errors} errors`);
      for (const [kind, count] of Object.entries(result.errorKinds)) narrator.say(`  ${count} × ${kind}`);
    }
    const versionAfter = await mapVersion(cluster.routerUrl);
    narrator.check(versionAfter === map.version, `the shard map stayed at version ${map.version}`);

    succeeded = narrator.failures.length === 0;
    return summarize(flags, outcomes, narrator.failures);
  } finally {
    await client?.close();
    http.close();
    if (bench) {
      await bench.dispose(succeeded);
      if (!succeeded) narrator.say(`cluster stopped; its logs are kept in ${bench.dataDir}`);
    }
  }
}

function put(baseUrl: string, key: string): HttpTarget {
  return { method: 'PUT', url: new URL(`/campaign/${key}`, baseUrl) };
}

function countBy(values: readonly string[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const value of values) counts.set(value, (counts.get(value) ?? 0) + 1);
  return counts;
}

/** This process (the load generator), the router, and every node. */
function cpuGroups({ cluster }: BenchCluster): Record<string, number[]> {
  const pids = (processes: Iterable<{ pid: number | undefined }>): number[] =>
    [...processes].flatMap((p) => (p.pid === undefined ? [] : [p.pid]));
  return { generator: [process.pid], router: pids([cluster.router]), nodes: pids(cluster.nodes.values()) };
}

/** Runs `send(i)` once for every i < count, `concurrency` at a time. */
async function runOnce(
  count: number,
  concurrency: number,
  send: (i: number) => Promise<unknown>,
): Promise<{ done: number; errors: number }> {
  let next = 0;
  let errors = 0;
  const worker = async (): Promise<void> => {
    for (let i = next++; i < count; i = next++) {
      await send(i).catch(() => {
        errors += 1;
      });
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
  return { done: count - errors, errors };
}

function summarize(
  flags: Flags,
  outcomes: Record<string, VariantOutcome>,
  failures: readonly string[],
): BenchResult {
  const directRate = outcomes.direct?.result.throughputPerSecond ?? 0;
  const ratio = (label: string): number =>
    directRate === 0 ? 0 : (outcomes[label]?.result.throughputPerSecond ?? 0) / directRate;
  const cpu = (value: number | undefined): string => (value === undefined ? '?' : value.toFixed(2));
  const rows = Object.entries(outcomes).map(([label, { result: m, roundThroughputs, cpuMsPerRequest }]) => [
    label,
    m.throughputPerSecond.toFixed(0),
    roundThroughputs.map((t) => t.toFixed(0)).join(' / '),
    formatMs(m.p50),
    formatMs(m.p90),
    formatMs(m.p99),
    formatMs(m.max),
    String(m.errors),
    ratio(label).toFixed(2),
    cpu(cpuMsPerRequest.generator),
    cpu(cpuMsPerRequest.router),
    cpu(cpuMsPerRequest.nodes),
  ]);
  const routerRatio = ratio('router');
  const cost = 1 - routerRatio;
  const met = cost <= TARGET_MAX_COST;
  return {
    params: { ...flags, valueBytes: preparedCampaigns(1)[0]?.bytes.length },
    measurements: Object.fromEntries(Object.entries(outcomes).map(([label, o]) => [label, o.result])),
    table: {
      headers: [
        'PATH',
        'REQ/S',
        'BY ROUND',
        'P50 MS',
        'P90 MS',
        'P99 MS',
        'MAX MS',
        'ERRORS',
        'VS DIRECT',
        'CPU MS/REQ GEN',
        'ROUTER',
        'NODES',
      ],
      rows,
    },
    summary: {
      routerOverDirect: routerRatio,
      clientOverDirect: ratio('client'),
      hopCost: cost,
      targetMaxHopCost: TARGET_MAX_COST,
      targetMet: met,
      rounds: Object.fromEntries(Object.entries(outcomes).map(([l, o]) => [l, o.roundThroughputs])),
      cpuMsPerRequest: Object.fromEntries(Object.entries(outcomes).map(([l, o]) => [l, o.cpuMsPerRequest])),
      coresBusy: Object.fromEntries(Object.entries(outcomes).map(([l, o]) => [l, o.coresBusy])),
    },
    notes: [
      `router / direct throughput ${routerRatio.toFixed(2)}: the hop costs ${(cost * 100).toFixed(0)} % ` +
        `(target ≤ ${TARGET_MAX_COST * 100} %: ${met ? 'met' : 'NOT met'})`,
      'CPU MS/REQ: CPU milliseconds each group of processes spent per request; the generator, the ' +
        "router and the nodes share this machine's cores (see bench/README.md)",
    ],
    failures: [...failures],
  };
}

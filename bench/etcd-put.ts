/**
 * `npm run bench -- etcd-put`: the yardstick on its own. A three-member etcd cluster on this
 * machine (Debian's etcd-server, installed if missing), taking puts of about 300 bytes
 * through its v3 JSON gateway from `--concurrency` closed-loop workers for `--duration`
 * seconds.
 *
 * It exists so the etcd side of `--vs etcd` comparisons can be checked, and its figures
 * quoted, before the isx side is ready. The etcd processes are always stopped, whatever happens.
 */
import { z } from 'zod';
import type { BenchResult } from './support/bench-result.js';
import { preparedCampaigns } from './support/campaign-payload.js';
import { startEtcdCluster, type EtcdCluster } from './support/etcd-cluster.js';
import { etcdPutOperation } from './support/etcd-load.js';
import { loadFlagsShape, parseFlags } from './support/flags.js';
import { benchNarrator } from './support/interrupt.js';
import { compareInterleaved } from './support/interleaved-comparison.js';
import { KeepAliveHttp } from './support/keep-alive-http.js';
import { formatMs } from './support/latency.js';

export const description = 'puts/s and latency of a three-member etcd cluster through its JSON gateway';

export const flagsSchema = z.strictObject({
  ...loadFlagsShape,
  keys: z.coerce.number().int().min(1).max(1_000_000).default(1000),
  members: z.coerce.number().int().min(1).max(7).default(3),
});

export async function run(argv: readonly string[]): Promise<BenchResult> {
  const flags = parseFlags(argv, flagsSchema);
  const narrator = benchNarrator(`etcd-put: ${description}`);
  const http = new KeepAliveHttp({ maxSockets: flags.concurrency });
  let etcd: EtcdCluster | undefined;
  let succeeded = false;
  try {
    narrator.step(`Start a ${flags.members}-member etcd cluster on loopback ports`);
    etcd = await startEtcdCluster({ size: flags.members, log: (line) => narrator.say(line) });
    for (const m of etcd.members) narrator.say(`${m.name}  pid ${m.pid}  ${m.clientUrl}`);
    narrator.say(`leader: ${await etcd.leader()}; JSON gateway at ${etcd.gatewayPrefix}/kv/put`);

    const valueBytes = preparedCampaigns(1)[0]?.bytes.length ?? 0;
    narrator.say(
      `puts of ${valueBytes}-byte values on ${flags.keys} keys, ${flags.concurrency} workers ` +
        `over ${etcd.endpoints.length} endpoints`,
    );
    const outcomes = await compareInterleaved({
      variants: [
        {
          label: 'etcd',
          title: `POST ${etcd.gatewayPrefix}/kv/put`,
          operation: etcdPutOperation(http, { ...etcd, keys: flags.keys, concurrency: flags.concurrency }),
        },
      ],
      concurrency: flags.concurrency,
      durationSeconds: flags.duration,
      rounds: 1,
      warmupSeconds: flags.warmup,
      cpuGroups: { generator: [process.pid], etcd: etcd.members.map((m) => m.pid) },
      narrate: narrator,
    });
    const { result, cpuMsPerRequest, coresBusy } = outcomes.etcd!;
    narrator.step('Check the measurement');
    narrator.check(result.errors === 0, `${result.requests} puts, ${result.errors} errors`);
    for (const [kind, count] of Object.entries(result.errorKinds)) narrator.say(`  ${count} × ${kind}`);
    succeeded = narrator.failures.length === 0;
    const cpu = (value: number | undefined): string => (value === undefined ? '?' : value.toFixed(2));
    return {
      params: { ...flags, valueBytes, etcdVersion: etcd.version, gatewayPrefix: etcd.gatewayPrefix },
      measurements: { etcd: result },
      table: {
        headers: [
          'SYSTEM',
          'MEMBERS',
          'WORKERS',
          'PUTS',
          'ERRORS',
          'PUTS/S',
          'P50 MS',
          'P90 MS',
          'P99 MS',
          'MAX MS',
          'CPU MS/PUT GEN',
          'ETCD',
        ],
        rows: [
          [
            `etcd ${etcd.version}`,
            String(flags.members),
            String(flags.concurrency),
            String(result.requests),
            String(result.errors),
            result.throughputPerSecond.toFixed(0),
            formatMs(result.p50),
            formatMs(result.p90),
            formatMs(result.p99),
            formatMs(result.max),
            cpu(cpuMsPerRequest.generator),
            cpu(cpuMsPerRequest.etcd),
          ],
        ],
      },
      summary: { cpuMsPerRequest, coresBusy },
      notes: [
        'etcd fsyncs its WAL on every commit (its defaults), as isx nodes fsync theirs',
        'CPU MS/PUT: CPU milliseconds per put of the load generator and of all etcd members together; ' +
          "they share this machine's cores",
      ],
      failures: [...narrator.failures],
    };
  } finally {
    http.close();
    if (etcd) {
      await etcd.stop(!succeeded);
      if (!succeeded) narrator.say(`etcd stopped; its logs are kept in ${etcd.dataDir}`);
    }
  }
}

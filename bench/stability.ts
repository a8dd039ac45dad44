/**
 * `npm run bench -- stability [--minutes 10]`: failovers nobody asked for.
 *
 * A cluster of `--nodes` campaign nodes at replication factor 3 with default intervals runs
 * a steady write load (`--concurrency` closed-loop workers, about 300-byte PUTs through the
 * router) for `--minutes` and no fault at all. Afterwards it counts, from the router's log,
 * the promotions and the dropped backups: under load alone both must be zero, or the failure
 * detector, the leases or the replication timeouts are too tight for the machine.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import type { BenchResult } from './support/bench-result.js';
import { preparedCampaigns } from './support/campaign-payload.js';
import { parseFlags } from './support/flags.js';
import { benchNarrator } from './support/interrupt.js';
import { startBenchCluster, type BenchCluster } from './support/isx-cluster.js';
import { KeepAliveHttp } from './support/keep-alive-http.js';
import { formatMs } from './support/latency.js';
import { runLoad } from './support/load.js';

export const description = 'spurious failovers under a steady load with no fault (RF 3, default intervals)';

export const flagsSchema = z.strictObject({
  minutes: z.coerce.number().positive().max(120).default(10),
  concurrency: z.coerce.number().int().min(1).max(1000).default(50),
  nodes: z.coerce.number().int().min(3).max(16).default(3),
  keys: z.coerce.number().int().min(1).max(1_000_000).default(1000),
});

export async function run(argv: readonly string[]): Promise<BenchResult> {
  const flags = parseFlags(argv, flagsSchema);
  const narrator = benchNarrator(`stability: ${description}`);
  const http = new KeepAliveHttp({ maxSockets: flags.concurrency });
  let bench: BenchCluster | undefined;
  let succeeded = false;
  try {
    narrator.step(`Start ${flags.nodes} campaign nodes at replication factor 3`);
    bench = await startBenchCluster({ nodes: flags.nodes, replicationFactor: 3 });
    const routerUrl = bench.cluster.routerUrl;
    const campaigns = preparedCampaigns(flags.keys);
    const targets = campaigns.map(({ key }) => ({
      method: 'PUT',
      url: new URL(`/campaign/${key}`, routerUrl),
    }));
    narrator.step(
      `Write for ${flags.minutes} min with ${flags.concurrency} workers; progress every minute off a terminal`,
    );
    const result = await runLoad({
      label: 'rf3',
      concurrency: flags.concurrency,
      durationSeconds: flags.minutes * 60,
      operation: (w, i) => {
        const k = (i * flags.concurrency + w) % flags.keys;
        return http.send(targets[k]!, campaigns[k]!.bytes);
      },
      progress: (progress) => narrator.progress({ ...progress, everyMs: 60_000 }),
    });
    const log = await readFile(join(bench.dataDir, 'logs', 'router.log'), 'utf8');
    const promotions = (log.match(/promoted a backup/g) ?? []).length;
    const dropped = (log.match(/dropped a backup/g) ?? []).length;
    const deaths = (log.match(/"msg":"node is dead"/g) ?? []).length;
    narrator.step('Count what the router did without being asked');
    narrator.check(deaths === 0, `${deaths} node(s) declared dead`);
    narrator.check(promotions === 0, `${promotions} promotion(s)`);
    narrator.check(dropped === 0, `${dropped} backup(s) dropped`);
    narrator.check(result.errors === 0, `${result.requests} writes, ${result.errors} errors`);
    succeeded = narrator.failures.length === 0;
    return {
      params: { ...flags },
      measurements: { rf3: result },
      table: {
        headers: [
          'MINUTES',
          'WRITES',
          'REQ/S',
          'P50 MS',
          'P99 MS',
          'ERRORS',
          'DEAD',
          'PROMOTIONS',
          'DROPPED',
        ],
        rows: [
          [
            String(flags.minutes),
            String(result.requests),
            result.throughputPerSecond.toFixed(0),
            formatMs(result.p50),
            formatMs(result.p99),
            String(result.errors),
            String(deaths),
            String(promotions),
            String(dropped),
          ],
        ],
      },
      summary: { deaths, promotions, dropped, met: deaths === 0 && promotions === 0 && dropped === 0 },
      notes: [`spurious failovers in ${flags.minutes} min under load: ${promotions} (target 0)`],
      failures: narrator.failures,
    };
  } finally {
    http.close();
    await bench?.dispose(succeeded);
  }
}

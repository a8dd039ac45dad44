/**
 * `npm run bench -- activities`: messages between entities, end to end (DESIGN §7, issue 7).
 *
 * A dynamic cluster at replication factor 3 of `--campaign-nodes` campaign nodes and
 * `--profile-nodes` profile nodes. `--concurrency` closed-loop writers PUT campaigns (of
 * `--keys` keys) with a profile part for `--duration` seconds. Each such write queues
 * `set-targets` to the campaign's profile, which applies it and answers `targets-applied`,
 * which the campaign records: one round trip. When the writers stop, the benchmark waits until
 * every campaign reads `profileSync: applied` at its latest revision, i.e. every queue has
 * drained. Throughput is round trips per second from the first write to the drain. Meanwhile a
 * prober writes one probe campaign at a time and polls it every 5 ms until the answer is
 * recorded: the delivery latency, write acknowledged to acknowledgement recorded.
 * Target: at least 2,000 round trips per second on this 2-core machine with three copies.
 *
 * It checks that no write failed and that every profile holds its campaign's latest revision.
 * Every process it starts is stopped, whatever happens.
 */
import { availableParallelism } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { z } from 'zod';
import type { BenchResult } from './support/bench-result.js';
import { parseFlags } from './support/flags.js';
import { benchNarrator, interrupted } from './support/interrupt.js';
import { startBenchCluster, type BenchCluster } from './support/isx-cluster.js';
import { cpuByGroup } from './support/cpu-usage.js';
import { KeepAliveHttp } from './support/keep-alive-http.js';
import { formatMs, summarizeLatencies } from './support/latency.js';

export const description = 'campaign update → profile applied → acknowledgement recorded, per second (RF 3)';

export const flagsSchema = z.strictObject({
  duration: z.coerce.number().positive().max(600).default(10),
  /** Seconds of the same load on other campaigns first, drained before the measurement (JIT, pools). */
  warmup: z.coerce.number().min(0).max(600).default(10),
  concurrency: z.coerce.number().int().min(1).max(256).default(32),
  keys: z.coerce.number().int().min(1).max(100_000).default(500),
  'campaign-nodes': z.coerce.number().int().min(3).max(8).default(3),
  'profile-nodes': z.coerce.number().int().min(3).max(8).default(3),
  /** How long the queues may take to drain after the writers stop, seconds. */
  'drain-timeout': z.coerce.number().positive().max(600).default(120),
});

const TARGET_PER_SECOND = 2_000;

interface CampaignView {
  data: { profileSync?: string; profileRevision?: number; profileAppliedRevision?: number };
}

export async function run(argv: readonly string[]): Promise<BenchResult> {
  const flags = parseFlags(argv, flagsSchema);
  const narrator = benchNarrator(`activities: ${description}`);
  const http = new KeepAliveHttp({ maxSockets: flags.concurrency + 8 });
  let bench: BenchCluster | undefined;
  let succeeded = false;
  try {
    const services = [
      ...Array.from({ length: flags['campaign-nodes'] }, () => 'campaign'),
      ...Array.from({ length: flags['profile-nodes'] }, () => 'profile'),
    ];
    narrator.step(`Start ${services.length} nodes at replication factor 3: ${services.join(', ')}`);
    bench = await startBenchCluster({
      nodes: services.length,
      services,
      replicationFactor: 3,
      settleTimeoutMs: 60_000,
    });
    const router = bench.cluster.routerUrl;
    const put = (key: string, i: number): Promise<string> =>
      http.send(
        { method: 'PUT', url: new URL(`${router}/campaign/${key}`) },
        Buffer.from(
          JSON.stringify({
            name: `campaign ${key}`,
            status: 'active',
            budgetCents: i,
            profile: {
              osTargets: i % 2 === 0 ? ['ios'] : ['android'],
              deviceTargets: ['phone'],
              geoTargets: ['FR'],
            },
          }),
        ),
      );
    const read = async (key: string): Promise<CampaignView> =>
      JSON.parse(
        await http.send({ method: 'GET', url: new URL(`${router}/campaign/${key}`) }),
      ) as CampaignView;

    /** Closed-loop writers on `prefix` keys until the deadline; counts the writes and their failures. */
    const writeUntil = async (
      deadline: number,
      prefix: string,
      tally: { writes: number; failures: string[] },
    ) => {
      const writers = Array.from({ length: flags.concurrency }, async (_, w) => {
        for (let i = 0; performance.now() < deadline && !interrupted(); i += 1) {
          const key = `${prefix}${(i * flags.concurrency + w) % flags.keys}`;
          await put(key, i).then(
            () => (tally.writes += 1),
            (error: Error) => tally.failures.push(`${key}: ${error.message}`),
          );
        }
      });
      await Promise.all(writers);
    };
    /** Polls until every campaign of `prefix` reads `profileSync: applied`; the round trips they hold. */
    const drain = async (prefix: string, label: string) => {
      const keys = Array.from({ length: flags.keys }, (_, i) => `${prefix}${i}`);
      const drainDeadline = performance.now() + flags['drain-timeout'] * 1000;
      let behind = keys.length;
      let roundTrips = 0;
      const draining = narrator.progress({
        label,
        total: keys.length,
        unit: 'campaigns applied',
        sample: () => ({ done: keys.length - behind, detail: `${roundTrips} round trips` }),
      });
      try {
        while (!interrupted()) {
          const views = await Promise.all(keys.map((key) => read(key).catch(() => undefined)));
          behind = views.filter((v) => v === undefined || v.data.profileSync !== 'applied').length;
          roundTrips = views.reduce((sum, v) => sum + (v?.data.profileAppliedRevision ?? 0), 0);
          if (behind === 0 || performance.now() > drainDeadline) break;
          await sleep(250);
        }
      } finally {
        draining.finish(behind === 0 ? 'drained' : `${behind} campaigns still waiting for their profile`);
      }
      return { behind, roundTrips };
    };

    if (flags.warmup > 0) {
      narrator.step(
        `Warm up for ${flags.warmup} s on other campaigns, then let their queues drain (not measured)`,
      );
      const warm = { writes: 0, failures: [] as string[] };
      const warming = narrator.progress({
        label: 'warm-up',
        totalMs: flags.warmup * 1000,
        unit: 'writes',
        errorUnit: 'failed',
        sample: () => ({ done: warm.writes, errors: warm.failures.length }),
      });
      try {
        await writeUntil(performance.now() + flags.warmup * 1000, 'w', warm);
      } finally {
        warming.finish();
      }
      await drain('w', 'warm-up draining');
    }

    narrator.step(
      `Write for ${flags.duration} s with ${flags.concurrency} writers over ${flags.keys} campaigns`,
    );
    // Where the cores go per round trip: the processes of each role, read around the measurement.
    const nodePids = [...bench.cluster.nodes.values()].map((node) => node.pid ?? -1);
    const cpuGroups = {
      generator: [process.pid],
      router: [bench.cluster.router.pid ?? -1],
      'campaign nodes': nodePids.filter((_, i) => services[i] === 'campaign'),
      'profile nodes': nodePids.filter((_, i) => services[i] === 'profile'),
    };
    const cpuBefore = await cpuByGroup(cpuGroups);
    const started = performance.now();
    const deadline = started + flags.duration * 1000;
    const tally = { writes: 0, failures: [] as string[] };
    const latencies: number[] = [];
    const prober = (async () => {
      for (let i = 1; performance.now() < deadline && !interrupted(); i += 1) {
        await put('probe', i);
        const sent = performance.now();
        for (;;) {
          const view = await read('probe');
          if ((view.data.profileAppliedRevision ?? 0) >= i) break;
          if (performance.now() - sent > 30_000) throw new Error(`probe ${i} not applied within 30 s`);
          await sleep(5);
        }
        latencies.push(performance.now() - sent);
      }
    })();
    const writing = narrator.progress({
      label: 'writing',
      totalMs: flags.duration * 1000,
      unit: 'writes',
      errorUnit: 'failed',
      sample: () => ({
        done: tally.writes,
        errors: tally.failures.length,
        detail: `${latencies.length} probes delivered`,
      }),
    });
    try {
      await writeUntil(deadline, 'c', tally);
      await prober;
    } finally {
      writing.finish();
    }
    const { writes, failures } = tally;
    const wroteFor = (performance.now() - started) / 1000;
    narrator.say(
      `${writes} writes in ${wroteFor.toFixed(1)} s (${(writes / wroteFor).toFixed(0)}/s); waiting for the queues to drain`,
    );

    narrator.step('Wait until every campaign reads profileSync: applied at its latest revision');
    const { behind, roundTrips } = await drain('c', 'draining');
    const elapsed = (performance.now() - started) / 1000;
    const cpuAfter = await cpuByGroup(cpuGroups);
    const cpuMsPerRoundTrip = Object.fromEntries(
      Object.keys(cpuGroups).map((group) => {
        const [before, after] = [cpuBefore[group], cpuAfter[group]];
        const spent = before === undefined || after === undefined ? undefined : after - before;
        return [group, spent === undefined || roundTrips === 0 ? undefined : (spent * 1000) / roundTrips];
      }),
    );
    const cpuTotal = Object.values(cpuMsPerRoundTrip).reduce<number>((sum, ms) => sum + (ms ?? 0), 0);
    const perSecond = roundTrips / elapsed;
    narrator.check(
      failures.length === 0,
      `${writes} writes, ${failures.length} failed${failures[0] ? ` (${failures[0]})` : ''}`,
    );
    narrator.check(behind === 0, `every campaign's profile applied its latest revision (${behind} behind)`);
    const latency = summarizeLatencies(latencies);
    succeeded = narrator.failures.length === 0;
    const met = perSecond >= TARGET_PER_SECOND;
    return {
      params: { ...flags },
      measurements: {},
      table: {
        headers: [
          'ROUND TRIPS',
          'SECONDS',
          'PER SECOND',
          'LATENCY P50 MS',
          'P99 MS',
          'MAX MS',
          'PROBES',
          'CPU MS/ROUND TRIP GEN',
          'ROUTER',
          'CAMPAIGN NODES',
          'PROFILE NODES',
        ],
        rows: [
          [
            String(roundTrips),
            elapsed.toFixed(1),
            perSecond.toFixed(0),
            formatMs(latency.p50),
            formatMs(latency.p99),
            formatMs(latency.max),
            String(latencies.length),
            ...Object.values(cpuMsPerRoundTrip).map((ms) => (ms === undefined ? '?' : ms.toFixed(2))),
          ],
        ],
      },
      summary: {
        writes,
        roundTrips,
        elapsedSeconds: elapsed,
        perSecond,
        probes: latencies.length,
        target: TARGET_PER_SECOND,
        met,
        latencyMs: latency,
        cpuMsPerRoundTrip,
      },
      notes: [
        `${perSecond.toFixed(0)} round trips per second (target ≥ ${TARGET_PER_SECOND}): ${met ? 'met' : 'not met'}; delivery latency p50 ${formatMs(latency.p50)} ms, p99 ${formatMs(latency.p99)} ms`,
        `CPU per round trip, all processes: ${cpuTotal.toFixed(2)} ms; at that cost this machine's ${availableParallelism()} cores allow about ${cpuTotal > 0 ? ((availableParallelism() * 1000) / cpuTotal).toFixed(0) : '?'} round trips per second`,
      ],
      failures: narrator.failures,
    };
  } finally {
    http.close();
    await bench?.dispose(succeeded);
  }
}

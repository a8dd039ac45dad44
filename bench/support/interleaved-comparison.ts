/**
 * Side-by-side measurement of several ways to do the same work ("variants") in one run.
 *
 * Each variant is first warmed up (JIT, connection pools) and then measured in `rounds`
 * slices, the order rotating from round to round, so that neither warm-up nor drift of the
 * machine (compaction, a noisy neighbour) favours whichever variant runs first. Around each
 * slice it reads the CPU time of named process groups, so that the result says where the
 * cores went per request. It must never mix the samples of two variants, and it measures
 * nothing during a warm-up.
 */
import { cpuByGroup } from './cpu-usage.js';
import type { Narrator } from '@isx/lab';
import { measureLoad, summarizeLoad, type LoadResult, type LoadSamples, type Operation } from './load.js';

export interface Variant {
  /** Short name for tables and progress lines: `router`. */
  readonly label: string;
  /** What it is, for the narration: `PUT through the router (two hops)`. */
  readonly title: string;
  readonly operation: Operation;
}

export interface ComparisonOptions {
  readonly variants: readonly Variant[];
  readonly concurrency: number;
  /** Seconds measured per variant in all, split evenly over the rounds. */
  readonly durationSeconds: number;
  readonly rounds: number;
  /** Seconds of unmeasured load per variant, once, before the first round. */
  readonly warmupSeconds: number;
  /** Processes whose CPU time is read around each slice, by group: `{ router: [pid] }`. */
  readonly cpuGroups?: Readonly<Record<string, readonly number[]>>;
  /** Steps, lines and a progress line for each slice. */
  readonly narrate: Pick<Narrator, 'step' | 'say' | 'progress'>;
}

export interface VariantOutcome {
  readonly result: LoadResult;
  /** Throughput of each round, in the order the rounds ran. */
  readonly roundThroughputs: readonly number[];
  /** CPU milliseconds each group spent per successful request (undefined where unreadable). */
  readonly cpuMsPerRequest: Readonly<Record<string, number | undefined>>;
  /** Cores each group kept busy on average while this variant was measured. */
  readonly coresBusy: Readonly<Record<string, number | undefined>>;
}

/** Warms up, then measures every variant round by round; resolves to each variant's outcome by label. */
export async function compareInterleaved(
  options: ComparisonOptions,
): Promise<Record<string, VariantOutcome>> {
  const { variants, narrate, concurrency } = options;
  const groups = options.cpuGroups ?? {};
  if (options.warmupSeconds > 0) {
    narrate.step(`Warm up each path for ${options.warmupSeconds} s (${concurrency} workers, not measured)`);
    for (const v of variants) {
      await measureLoad({
        label: `${v.label} (warm-up)`,
        concurrency,
        durationSeconds: options.warmupSeconds,
        operation: v.operation,
        progress: (progress) => narrate.progress(progress),
      });
    }
  }
  const sliceSeconds = options.durationSeconds / options.rounds;
  const windows = new Map<string, LoadSamples[]>(variants.map((v) => [v.label, []]));
  // CPU seconds by variant, then group; NaN once a reading failed.
  const cpu = new Map<string, Map<string, number>>(variants.map((v) => [v.label, new Map()]));
  for (let round = 0; round < options.rounds; round += 1) {
    const order = variants.map((_, i) => variants[(i + round) % variants.length]!);
    narrate.step(
      `Round ${round + 1}/${options.rounds}: ${order.map((v) => v.label).join(' → ')}, ` +
        `${sliceSeconds.toFixed(1)} s each, ${concurrency} workers`,
    );
    for (const v of order) {
      narrate.say(v.title);
      const before = await cpuByGroup(groups);
      const samples = await measureLoad({
        label: v.label,
        concurrency,
        durationSeconds: sliceSeconds,
        operation: v.operation,
        progress: (progress) => narrate.progress(progress),
      });
      const after = await cpuByGroup(groups);
      windows.get(v.label)!.push(samples);
      const spent = cpu.get(v.label)!;
      for (const group of Object.keys(groups)) {
        const delta = (after[group] ?? NaN) - (before[group] ?? NaN);
        spent.set(group, (spent.get(group) ?? 0) + delta);
      }
    }
  }
  return Object.fromEntries(
    variants.map((v) => {
      const result = summarizeLoad(windows.get(v.label)!);
      const spent = cpu.get(v.label)!;
      const per = (f: (seconds: number) => number): Record<string, number | undefined> =>
        Object.fromEntries(
          Object.keys(groups).map((g) => {
            const seconds = spent.get(g) ?? NaN;
            return [g, Number.isNaN(seconds) ? undefined : f(seconds)];
          }),
        );
      const outcome: VariantOutcome = {
        result,
        roundThroughputs: windows.get(v.label)!.map((w) => w.latencies.length / w.durationSeconds),
        cpuMsPerRequest: per((s) => (result.requests === 0 ? 0 : (s * 1000) / result.requests)),
        coresBusy: per((s) => s / result.durationSeconds),
      };
      return [v.label, outcome];
    }),
  );
}

/**
 * `npm run bench -- <name> [flags]`: runs one benchmark of this directory, prints its table
 * and writes its result to `bench/results/<name>-<ISO time>.json`.
 *
 * Each benchmark is a module `bench/<name>.ts` exporting `description` and
 * `run(argv): Promise<BenchResult>`; it prints its own progress. This file only dispatches,
 * prints and saves. Exit status: 0 done, 1 the run failed or one of its checks did not hold
 * (the result is still saved), 2 an unknown benchmark or a bad flag. It must never report a
 * figure from a run whose checks failed without saying so.
 */
import { relative } from 'node:path';
import { formatTable } from '@isx/lab';
import { describeMachine, saveResult, type BenchResult } from './support/bench-result.js';
import { installInterruptHandlers, interrupted } from './support/interrupt.js';
import { describeFlags, UsageError } from './support/flags.js';
import type { z } from 'zod';

interface BenchModule {
  readonly description: string;
  readonly flagsSchema: z.ZodObject;
  run(argv: readonly string[]): Promise<BenchResult>;
}

/** Every benchmark, by name; each is loaded only when it runs. */
const BENCHMARKS: Readonly<Record<string, () => Promise<BenchModule>>> = {
  'router-hop': () => import('./router-hop.js'),
  'etcd-put': () => import('./etcd-put.js'),
  'replicated-write': () => import('./replicated-write.js'),
  failover: () => import('./failover.js'),
  stability: () => import('./stability.js'),
  cutover: () => import('./cutover.js'),
  rebalance: () => import('./rebalance.js'),
  activities: () => import('./activities.js'),
};

async function listBenchmarks(): Promise<string> {
  const lines = ['usage: npm run bench -- <name> [flags]', '', 'benchmarks:'];
  for (const [name, load] of Object.entries(BENCHMARKS)) {
    const module = await load();
    lines.push(
      `  ${name.padEnd(12)} ${module.description}`,
      `  ${''.padEnd(12)} ${describeFlags(module.flagsSchema)}`,
    );
  }
  return lines.join('\n');
}

async function main(argv: readonly string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === 'help' || name === '--help') {
    console.log(await listBenchmarks());
    return name === undefined ? 2 : 0;
  }
  const load = BENCHMARKS[name];
  if (!load) {
    console.error(`unknown benchmark: ${name}\n\n${await listBenchmarks()}`);
    return 2;
  }
  const module = await load();
  installInterruptHandlers();
  const startedAt = new Date();
  const machine = describeMachine();
  if (machine.loadAverage1m > machine.cpus / 2) {
    console.log(
      `note: the 1-minute load average is ${machine.loadAverage1m.toFixed(1)} on ${machine.cpus} cores before ` +
        'the run; other processes compete for the CPU and the figures will be low',
    );
  }
  let result: BenchResult;
  try {
    result = await module.run(rest);
  } catch (error) {
    if (interrupted()) return 1;
    if (error instanceof UsageError) {
      console.error(
        `${name}: ${error.message}\nusage: npm run bench -- ${name} ${describeFlags(module.flagsSchema)}`,
      );
      return 2;
    }
    console.error(
      `\n${name} failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`,
    );
    return 1;
  }
  if (interrupted()) return 1; // the signal handler is stopping everything and sets the exit status
  const file = await saveResult(name, { startedAt, machine }, result);
  console.log(`\nResult\n──────\n${formatTable(result.table.headers, result.table.rows)}\n`);
  for (const note of result.notes ?? []) console.log(note);
  for (const failure of result.failures ?? []) console.log(`✗ ${failure}`);
  console.log(`\nwritten to ${relative(process.cwd(), file)}`);
  return (result.failures ?? []).length === 0 ? 0 : 1;
}

process.exitCode = await main(process.argv.slice(2));

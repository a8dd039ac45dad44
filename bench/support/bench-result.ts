/**
 * What a benchmark hands back, and how it is kept: a table for the terminal and a JSON file
 * under `bench/results/` with the parameters, every measurement and the machine it ran on.
 *
 * It must never overwrite an earlier result: each file is named after the benchmark and the
 * moment it was written.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { cpus, loadavg, platform, release, totalmem } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { LoadResult } from './load.js';

/** Where results are written: `bench/results/`. */
export const RESULTS_DIR = fileURLToPath(new URL('../results/', import.meta.url));

export interface BenchResult {
  /** The flags after validation, defaults filled in. */
  readonly params: Readonly<Record<string, unknown>>;
  /** One measurement per variant (`router`, `direct`, `etcd`, …). */
  readonly measurements: Readonly<Record<string, LoadResult>>;
  /** What the terminal shows at the end. */
  readonly table: { readonly headers: readonly string[]; readonly rows: ReadonlyArray<readonly string[]> };
  /** Derived figures (ratios, targets) and lines that say what they mean. */
  readonly summary?: Readonly<Record<string, unknown>>;
  readonly notes?: readonly string[];
  /** Checks that did not hold (errors, a moving map…): the figures may not mean what they say. */
  readonly failures?: readonly string[];
}

/** The machine, so that figures from different machines are never compared blindly. */
export interface Machine {
  readonly cpus: number;
  readonly cpuModel: string;
  readonly memoryGiB: number;
  readonly platform: string;
  readonly node: string;
  /** Read before the run starts: other work on the machine skews the figures. */
  readonly loadAverage1m: number;
}

export function describeMachine(): Machine {
  const cores = cpus();
  return {
    cpus: cores.length,
    cpuModel: cores[0]?.model ?? 'unknown',
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    platform: `${platform()} ${release()}`,
    node: process.version,
    loadAverage1m: loadavg()[0] ?? 0,
  };
}

/** An ISO 8601 instant in the basic format, safe in a file name: `20251123T151203Z`. */
export function compactIsoTime(date: Date): string {
  return date
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');
}

/** Writes `bench/results/<name>-<ISO time>.json` and returns its path. */
export async function saveResult(
  name: string,
  run: { readonly startedAt: Date; readonly machine: Machine },
  result: BenchResult,
  dir = RESULTS_DIR,
): Promise<string> {
  await mkdir(dir, { recursive: true });
  const finishedAt = new Date();
  const document = {
    benchmark: name,
    startedAt: run.startedAt.toISOString(),
    finishedAt: finishedAt.toISOString(),
    machine: run.machine,
    ...result,
  };
  const base = join(dir, `${name}-${compactIsoTime(finishedAt)}`);
  for (let n = 1; ; n += 1) {
    const file = n === 1 ? `${base}.json` : `${base}-${n}.json`;
    try {
      await writeFile(file, `${JSON.stringify(document, null, 2)}\n`, { flag: 'wx' });
      return file;
    } catch (error) {
      if ((error as { code?: string }).code !== 'EEXIST') throw error;
    }
  }
}

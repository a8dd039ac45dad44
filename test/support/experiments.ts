/**
 * Short failure-lab experiments for the real-process tests: run a spec (with a test's
 * description and seed filled in) into a fresh directory, and find a checker's result in the
 * report. The caller removes the directory.
 */
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { parseExperimentSpec, type ExperimentSpecInput } from '@isx/core';
import { runExperiment, type CheckerResult, type ExperimentReport } from '@isx/lab';

/** Runs `spec` quietly; `label` names the directory, the description and the default seed's use. */
export async function runShortExperiment(
  label: string,
  seed: number,
  spec: Omit<ExperimentSpecInput, 'description' | 'seed'>,
): Promise<{ report: ExperimentReport; dir: string }> {
  const dir = await mkdtemp(join(tmpdir(), `isx-${label}-`));
  const report = await runExperiment(
    parseExperimentSpec({ description: `A ${label} test.`, seed, settle: { quietMs: 500 }, ...spec }),
    { outDir: dir, log: () => undefined },
  );
  return { report, dir };
}

/** The result of the checker called `name`; fails the test if the report has none. */
export function checkerResult(report: ExperimentReport, name: string): CheckerResult {
  const found = report.checkers.find((c) => c.checker === name);
  expect(found, name).to.not.equal(undefined);
  return found!;
}

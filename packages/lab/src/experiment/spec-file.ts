/**
 * Reads an experiment spec from a `.json`, `.yaml` or `.yml` file and checks it against
 * the schema in `@isx/core`. A bad spec is reported as one line per problem, each with its
 * path in the file (`workload.mix.read: expected number`), before anything starts.
 */
import { readFile } from 'node:fs/promises';
import { experimentSpecSchema, type ExperimentSpec } from '@isx/core';
import { parse as parseYaml } from 'yaml';

/** A spec that could not be read or is not valid; `problems` lists each issue. */
export class SpecError extends Error {
  readonly problems: readonly string[];

  constructor(file: string, problems: readonly string[]) {
    super(`${file} is not a valid experiment spec:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'SpecError';
    this.problems = problems;
  }
}

/** Values given on the command line that replace the file's. */
export interface SpecOverrides {
  readonly seed?: number | undefined;
  readonly durationMs?: number | undefined;
}

export async function loadExperimentSpec(
  file: string,
  overrides: SpecOverrides = {},
): Promise<ExperimentSpec> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new SpecError(file, [`cannot read it: ${(error as Error).message}`]);
  }
  return parseExperimentSpecText(text, file, overrides);
}

/** Parses spec text; JSON if the file name ends in `.json`, YAML (a superset of JSON) otherwise. */
export function parseExperimentSpecText(
  text: string,
  file: string,
  overrides: SpecOverrides = {},
): ExperimentSpec {
  let data: unknown;
  try {
    data = file.endsWith('.json') ? JSON.parse(text) : parseYaml(text);
  } catch (error) {
    throw new SpecError(file, [
      `not ${file.endsWith('.json') ? 'JSON' : 'YAML'}: ${(error as Error).message}`,
    ]);
  }
  if (data !== null && typeof data === 'object' && !Array.isArray(data)) {
    const record = data as Record<string, unknown>;
    if (overrides.seed !== undefined) record.seed = overrides.seed;
    if (
      overrides.durationMs !== undefined &&
      record.workload !== null &&
      typeof record.workload === 'object'
    ) {
      (record.workload as Record<string, unknown>).durationMs = overrides.durationMs;
    }
  }
  const parsed = experimentSpecSchema.safeParse(data);
  if (!parsed.success) {
    throw new SpecError(
      file,
      parsed.error.issues.map((issue) => `${issue.path.map(String).join('.') || '(root)'}: ${issue.message}`),
    );
  }
  return parsed.data;
}

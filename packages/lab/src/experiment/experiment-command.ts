/**
 * `isx experiment FILE [--out DIR] [--seed N] [--duration MS] [--log-level L]`: runs one
 * failure experiment and returns the exit status: 0 when every checker passed, 1 when one
 * found a violation or could not decide, 2 for a bad spec or bad flags.
 */
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { experimentFlagsSchema, logLevelFrom, validationError } from '@isx/core';
import { runExperiment } from './experiment-runner.js';
import { loadExperimentSpec, SpecError } from './spec-file.js';

export const EXPERIMENT_USAGE =
  'usage: isx experiment FILE [--out DIR] [--seed N] [--duration MS] [--log-level warn]';

export async function experimentCommand(
  args: string[],
  write = (text: string) => process.stderr.write(text),
): Promise<number> {
  let parsedArgs;
  try {
    parsedArgs = parseArgs({
      args,
      allowPositionals: true,
      options: {
        out: { type: 'string' },
        seed: { type: 'string' },
        duration: { type: 'string' },
        'log-level': { type: 'string' },
      },
    });
  } catch (error) {
    write(`isx experiment: ${(error as Error).message}\n${EXPERIMENT_USAGE}\n`);
    return 2;
  }
  let logLevel: string | undefined;
  try {
    logLevel = logLevelFrom(parsedArgs.values['log-level'], process.env);
  } catch (error) {
    write(`isx experiment: ${(error as Error).message}\n`);
    return 2;
  }
  const flags = experimentFlagsSchema.safeParse({ ...parsedArgs.values, 'log-level': logLevel });
  const file = parsedArgs.positionals[0];
  if (!flags.success || file === undefined || parsedArgs.positionals.length > 1) {
    const reason = flags.success
      ? 'give exactly one spec file'
      : validationError(flags.error, 'command line').message;
    write(`isx experiment: ${reason}\n${EXPERIMENT_USAGE}\n`);
    return 2;
  }
  let spec;
  try {
    spec = await loadExperimentSpec(file, { seed: flags.data.seed, durationMs: flags.data.duration });
  } catch (error) {
    if (!(error instanceof SpecError)) throw error;
    write(`isx experiment: ${error.message}\n`);
    return 2;
  }
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const outDir = flags.data.out ?? join('lab-results', `${spec.name}-${stamp}`);
  const report = await runExperiment(spec, { outDir, logLevel: flags.data['log-level'] });
  return report.verdict === 'valid' ? 0 : 1;
}

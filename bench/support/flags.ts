/**
 * Command-line flags of the benchmarks: `node:util` `parseArgs` reads them as strings, a zod
 * schema coerces and checks them.
 *
 * The schemas live here rather than in `@isx/core` (where the process flag schemas are)
 * because they describe this directory's scripts, not a process of the system. A bad flag
 * must never start a run: it is a `UsageError`, which `run.ts` reports with exit status 2.
 */
import { parseArgs } from 'node:util';
import { z } from 'zod';

/** A flag that is unknown, malformed or out of range. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** The flags every load benchmark takes. */
export const loadFlagsShape = {
  /** Seconds measured per variant. */
  duration: z.coerce.number().positive().max(3600).default(10),
  /** Closed-loop workers, i.e. requests in flight. */
  concurrency: z.coerce.number().int().min(1).max(10_000).default(50),
  /**
   * Seconds of unmeasured load before each measurement. V8 goes on compiling the hot paths for
   * several seconds of load: after 2 s a node still spent a fifth of its CPU in the optimizing
   * compiler, and RF 3 throughput was a fifth lower than after 15 s (docs/benchmarks.md).
   */
  warmup: z.coerce.number().min(0).max(600).default(10),
};

/**
 * Parses `argv` (`--name value` or `--name=value`) against `schema`; every key of the schema
 * is a flag, strings unless listed in `booleans`.
 *
 * @throws UsageError naming each problem
 */
export function parseFlags<Schema extends z.ZodObject>(
  argv: readonly string[],
  schema: Schema,
  booleans: readonly string[] = [],
): z.output<Schema> {
  const options = Object.fromEntries(
    Object.keys(schema.shape).map((name) => [
      name,
      { type: booleans.includes(name) ? ('boolean' as const) : ('string' as const) },
    ]),
  );
  let values: Record<string, unknown>;
  try {
    values = parseArgs({ args: [...argv], options, strict: true, allowPositionals: false }).values;
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
  const parsed = schema.safeParse(values);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `--${issue.path.join('.')}: ${issue.message}`);
    throw new UsageError(problems.join('\n'));
  }
  return parsed.data;
}

/** `--duration 10 --concurrency 50 …` as a usage line. */
export function describeFlags(schema: z.ZodObject): string {
  return Object.entries(schema.shape)
    .map(([name, field]) => {
      const value: unknown = (field as z.ZodType).safeParse(undefined).data;
      if (value === undefined) return `--${name} …`;
      return `[--${name} ${typeof value === 'string' ? value : JSON.stringify(value)}]`;
    })
    .join(' ');
}

/**
 * The command-line entry of a router (`isx router`, or `main.js`): parse flags, load the
 * cluster configuration, refuse it with every problem named if it has gaps or overlaps,
 * and run until SIGINT or SIGTERM.
 */
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import {
  isIsxError,
  parseClusterConfig,
  parseJson,
  routerFlagsSchema,
  ShardMap,
  validationError,
} from '@isx/core';
import { pino } from 'pino';
import { startRouter, type RunningRouter } from './router.js';

export const ROUTER_USAGE =
  'Usage: --config FILE [--host H] [--port P] [--node-timeout-ms MS] [--log-level L]';

/** Parses `argv` (without node and script) and runs a router until a signal stops it. */
export async function runRouterMain(argv: string[]): Promise<RunningRouter> {
  try {
    const { values } = parseArgs({
      args: argv,
      options: {
        config: { type: 'string' },
        host: { type: 'string' },
        port: { type: 'string' },
        'node-timeout-ms': { type: 'string' },
        'log-level': { type: 'string' },
      },
      strict: true,
    });
    const parsed = routerFlagsSchema.safeParse(values);
    if (!parsed.success) throw validationError(parsed.error, 'command line');
    const flags = parsed.data;
    const map = new ShardMap(parseClusterConfig(parseJson(await readFile(flags.config, 'utf8'), `configuration file ${flags.config}`)));
    const logger = pino({ level: flags['log-level'] }).child({ role: 'router' });
    const router = await startRouter({
      map,
      host: flags.host,
      port: flags.port,
      nodeTimeoutMs: flags['node-timeout-ms'],
      logger,
    });
    logger.info({ url: router.url, types: map.types }, 'router listening');
    const stop = (signal: string): void => {
      logger.info({ signal }, 'router stopping');
      router.close().then(
        () => process.exit(0),
        () => process.exit(1),
      );
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    return router;
  } catch (error) {
    const reason = isIsxError(error) || error instanceof Error ? error.message : String(error);
    process.stderr.write(`router: ${reason}\n${ROUTER_USAGE}\n`);
    process.exit(2);
  }
}

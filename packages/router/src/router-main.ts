/**
 * The command-line entry of a router (`isx router`, or `main.js`): parse flags, then either
 * load a manual cluster configuration (refused with every problem named if it has gaps or
 * overlaps) or open the router's store for a dynamic cluster, and run until SIGINT or SIGTERM.
 */
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import {
  CLUSTER_TOKEN_ENV,
  isIsxError,
  logLevelFrom,
  parseClusterConfig,
  parseJson,
  routerFlagsSchema,
  ShardMap,
  systemClock,
  validationError,
} from '@isx/core';
import { pino } from 'pino';
import { ClusterManager } from './cluster-manager.js';
import { startRouter, type RunningRouter } from './router.js';

export const ROUTER_USAGE =
  'Usage: --config FILE [--host H] [--port P] [--node-timeout-ms MS] [--log-level L] (or ISX_LOG_LEVEL=L)';

/** Parses `argv` (without node and script) and runs a router until a signal stops it. */
export async function runRouterMain(argv: string[]): Promise<RunningRouter> {
  try {
    const { values } = parseArgs({
      args: argv,
      options: {
        config: { type: 'string' },
        data: { type: 'string' },
        'router-id': { type: 'string' },
        'shards-per-type': { type: 'string' },
        'replication-factor': { type: 'string' },
        'min-in-sync': { type: 'string' },
        'max-concurrent-moves': { type: 'string' },
        'move-rate-mb': { type: 'string' },
        'max-shard-entities': { type: 'string' },
        'split-load-share': { type: 'string' },
        'split-min-ops': { type: 'string' },
        'max-shards-per-type': { type: 'string' },
        'heartbeat-ms': { type: 'string' },
        'suspect-after-ms': { type: 'string' },
        'dead-after-ms': { type: 'string' },
        host: { type: 'string' },
        port: { type: 'string' },
        'node-timeout-ms': { type: 'string' },
        'log-level': { type: 'string' },
      },
      strict: true,
    });
    const parsed = routerFlagsSchema.safeParse({
      ...values,
      'log-level': logLevelFrom(values['log-level'], process.env),
    });
    if (!parsed.success) throw validationError(parsed.error, 'command line');
    const flags = parsed.data;
    const logger = pino({ level: flags['log-level'] }).child({ role: 'router' });
    const common = { host: flags.host, port: flags.port, nodeTimeoutMs: flags['node-timeout-ms'], logger };
    let router: RunningRouter;
    if (flags.data !== undefined) {
      const token = process.env[CLUSTER_TOKEN_ENV];
      if (!token) throw new Error(`${CLUSTER_TOKEN_ENV} must hold the cluster token for a dynamic cluster`);
      const manager = await ClusterManager.open({
        dataDir: flags.data,
        token,
        ...(flags['router-id'] ? { routerId: flags['router-id'] } : {}),
        shardsPerType: flags['shards-per-type'],
        replicationFactor: flags['replication-factor'],
        ...(flags['min-in-sync'] === undefined ? {} : { minInSync: flags['min-in-sync'] }),
        maxConcurrentMoves: flags['max-concurrent-moves'],
        ...(flags['move-rate-mb'] > 0
          ? { moveBytesPerSecond: Math.round(flags['move-rate-mb'] * 1_000_000) }
          : {}),
        autoSplit: {
          maxShardEntities: flags['max-shard-entities'],
          loadShare: flags['split-load-share'],
          minOpsPerSec: flags['split-min-ops'],
          maxShardsPerType: flags['max-shards-per-type'],
        },
        heartbeatMs: flags['heartbeat-ms'],
        suspectAfterMs: flags['suspect-after-ms'],
        deadAfterMs: flags['dead-after-ms'],
        clock: systemClock,
        logger,
      });
      router = await startRouter({ ...common, cluster: { manager, token } });
    } else {
      const file = flags.config!;
      const map = new ShardMap(
        parseClusterConfig(parseJson(await readFile(file, 'utf8'), `configuration file ${file}`)),
      );
      router = await startRouter({ ...common, map });
    }
    logger.info(
      { url: router.url, mode: flags.data === undefined ? 'manual' : 'dynamic' },
      'router listening',
    );
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

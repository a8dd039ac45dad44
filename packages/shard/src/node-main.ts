/**
 * The command-line entry of a shard server, shared by every service's `main` and by
 * `isx node`: parse flags, load the cluster configuration, start, and stop cleanly on
 * SIGINT or SIGTERM. Bad flags or a bad configuration end the process with a one-line
 * reason and exit status 2, never a stack trace.
 */
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import {
  isIsxError,
  nodeFlagsSchema,
  parseClusterConfig,
  parseJson,
  ShardMap,
  validationError,
  type EntityDefinition,
} from '@isx/core';
import { pino } from 'pino';
import { startNode, type RunningNode } from './node.js';

export const NODE_USAGE = `Usage: --config FILE --node ID --data DIR [--host H] [--port P] [--no-fsync] [--log-level L]`;

/** Parses `argv` (without node and script) and runs a node until a signal stops it. */
export async function runNodeMain(
  entities: readonly EntityDefinition[],
  argv: string[],
): Promise<RunningNode> {
  try {
    const { values } = parseArgs({
      args: argv,
      options: {
        config: { type: 'string' },
        node: { type: 'string' },
        data: { type: 'string' },
        host: { type: 'string' },
        port: { type: 'string' },
        'no-fsync': { type: 'boolean' },
        'log-level': { type: 'string' },
      },
      strict: true,
    });
    const { 'no-fsync': noFsync, ...rest } = values;
    const parsed = nodeFlagsSchema.safeParse({ ...rest, fsync: noFsync !== true });
    if (!parsed.success) throw validationError(parsed.error, 'command line');
    const flags = parsed.data;
    const config = parseClusterConfig(parseJson(await readFile(flags.config, 'utf8'), `configuration file ${flags.config}`));
    const map = new ShardMap(config);
    const address = config.nodes[flags.node];
    if (!address) throw new Error(`node "${flags.node}" is not in ${flags.config}`);
    const logger = pino({ level: flags['log-level'] }).child({ node: flags.node });
    const node = await startNode({
      nodeId: flags.node,
      dataDir: flags.data,
      entities,
      map,
      host: flags.host,
      port: flags.port ?? Number(new URL(address.url).port),
      sync: flags.fsync,
      logger,
    });
    logger.info({ url: node.url, shards: map.shardsOf(flags.node).map((s) => s.id) }, 'node listening');
    const stop = (signal: string): void => {
      logger.info({ signal }, 'node stopping');
      node.close().then(
        () => process.exit(0),
        () => process.exit(1),
      );
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    return node;
  } catch (error) {
    const reason = isIsxError(error) || error instanceof Error ? error.message : String(error);
    process.stderr.write(`node: ${reason}\n${NODE_USAGE}\n`);
    process.exit(2);
  }
}

/**
 * The command-line entry of a shard server, shared by every service's `main` and by
 * `isx node`: parse flags, load the cluster configuration, start, and stop cleanly on
 * SIGINT or SIGTERM. Bad flags or a bad configuration end the process with a one-line
 * reason and exit status 2, never a stack trace.
 */
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import {
  CLUSTER_TOKEN_ENV,
  isIsxError,
  logLevelFrom,
  nodeFlagsSchema,
  parseClusterConfig,
  parseJson,
  ShardMap,
  validationError,
  type EntityDefinition,
} from '@isx/core';
import { pino } from 'pino';
import { startNode, type RunningNode } from './node.js';
import { PeerRoutes } from './peer-routes.js';

export const NODE_USAGE = `Usage: (--router URL | --config FILE --node ID) --data DIR [--host H] [--port P] [--advertise URL] [--peer-route ADVERTISED=DIAL]... [--no-fsync] [--log-level L]
  The log level may also come from ISX_LOG_LEVEL; --log-level wins.
  With --router, the cluster token is read from ${CLUSTER_TOKEN_ENV}.`;

/** A service: its name and the entity types its nodes host. */
export interface ServiceDefinition {
  readonly name: string;
  readonly entities: readonly EntityDefinition[];
}

/** Parses `argv` (without node and script) and runs a node of `service` until a signal stops it. */
export async function runNodeMain(service: ServiceDefinition, argv: string[]): Promise<RunningNode> {
  try {
    const { values } = parseArgs({
      args: argv,
      options: {
        config: { type: 'string' },
        node: { type: 'string' },
        router: { type: 'string' },
        data: { type: 'string' },
        host: { type: 'string' },
        port: { type: 'string' },
        advertise: { type: 'string' },
        'peer-route': { type: 'string', multiple: true },
        'no-fsync': { type: 'boolean' },
        'drain-timeout-ms': { type: 'string' },
        'delivery-backoff-ms': { type: 'string' },
        'delivery-backoff-max-ms': { type: 'string' },
        'delivery-max-attempts': { type: 'string' },
        'log-level': { type: 'string' },
      },
      strict: true,
    });
    const { 'no-fsync': noFsync, ...rest } = values;
    const parsed = nodeFlagsSchema.safeParse({
      ...rest,
      fsync: noFsync !== true,
      'log-level': logLevelFrom(rest['log-level'], process.env),
    });
    if (!parsed.success) throw validationError(parsed.error, 'command line');
    const flags = parsed.data;
    const logger = pino({ level: flags['log-level'] }).child({ service: service.name });
    const common = {
      service: service.name,
      dataDir: flags.data,
      entities: service.entities,
      host: flags.host,
      sync: flags.fsync,
      logger,
      advertiseUrl: flags.advertise?.replace(/\/+$/, ''),
      peers: PeerRoutes.parse(flags['peer-route']),
      delivery: {
        baseMs: flags['delivery-backoff-ms'],
        maxMs: flags['delivery-backoff-max-ms'],
        maxAttempts: flags['delivery-max-attempts'],
      },
    };
    let node: RunningNode;
    if (flags.router !== undefined) {
      const token = process.env[CLUSTER_TOKEN_ENV];
      if (!token)
        throw new Error(`${CLUSTER_TOKEN_ENV} must hold the cluster token when a node runs under a router`);
      node = await startNode({
        ...common,
        port: flags.port ?? 0,
        router: { url: flags.router.replace(/\/+$/, ''), token, service: service.name },
      });
    } else {
      const file = flags.config!;
      const config = parseClusterConfig(
        parseJson(await readFile(file, 'utf8'), `configuration file ${file}`),
      );
      const address = config.nodes[flags.node!];
      if (!address) throw new Error(`node "${flags.node}" is not in ${file}`);
      node = await startNode({
        ...common,
        map: new ShardMap(config),
        nodeId: flags.node!,
        token: process.env[CLUSTER_TOKEN_ENV],
        port: flags.port ?? Number(new URL(address.url).port),
      });
    }
    logger.info({ node: node.nodeId, url: node.url }, 'node listening');
    const stop = (signal: string): void => {
      logger.info({ signal }, 'node stopping');
      node.close().then(
        () => process.exit(0),
        () => process.exit(1),
      );
    };
    // SIGTERM hands everything over first (DESIGN §5); SIGINT, or a second signal, stops at once.
    const drainThenStop = (): void => {
      process.once('SIGTERM', () => stop('SIGTERM'));
      logger.info({ timeoutMs: flags['drain-timeout-ms'] }, 'SIGTERM: draining before stopping');
      node.drain(flags['drain-timeout-ms']).then(
        (drained) => {
          logger.info(
            { drained },
            drained ? 'drained: this node holds no copy' : 'stopping without a full drain',
          );
          stop('SIGTERM');
        },
        () => stop('SIGTERM'),
      );
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', drainThenStop);
    return node;
  } catch (error) {
    const reason = isIsxError(error) || error instanceof Error ? error.message : String(error);
    process.stderr.write(`node: ${reason}\n${NODE_USAGE}\n`);
    process.exit(2);
  }
}

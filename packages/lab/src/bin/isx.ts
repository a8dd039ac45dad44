#!/usr/bin/env node
/**
 * `isx`: the Infinite Scale command line.
 *
 * Each subcommand parses its flags with a schema from `@isx/core`; a bad flag ends the
 * command with a one-line reason and exit status 2.
 */
import { parseArgs } from 'node:util';
import { readClusterFlagsSchema, upFlagsSchema, validationError } from '@isx/core';
import { runRouterMain } from '@isx/router';
import { runNodeMain } from '@isx/shard';
import { fetchClusterView, nodesTable, shardsTable } from '../cluster-tables.js';
import { LocalCluster } from '../local-cluster.js';
import { SERVICES } from '../services.js';

const HELP = `isx — the Infinite Scale command line

  isx up [--nodes 2] [--partitioner hash|lexical] [--port 4000] [--data .isx/cluster]
        start a local cluster (router + nodes, real processes); Ctrl-C stops it
  isx router --config FILE [--port 4000] [--host 127.0.0.1]
        run one router process
  isx node --service campaign --config FILE --node ID --data DIR [--port P]
        run one shard server process
  isx status [--router URL] [--json]    nodes and whether they are up
  isx shards [--router URL] [--json]    the shard map
  isx help
`;

async function main(argv: string[]): Promise<void> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'router':
      await runRouterMain(rest);
      return;
    case 'node':
      await runNode(rest);
      return;
    case 'up':
      await up(rest);
      return;
    case 'status':
    case 'shards':
      await readCluster(command, rest);
      return;
    case undefined:
    case 'help':
    case '--help':
    case '-h':
      process.stdout.write(HELP);
      return;
    default:
      fail(`unknown command "${command}"\n\n${HELP}`);
  }
}

async function runNode(args: string[]): Promise<void> {
  const index = args.indexOf('--service');
  const name = index >= 0 ? args[index + 1] : undefined;
  const entities = name === undefined ? undefined : SERVICES[name];
  if (!entities) fail(`--service must be one of: ${Object.keys(SERVICES).join(', ')}`);
  await runNodeMain(entities, [...args.slice(0, index), ...args.slice(index + 2)]);
}

async function up(args: string[]): Promise<void> {
  const { values } = parseArgs({
    args,
    options: {
      nodes: { type: 'string' },
      partitioner: { type: 'string' },
      service: { type: 'string' },
      port: { type: 'string' },
      data: { type: 'string' },
      'log-level': { type: 'string' },
    },
  });
  const parsed = upFlagsSchema.safeParse(values);
  if (!parsed.success) fail(validationError(parsed.error, 'command line').message);
  const flags = parsed.data;
  if (!(flags.service in SERVICES)) fail(`--service must be one of: ${Object.keys(SERVICES).join(', ')}`);
  process.stdout.write(
    `Starting a router and ${flags.nodes} ${flags.service} nodes (${flags.partitioner} ranges) in ${flags.data} …\n`,
  );
  const cluster = await LocalCluster.start({
    dataDir: flags.data,
    nodes: flags.nodes,
    service: flags.service,
    partitioner: flags.partitioner,
    routerPort: flags.port,
    logLevel: flags['log-level'],
  });
  const view = await fetchClusterView(cluster.routerUrl);
  process.stdout.write(`\n${nodesTable(view)}\n\n${shardsTable(view)}\n\n`);
  process.stdout.write(
    `Router: ${cluster.routerUrl}   logs: ${flags.data}/logs   Ctrl-C stops the cluster.\n`,
  );
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  process.stdout.write('\nStopping …\n');
  await cluster.stop();
  process.stdout.write('Stopped.\n');
  // fetch keeps idle keep-alive sockets open for a few seconds; nothing is left to do.
  process.exit(0);
}

async function readCluster(command: 'status' | 'shards', args: string[]): Promise<void> {
  const { values } = parseArgs({ args, options: { router: { type: 'string' }, json: { type: 'boolean' } } });
  const parsed = readClusterFlagsSchema.safeParse(values);
  if (!parsed.success) fail(validationError(parsed.error, 'command line').message);
  const view = await fetchClusterView(parsed.data.router.replace(/\/+$/, ''));
  if (parsed.data.json) process.stdout.write(`${JSON.stringify(view, null, 2)}\n`);
  else process.stdout.write(`${command === 'status' ? nodesTable(view) : shardsTable(view)}\n`);
}

function fail(message: string): never {
  process.stderr.write(`isx: ${message}\n`);
  process.exit(2);
}

main(process.argv.slice(2)).catch((error: unknown) => {
  fail(error instanceof Error ? error.message : String(error));
});

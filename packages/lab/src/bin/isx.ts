#!/usr/bin/env node
/**
 * `isx`: the Infinite Scale command line.
 *
 * Each subcommand parses its flags with a schema from `@isx/core`; a bad flag ends the
 * command with a one-line reason and exit status 2.
 */
import { parseArgs } from 'node:util';
import {
  CLUSTER_TOKEN_ENV,
  CLUSTER_TOKEN_HEADER,
  drainFlagsSchema,
  logLevelFrom,
  readClusterFlagsSchema,
  steerFlagsSchema,
  upFlagsSchema,
  validationError,
  type LogLevel,
} from '@isx/core';
import { runRouterMain } from '@isx/router';
import { runNodeMain } from '@isx/shard';
import { fetchClusterView, movesTable, nodesTable, shardsTable } from '../cluster-tables.js';
import { deadLettersCommand } from '../dead-letters-command.js';
import { experimentCommand } from '../experiment/experiment-command.js';
import { LocalCluster } from '../local-cluster.js';
import { readableLogLine, type LogFilter } from '../readable-log.js';
import { SERVICES } from '../services.js';

const HELP = `isx — the Infinite Scale command line

  isx up [--nodes 2] [--rf 1] [--mode dynamic|manual] [--partitioner hash|lexical] [--service campaign]
         [--port 4000] [--data .isx/cluster] [--log-level info] [--logs notable|none|LEVEL]
        start a local cluster (router + nodes, real processes) and show their logs readably; Ctrl-C stops it
  isx router --data DIR [--port 4000] [--shards-per-type 8] [--replication-factor 1] [--heartbeat-ms 200]
             [--max-shard-entities 100000] [--split-load-share 0.5] [--split-min-ops 200] …
        run one router of a dynamic cluster (token from ISX_CLUSTER_TOKEN); it splits large or busy shards by itself
  isx router --config FILE [--port 4000]
        run one router over a manual shard configuration (phase 1)
  isx node --service campaign --router URL --data DIR [--port P] [--host H] [--advertise URL] [--peer-route ADVERTISED=DIAL]
        run one shard server that registers with the router (token from ISX_CLUSTER_TOKEN)
  isx node --service campaign --config FILE --node ID --data DIR
        run one shard server of a manual configuration (phase 1)
  isx status [--router URL] [--json]    nodes, their liveness and copies, and the moves in progress
  isx shards [--router URL] [--json]    the shard map, with each shard's records and operations per second
  isx split SHARD [--at PARTITION_KEY] [--router URL]   split a shard (token from ISX_CLUSTER_TOKEN)
  isx move SHARD --to NODE [--router URL]               move a shard (token from ISX_CLUSTER_TOKEN)
  isx drain NODE [--router URL] [--wait] [--undo]       empty a node so it can leave (token from ISX_CLUSTER_TOKEN)
  isx dead-letters [--router URL] [--json]             messages their senders gave up on
  isx dead-letters replay SENDER [--to RECEIVER] [--seq N] [--router URL]
        send a sender's dead letters again, e.g. SENDER campaign/spring (token from ISX_CLUSTER_TOKEN)
  isx experiment FILE [--out DIR] [--seed N] [--duration MS] [--log-level warn]
        run a failure experiment (workload + faults + checkers); writes report.json and report.html
        exit status 0 when every checker passed, 1 when one did not, 2 for a bad spec
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
    case 'split':
    case 'move':
      await steer(command, rest);
      return;
    case 'drain':
      await drain(rest);
      return;
    case 'dead-letters':
      process.exit(await deadLettersCommand(rest));
      return;
    case 'experiment':
      process.exit(await experimentCommand(rest));
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
  const service = name === undefined ? undefined : SERVICES[name];
  if (!service) fail(`--service must be one of: ${Object.keys(SERVICES).join(', ')}`);
  await runNodeMain(service, [...args.slice(0, index), ...args.slice(index + 2)]);
}

async function up(args: string[]): Promise<void> {
  const { values } = parseArgs({
    args,
    options: {
      nodes: { type: 'string' },
      mode: { type: 'string' },
      partitioner: { type: 'string' },
      service: { type: 'string' },
      port: { type: 'string' },
      data: { type: 'string' },
      rf: { type: 'string' },
      'log-level': { type: 'string' },
      logs: { type: 'string' },
    },
  });
  let level: string | undefined;
  try {
    level = logLevelFrom(values['log-level'], process.env);
  } catch (error) {
    fail((error as Error).message);
  }
  const parsed = upFlagsSchema.safeParse({ ...values, 'log-level': level });
  if (!parsed.success) fail(validationError(parsed.error, 'command line').message);
  const flags = parsed.data;
  if (!(flags.service in SERVICES)) fail(`--service must be one of: ${Object.keys(SERVICES).join(', ')}`);
  if (flags.rf > 1 && flags.mode === 'manual')
    fail('--rf needs --mode dynamic: a manual layout has one copy');
  process.stdout.write(
    `Starting a router and ${flags.nodes} ${flags.service} nodes (${flags.mode}${flags.mode === 'manual' ? `, ${flags.partitioner} ranges` : flags.rf > 1 ? `, ${flags.rf} copies of every shard` : ''}) in ${flags.data} …\n`,
  );
  // While it starts, the progress lines say what `notable` would (a node registered), so only
  // warnings and errors are shown then.
  let logs: LogFilter = flags.logs === 'notable' ? 'warn' : flags.logs;
  const colour = process.stdout.isTTY === true && process.env.NO_COLOR === undefined;
  const startedAt = performance.now();
  const cluster = await LocalCluster.start({
    dataDir: flags.data,
    mode: flags.mode,
    nodes: flags.nodes,
    service: flags.service,
    partitioner: flags.partitioner,
    routerPort: flags.port,
    // A process cannot show lines it does not write: `--logs debug` lowers its level to debug.
    logLevel: lowerLevel(flags['log-level'], flags.logs),
    ...(flags.rf > 1 ? { replicationFactor: flags.rf } : {}),
    onLogLine: (name, line) => {
      const readable = readableLogLine(name, line, { filter: logs, colour });
      if (readable !== undefined) process.stdout.write(`${readable}\n`);
    },
    onProgress: (progress) => {
      const step =
        progress.role === 'router'
          ? 'started'
          : `${flags.mode === 'dynamic' ? 'registered' : 'started'} (${progress.ready} of ${progress.of})`;
      process.stdout.write(`  ✓ ${progress.name.padEnd(9)} ${step.padEnd(20)} ${progress.url}\n`);
    },
  });
  const view = await fetchClusterView(cluster.routerUrl);
  process.stdout.write(`\n${nodesTable(view)}\n\n${shardsTable(view)}\n\n`);
  const shards = Object.values(view.types).reduce((sum, type) => sum + type.shards.length, 0);
  process.stdout.write(
    `Ready in ${((performance.now() - startedAt) / 1000).toFixed(1)} s: ${view.nodes.length} nodes, ${shards} shards${flags.rf > 1 ? ` × ${flags.rf} copies` : ''}.\n` +
      `Router: ${cluster.routerUrl}   logs: ${flags.data}/logs (JSON)   Ctrl-C stops the cluster.\n` +
      `Showing ${describeLogs(flags.logs)} of every process here; --logs LEVEL|notable|none changes that.\n`,
  );
  if (flags.mode === 'dynamic') {
    process.stdout.write(
      `To steer it (isx split, move, drain), in another shell:\n  export ${CLUSTER_TOKEN_ENV}=${cluster.token}\n`,
    );
  }
  logs = flags.logs;
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  logs = 'none';
  process.stdout.write('\nStopping …\n');
  await cluster.stop();
  process.stdout.write('Stopped.\n');
  // fetch keeps idle keep-alive sockets open for a few seconds; nothing is left to do.
  process.exit(0);
}

/** The more talkative of a process log level and what `--logs` asks to see. */
function lowerLevel(level: LogLevel, logs: LogFilter): LogLevel {
  const order: readonly string[] = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'];
  if (logs === 'notable' || logs === 'none') return level;
  return order.indexOf(logs) < order.indexOf(level) ? logs : level;
}

function describeLogs(logs: LogFilter): string {
  if (logs === 'notable') return 'warnings, errors and membership, failover, move and split news';
  if (logs === 'none') return 'nothing';
  return `the ${logs} lines and above`;
}

async function readCluster(command: 'status' | 'shards', args: string[]): Promise<void> {
  const { values } = parseArgs({ args, options: { router: { type: 'string' }, json: { type: 'boolean' } } });
  const parsed = readClusterFlagsSchema.safeParse(values);
  if (!parsed.success) fail(validationError(parsed.error, 'command line').message);
  const view = await fetchClusterView(parsed.data.router.replace(/\/+$/, ''));
  if (parsed.data.json) process.stdout.write(`${JSON.stringify(view, null, 2)}\n`);
  else if (command === 'shards') process.stdout.write(`${shardsTable(view)}\n`);
  else {
    const moves = movesTable(view);
    process.stdout.write(`${nodesTable(view)}\n${moves === '' ? '' : `\nMoves in progress:\n${moves}\n`}`);
  }
}

/** `isx drain NODE`: starts a drain (or ends it with --undo); with --wait, follows it until the node holds nothing. */
async function drain(args: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { router: { type: 'string' }, wait: { type: 'boolean' }, undo: { type: 'boolean' } },
  });
  const parsed = drainFlagsSchema.safeParse(values);
  if (!parsed.success) fail(validationError(parsed.error, 'command line').message);
  const node = positionals[0];
  if (!node || positionals.length > 1) fail('usage: isx drain NODE [--router URL] [--wait] [--undo]');
  const token = process.env[CLUSTER_TOKEN_ENV];
  if (!token) fail(`${CLUSTER_TOKEN_ENV} must hold the cluster token`);
  const router = parsed.data.router.replace(/\/+$/, '');
  const response = await fetch(`${router}/cluster/nodes/${encodeURIComponent(node)}/drain`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', [CLUSTER_TOKEN_HEADER]: token },
    body: JSON.stringify({ draining: parsed.data.undo !== true }),
  });
  const answer = (await response.json()) as { error?: { code: string; message: string }; replicas?: number };
  if (!response.ok) fail(`${answer.error?.code ?? response.status}: ${answer.error?.message ?? ''}`);
  if (parsed.data.undo) {
    process.stdout.write(`${node} is no longer draining.\n`);
    return;
  }
  process.stdout.write(`${node} is draining; it holds ${answer.replicas ?? '?'} copies.\n`);
  if (!parsed.data.wait) return;
  for (;;) {
    const view = await fetchClusterView(router);
    const held = view.nodes.find((n) => n.id === node)?.replicas ?? 0;
    const moves = movesTable(view);
    process.stdout.write(`\n${new Date().toISOString()}  ${node} holds ${held} copies\n${moves}\n`);
    if (held === 0) break;
    await new Promise((resolve) => setTimeout(resolve, 1_000));
  }
  process.stdout.write(`${node} holds nothing now; it can be stopped.\n`);
}

async function steer(command: 'split' | 'move', args: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { router: { type: 'string' }, at: { type: 'string' }, to: { type: 'string' } },
  });
  const parsed = steerFlagsSchema.safeParse(values);
  if (!parsed.success) fail(validationError(parsed.error, 'command line').message);
  const shard = positionals[0];
  if (!shard)
    fail(`usage: isx ${command} SHARD ${command === 'move' ? '--to NODE' : '[--at PARTITION_KEY]'}`);
  if (command === 'move' && !parsed.data.to) fail('isx move needs --to NODE');
  const token = process.env[CLUSTER_TOKEN_ENV];
  if (!token) fail(`${CLUSTER_TOKEN_ENV} must hold the cluster token`);
  const body = command === 'split' ? (parsed.data.at ? { at: parsed.data.at } : {}) : { to: parsed.data.to };
  const router = parsed.data.router.replace(/\/+$/, '');
  const response = await fetch(`${router}/cluster/shards/${encodeURIComponent(shard)}/${command}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', [CLUSTER_TOKEN_HEADER]: token },
    body: JSON.stringify(body),
  });
  const answer = (await response.json()) as { error?: { code: string; message: string } };
  if (!response.ok) fail(`${answer.error?.code ?? response.status}: ${answer.error?.message ?? ''}`);
  process.stdout.write(`${JSON.stringify(answer, null, 2)}\n`);
  process.stdout.write(`${shardsTable(await fetchClusterView(router))}\n`);
}

function fail(message: string): never {
  process.stderr.write(`isx: ${message}\n`);
  process.exit(2);
}

main(process.argv.slice(2)).catch((error: unknown) => {
  fail(error instanceof Error ? error.message : String(error));
});

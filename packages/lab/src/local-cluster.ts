/**
 * `LocalCluster`: a router and its nodes as real processes on loopback ports, with Level
 * stores in a data directory. The phase demos, the tests in `test/` and `isx up` all use
 * it, so what they show is what a deployment would do.
 *
 * Two modes: `manual` writes phase 1's hand-made configuration and starts every process
 * from it; `dynamic` starts a router with its own store and nodes that register with it
 * (phase 2), sharing a freshly generated cluster token. It never fakes a fault: `kill` is
 * a real SIGKILL, `restart` a new process on the same data directory.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CLUSTER_TOKEN_ENV, type ClusterConfig, type PartitionerName } from '@isx/core';
import { freePort, freePorts } from './free-port.js';
import { ManagedProcess } from './managed-process.js';
import { manualLayout } from './manual-layout.js';

export interface LocalClusterOptions {
  /** Where configuration, Level stores and logs go. */
  readonly dataDir: string;
  /** `manual` (phase 1, the default) or `dynamic` (phase 2). */
  readonly mode?: 'manual' | 'dynamic';
  /** How many nodes to start with (default 2). */
  readonly nodes?: number;
  /** The service every node runs (default `campaign`). */
  readonly service?: string;
  /** Manual mode only: how ranges are drawn. */
  readonly partitioner?: PartitionerName;
  /** Dynamic mode: shards per entity type (default 8). */
  readonly shardsPerType?: number;
  /** The router's port; 0 or absent picks a free one. */
  readonly routerPort?: number;
  /** Log level of every process (default `info`). */
  readonly logLevel?: string;
  /** How long the router waits for a node before it answers 504 (the router's default if absent). */
  readonly nodeTimeoutMs?: number;
  /** Dynamic mode: copies of every shard (default 1, phase 2; 3 in phase 3). */
  readonly replicationFactor?: number;
  /** Dynamic mode: more `isx router` flags, e.g. `['--move-rate-mb', '20']`. */
  readonly routerArgs?: readonly string[];
  /** Dynamic mode: the router's automatic splits; a knob left out keeps the router's default. */
  readonly autoSplit?: {
    readonly maxShardEntities?: number;
    readonly loadShare?: number;
    readonly minOpsPerSec?: number;
  };
  /** Told of every line a process writes, with the process's name (its log file gets it too). */
  readonly onLogLine?: (process: string, line: string) => void;
  /** Told as each process of the cluster becomes ready while it starts (`isx up` prints it). */
  readonly onProgress?: (progress: StartProgress) => void;
}

/** One process of a starting cluster that is ready: it answers, and a node has registered. */
export interface StartProgress {
  readonly role: 'router' | 'node';
  /** The router's name, or the node's id. */
  readonly name: string;
  readonly url: string;
  /** How many processes of this role are ready now, of how many. */
  readonly ready: number;
  readonly of: number;
}

/** How to wire one node into the network, when a lab puts proxies on its links. */
export interface NodeWiring {
  /** A name for logs and its data directory (default `node-dir-N`). */
  readonly name?: string;
  /** The port it listens on (default: a free one). */
  readonly port?: number;
  /** The URL the router and peers dial instead of its listen address. */
  readonly advertiseUrl?: string;
  /** The router URL this node dials (default: the router's own). */
  readonly routerUrl?: string;
  /** `ADVERTISED=DIAL` routes to its peers. */
  readonly peerRoutes?: readonly string[];
  /** The service it runs (default: the cluster's `service`); ignored with `entry`. */
  readonly service?: string;
  /**
   * A node script to run as `node ENTRY <node flags>` instead of `isx node --service NAME
   * <node flags>`: how a service that `isx` does not know (an example, an application) runs
   * its nodes, e.g. the path of its `dist/main.js`, which calls `runNodeMain`.
   */
  readonly entry?: string;
  /** More node flags, e.g. `['--delivery-max-attempts', '3']`. */
  readonly args?: readonly string[];
}

export class LocalCluster {
  readonly options: LocalClusterOptions;
  readonly config: ClusterConfig | undefined;
  readonly router: ManagedProcess;
  /** The cluster token (dynamic mode). */
  readonly token: string;
  readonly #nodes = new Map<string, ManagedProcess>();
  #nodeDirs = 0;

  /** @internal Use {@link LocalCluster.start}. */
  constructor(options: LocalClusterOptions, router: ManagedProcess, token: string, config?: ClusterConfig) {
    this.options = options;
    this.router = router;
    this.token = token;
    this.config = config;
  }

  /**
   * Starts a cluster and waits until every process answers.
   *
   * @example
   * const cluster = await LocalCluster.start({ dataDir: '/tmp/isx', mode: 'dynamic', nodes: 2 });
   * await fetch(`${cluster.routerUrl}/campaign/apple`);
   * await cluster.stop();
   */
  static async start(options: LocalClusterOptions): Promise<LocalCluster> {
    await mkdir(options.dataDir, { recursive: true });
    return options.mode === 'dynamic' ? startDynamic(options) : startManual(options);
  }

  get routerUrl(): string {
    return this.router.spec.url;
  }

  /** The nodes by id. */
  get nodes(): ReadonlyMap<string, ManagedProcess> {
    return this.#nodes;
  }

  /** The managed process of a node. */
  node(id: string): ManagedProcess {
    const node = this.#nodes.get(id);
    if (!node) throw new Error(`no node ${id}; nodes are ${[...this.#nodes.keys()].join(', ')}`);
    return node;
  }

  /** Dynamic mode: starts one more node, which registers and receives shards. Returns its id. */
  async addNode(wiring: NodeWiring = {}): Promise<string> {
    if (this.options.mode !== 'dynamic') throw new Error('addNode needs a dynamic cluster');
    const index = (this.#nodeDirs += 1);
    const name = wiring.name ?? `node-dir-${index}`;
    const port = wiring.port ?? (await freePort());
    const dir = join(this.options.dataDir, name);
    const wired = [
      ...(wiring.advertiseUrl === undefined ? [] : ['--advertise', wiring.advertiseUrl]),
      ...(wiring.peerRoutes ?? []).flatMap((route) => ['--peer-route', route]),
    ];
    const isxNode = ['node', '--service', wiring.service ?? this.options.service ?? 'campaign'];
    const child = new ManagedProcess({
      name,
      url: `http://127.0.0.1:${port}`,
      logFile: join(this.options.dataDir, 'logs', `${name}.log`),
      env: { [CLUSTER_TOKEN_ENV]: this.token },
      waitForRegistration: true,
      entry: wiring.entry,
      onLine: lineSink(this.options, name),
      args: [
        ...(wiring.entry === undefined ? isxNode : []),
        '--router',
        wiring.routerUrl ?? this.routerUrl,
        '--data',
        dir,
        '--port',
        String(port),
        '--log-level',
        this.options.logLevel ?? 'info',
        ...wired,
        ...(wiring.args ?? []),
      ],
    });
    await child.start();
    const id = child.reportedId ?? name;
    this.#nodes.set(id, child);
    return id;
  }

  /** Stops every process at once (SIGINT: no drain), then SIGKILL after a grace period. */
  async stop(): Promise<void> {
    await Promise.all([this.router, ...this.#nodes.values()].map((p) => p.stop()));
  }

  /** @internal Used while starting a manual cluster. */
  adopt(id: string, child: ManagedProcess): void {
    this.#nodes.set(id, child);
  }
}

function lineSink(options: LocalClusterOptions, name: string): ((line: string) => void) | undefined {
  const sink = options.onLogLine;
  return sink && ((line) => sink(name, line));
}

async function startManual(options: LocalClusterOptions): Promise<LocalCluster> {
  const count = options.nodes ?? 2;
  const service = options.service ?? 'campaign';
  const [routerPort = 0, ...nodePorts] = await freePorts(count + 1);
  const config = manualLayout({
    type: service,
    partitioner: options.partitioner ?? 'hash',
    nodeUrls: nodePorts.map((port) => `http://127.0.0.1:${port}`),
  });
  const configFile = join(options.dataDir, 'cluster.json');
  await writeFile(configFile, `${JSON.stringify(config, null, 2)}\n`);
  const level = options.logLevel ?? 'info';
  const port = options.routerPort || routerPort;
  const router = new ManagedProcess({
    name: 'router',
    url: `http://127.0.0.1:${port}`,
    logFile: join(options.dataDir, 'logs', 'router.log'),
    args: ['router', '--config', configFile, '--port', String(port), '--log-level', level],
    onLine: lineSink(options, 'router'),
  });
  const cluster = new LocalCluster(options, router, '', config);
  for (const [id, address] of Object.entries(config.nodes)) {
    const args = [
      'node',
      '--service',
      service,
      '--config',
      configFile,
      '--node',
      id,
      '--data',
      join(options.dataDir, id),
      '--log-level',
      level,
    ];
    cluster.adopt(
      id,
      new ManagedProcess({
        name: id,
        url: address.url,
        logFile: join(options.dataDir, 'logs', `${id}.log`),
        args,
        onLine: lineSink(options, id),
      }),
    );
  }
  try {
    let ready = 0;
    await Promise.all(
      [...cluster.nodes].map(async ([id, node]) => {
        await node.start();
        ready += 1;
        options.onProgress?.({ role: 'node', name: id, url: node.spec.url, ready, of: count });
      }),
    );
    await router.start();
    options.onProgress?.({ role: 'router', name: 'router', url: router.spec.url, ready: 1, of: 1 });
  } catch (error) {
    await cluster.stop();
    throw error;
  }
  return cluster;
}

function autoSplitArgs(policy: LocalClusterOptions['autoSplit']): string[] {
  if (!policy) return [];
  const flag = (name: string, value: number | undefined): string[] =>
    value === undefined ? [] : [name, String(value)];
  return [
    ...flag('--max-shard-entities', policy.maxShardEntities),
    ...flag('--split-load-share', policy.loadShare),
    ...flag('--split-min-ops', policy.minOpsPerSec),
  ];
}

async function startDynamic(options: LocalClusterOptions): Promise<LocalCluster> {
  const token = randomBytes(16).toString('hex');
  const port = options.routerPort || (await freePort());
  const router = new ManagedProcess({
    name: 'router',
    url: `http://127.0.0.1:${port}`,
    logFile: join(options.dataDir, 'logs', 'router.log'),
    env: { [CLUSTER_TOKEN_ENV]: token },
    args: [
      'router',
      '--data',
      join(options.dataDir, 'router'),
      '--port',
      String(port),
      '--shards-per-type',
      String(options.shardsPerType ?? 8),
      '--log-level',
      options.logLevel ?? 'info',
      ...(options.nodeTimeoutMs === undefined ? [] : ['--node-timeout-ms', String(options.nodeTimeoutMs)]),
      ...(options.replicationFactor === undefined
        ? []
        : ['--replication-factor', String(options.replicationFactor)]),
      ...autoSplitArgs(options.autoSplit),
      ...(options.routerArgs ?? []),
    ],
    onLine: lineSink(options, 'router'),
  });
  const cluster = new LocalCluster({ ...options, mode: 'dynamic' }, router, token);
  try {
    await router.start();
    options.onProgress?.({ role: 'router', name: 'router', url: router.spec.url, ready: 1, of: 1 });
    const count = options.nodes ?? 2;
    for (let i = 0; i < count; i += 1) {
      const id = await cluster.addNode();
      options.onProgress?.({
        role: 'node',
        name: id,
        url: cluster.node(id).spec.url,
        ready: i + 1,
        of: count,
      });
    }
  } catch (error) {
    await cluster.stop();
    throw error;
  }
  return cluster;
}

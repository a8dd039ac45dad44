/**
 * `LocalCluster`: a router and its nodes as real processes on loopback ports, with Level
 * stores in a data directory. The phase demos, the tests in `test/` and `isx up` all use
 * it, so what they show is what a deployment would do.
 *
 * It never fakes a fault: `kill` is a real SIGKILL, `restart` a new process on the same
 * data directory and port.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ClusterConfig, PartitionerName } from '@isx/core';
import { freePorts } from './free-port.js';
import { ManagedProcess } from './managed-process.js';
import { manualLayout } from './manual-layout.js';

export interface LocalClusterOptions {
  /** Where configuration, Level stores and logs go. */
  readonly dataDir: string;
  /** How many nodes (default 2). */
  readonly nodes?: number;
  /** The service every node runs (default `campaign`). */
  readonly service?: string;
  readonly partitioner?: PartitionerName;
  /** The router's port; 0 or absent picks a free one. */
  readonly routerPort?: number;
  /** Node log level (default `info`). */
  readonly logLevel?: string;
}

export class LocalCluster {
  readonly config: ClusterConfig;
  readonly configFile: string;
  readonly router: ManagedProcess;
  readonly nodes: ReadonlyMap<string, ManagedProcess>;

  private constructor(
    config: ClusterConfig,
    configFile: string,
    router: ManagedProcess,
    nodes: Map<string, ManagedProcess>,
  ) {
    this.config = config;
    this.configFile = configFile;
    this.router = router;
    this.nodes = nodes;
  }

  /**
   * Writes the configuration and starts the nodes, then the router.
   *
   * @example
   * const cluster = await LocalCluster.start({ dataDir: '/tmp/isx', nodes: 2, partitioner: 'lexical' });
   * await fetch(`${cluster.routerUrl}/campaign/apple`);
   * await cluster.stop();
   */
  static async start(options: LocalClusterOptions): Promise<LocalCluster> {
    const count = options.nodes ?? 2;
    const service = options.service ?? 'campaign';
    const [routerPort = 0, ...nodePorts] = await freePorts(count + 1);
    const config = manualLayout({
      type: service,
      partitioner: options.partitioner ?? 'hash',
      nodeUrls: nodePorts.map((port) => `http://127.0.0.1:${port}`),
    });
    await mkdir(options.dataDir, { recursive: true });
    const configFile = join(options.dataDir, 'cluster.json');
    await writeFile(configFile, `${JSON.stringify(config, null, 2)}\n`);
    const level = options.logLevel ?? 'info';
    const nodes = new Map<string, ManagedProcess>();
    for (const [id, address] of Object.entries(config.nodes)) {
      nodes.set(
        id,
        new ManagedProcess({
          name: id,
          url: address.url,
          logFile: join(options.dataDir, 'logs', `${id}.log`),
          args: [
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
          ],
        }),
      );
    }
    const port = options.routerPort || routerPort;
    const router = new ManagedProcess({
      name: 'router',
      url: `http://127.0.0.1:${port}`,
      logFile: join(options.dataDir, 'logs', 'router.log'),
      args: ['router', '--config', configFile, '--port', String(port), '--log-level', level],
    });
    const cluster = new LocalCluster(config, configFile, router, nodes);
    try {
      await Promise.all([...nodes.values()].map((node) => node.start()));
      await router.start();
    } catch (error) {
      await cluster.stop();
      throw error;
    }
    return cluster;
  }

  get routerUrl(): string {
    return this.router.spec.url;
  }

  /** The managed process of a node. */
  node(id: string): ManagedProcess {
    const node = this.nodes.get(id);
    if (!node) throw new Error(`no node ${id}; nodes are ${[...this.nodes.keys()].join(', ')}`);
    return node;
  }

  /** Stops every process: SIGTERM, then SIGKILL after a grace period. */
  async stop(): Promise<void> {
    await Promise.all([this.router, ...this.nodes.values()].map((p) => p.stop()));
  }
}

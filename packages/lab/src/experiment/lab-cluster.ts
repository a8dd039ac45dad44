/**
 * Starts the cluster an experiment runs on: a dynamic router, then nodes `n1` … `nN`, each
 * wired through the lab network so every link has a proxy. Nodes take the spec's services
 * in turn (n1 the first, n2 the second, …), spares included. Waits until every node has
 * registered and the shards have settled, so the workload starts on a quiet cluster.
 *
 * Spare nodes (`cluster.spareNodes`) get their ports, proxies and peer routes from the start,
 * so every node can reach them the moment they join, but are started only by `startSpare`
 * (a `join` fault). It never starts a spare by itself.
 */
import { join } from 'node:path';
import type { ExperimentSpec } from '@isx/core';
import { freePorts } from '../free-port.js';
import { LocalCluster } from '../local-cluster.js';
import type { ManagedProcess } from '../managed-process.js';
import { waitForQuiet } from './cluster-probe.js';
import { LabNetwork } from './lab-network.js';

export interface LabCluster {
  readonly cluster: LocalCluster;
  readonly network: LabNetwork;
  /** Nodes by lab name: those started at the beginning, and each spare once it has joined. */
  readonly nodes: ReadonlyMap<string, ManagedProcess>;
  /** Router-assigned id → lab name. */
  readonly namesById: Map<string, string>;
  /** Each node's data directory, by lab name (spares included). */
  readonly dataDirs: ReadonlyMap<string, string>;
  /** The service each node runs, by lab name (spares included). */
  readonly servicesByName: ReadonlyMap<string, string>;
  /** The spare nodes not started yet, in the order joins take them. */
  readonly spares: readonly string[];
  /** Starts the next spare and waits until it has registered; its name, or undefined when none is left. */
  startSpare(): Promise<string | undefined>;
  stop(): Promise<void>;
}

/** The service node `n{index+1}` runs: nodes take the services in turn. */
export function serviceOfNode(spec: ExperimentSpec, index: number): string {
  const { services } = spec.cluster;
  return services[index % services.length]!;
}

export async function startLabCluster(
  spec: ExperimentSpec,
  dataDir: string,
  logLevel: string,
): Promise<LabCluster> {
  const { nodes: started, spareNodes } = spec.cluster;
  const [routerPort = 0, ...nodePorts] = await freePorts(started + spareNodes + 1);
  const cluster = await LocalCluster.start({
    dataDir,
    mode: 'dynamic',
    nodes: 0,
    shardsPerType: spec.cluster.shardsPerType,
    routerPort,
    nodeTimeoutMs: spec.cluster.nodeTimeoutMs,
    replicationFactor: spec.cluster.replicationFactor,
    autoSplit: spec.cluster.autoSplit ?? { maxShardEntities: 0, loadShare: 0 },
    logLevel,
  });
  let network: LabNetwork | undefined;
  try {
    network = await LabNetwork.start({ routerPort, nodePorts, seed: spec.seed });
    const wired = network;
    const names = nodePorts.map((_, index) => `n${index + 1}`);
    const nodes = new Map<string, ManagedProcess>();
    const namesById = new Map<string, string>();
    const startNode = async (index: number): Promise<string> => {
      const name = names[index]!;
      const id = await cluster.addNode({
        name,
        port: nodePorts[index]!,
        service: serviceOfNode(spec, index),
        ...wired.wiringOf(index),
      });
      nodes.set(name, cluster.node(id));
      namesById.set(id, name);
      return name;
    };
    for (let index = 0; index < started; index += 1) await startNode(index);
    if (!(await waitForQuiet(cluster.routerUrl, started, 300, 30_000, spec.cluster.replicationFactor))) {
      throw new Error(`the cluster did not settle; see the logs in ${join(dataDir, 'logs')}`);
    }
    const spares = names.slice(started);
    return {
      cluster,
      network: wired,
      nodes,
      namesById,
      dataDirs: new Map(names.map((name) => [name, join(dataDir, name)])),
      servicesByName: new Map(names.map((name, index) => [name, serviceOfNode(spec, index)])),
      spares,
      async startSpare() {
        const name = spares.shift();
        return name === undefined ? undefined : startNode(names.indexOf(name));
      },
      async stop() {
        await cluster.stop();
        await wired.close();
      },
    };
  } catch (error) {
    await cluster.stop();
    await network?.close();
    throw error;
  }
}

/**
 * Starts the cluster an experiment runs on: a dynamic router, then nodes `n1` … `nN`, each
 * wired through the lab network so every link has a proxy. Waits until every node has
 * registered and the shards have settled, so the workload starts on a quiet cluster.
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
  /** Nodes by lab name. */
  readonly nodes: ReadonlyMap<string, ManagedProcess>;
  /** Router-assigned id → lab name. */
  readonly namesById: Map<string, string>;
  /** Each node's data directory, by lab name. */
  readonly dataDirs: ReadonlyMap<string, string>;
  stop(): Promise<void>;
}

/** Refuses, before anything starts, a spec this build cannot run. */
export function checkRunnable(spec: ExperimentSpec): void {
  if (spec.cluster.services.length !== 1) {
    throw new Error('the lab runs one service per cluster for now; list exactly one in cluster.services');
  }
}

export async function startLabCluster(
  spec: ExperimentSpec,
  dataDir: string,
  logLevel: string,
): Promise<LabCluster> {
  const [routerPort = 0, ...nodePorts] = await freePorts(spec.cluster.nodes + 1);
  const cluster = await LocalCluster.start({
    dataDir,
    mode: 'dynamic',
    nodes: 0,
    service: spec.cluster.services[0]!,
    shardsPerType: spec.cluster.shardsPerType,
    routerPort,
    nodeTimeoutMs: spec.cluster.nodeTimeoutMs,
    replicationFactor: spec.cluster.replicationFactor,
    logLevel,
  });
  let network: LabNetwork | undefined;
  try {
    network = await LabNetwork.start({ routerPort, nodePorts, seed: spec.seed });
    const nodes = new Map<string, ManagedProcess>();
    const namesById = new Map<string, string>();
    for (const [index, port] of nodePorts.entries()) {
      const name = `n${index + 1}`;
      const id = await cluster.addNode({ name, port, ...network.wiringOf(index) });
      nodes.set(name, cluster.node(id));
      namesById.set(id, name);
    }
    if (
      !(await waitForQuiet(cluster.routerUrl, nodePorts.length, 300, 30_000, spec.cluster.replicationFactor))
    ) {
      throw new Error(`the cluster did not settle; see the logs in ${join(dataDir, 'logs')}`);
    }
    const started = network;
    return {
      cluster,
      network: started,
      nodes,
      namesById,
      dataDirs: new Map([...nodes.keys()].map((name) => [name, join(dataDir, name)])),
      async stop() {
        await cluster.stop();
        await started.close();
      },
    };
  } catch (error) {
    await cluster.stop();
    await network?.close();
    throw error;
  }
}

/**
 * A real local cluster of this service for the end-to-end test: a router and nodes that run
 * the example's own node script (`dist/main.js`, so build first), with their data in a fresh
 * temporary directory that is removed afterwards (kept when `ISX_KEEP_TEST_DATA` is set).
 */
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { LocalCluster } from '@isx/lab';

/** The node entry of this service, as a deployment would run it. */
export const NODE_ENTRY = fileURLToPath(new URL('../../dist/main.js', import.meta.url));

export interface ServiceCluster {
  cluster: LocalCluster;
  dispose(): Promise<void>;
}

export async function startServiceCluster(options: {
  nodes: number;
  replicationFactor: number;
  shardsPerType: number;
}): Promise<ServiceCluster> {
  if (!existsSync(NODE_ENTRY)) throw new Error(`${NODE_ENTRY} is missing: build first (npx tsc -b)`);
  const dataDir = await mkdtemp(join(tmpdir(), 'isx-advertiser-budget-'));
  const cluster = await LocalCluster.start({
    dataDir,
    mode: 'dynamic',
    nodes: 0,
    logLevel: 'warn',
    replicationFactor: options.replicationFactor,
    shardsPerType: options.shardsPerType,
  });
  const dispose = async (): Promise<void> => {
    await cluster.stop();
    if (!process.env.ISX_KEEP_TEST_DATA) await rm(dataDir, { recursive: true, force: true });
  };
  try {
    for (let i = 0; i < options.nodes; i += 1) await cluster.addNode({ entry: NODE_ENTRY });
  } catch (error) {
    await dispose();
    throw error;
  }
  return { cluster, dispose };
}

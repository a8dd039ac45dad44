/**
 * Starting and stopping a real local cluster from a test, with its data in a fresh
 * temporary directory that is removed afterwards.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalCluster, type LocalClusterOptions } from '@isx/lab';

export interface TestCluster {
  cluster: LocalCluster;
  dataDir: string;
  dispose(): Promise<void>;
}

export async function startTestCluster(options: Omit<LocalClusterOptions, 'dataDir'>): Promise<TestCluster> {
  const dataDir = await mkdtemp(join(tmpdir(), 'isx-test-'));
  const cluster = await LocalCluster.start({ logLevel: 'warn', ...options, dataDir });
  return {
    cluster,
    dataDir,
    async dispose() {
      await cluster.stop();
      if (!process.env.ISX_KEEP_TEST_DATA) await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/**
 * The frame every phase demo runs in: a fresh data directory, the demo's steps, and, whatever
 * happens, every process stopped and the directory removed. A demo that throws part-way is a
 * failed check with its reason, never a stack trace, and the exit status says whether every
 * check held.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LocalCluster } from './local-cluster.js';
import type { Narrator } from './narrator.js';

/** What a demo's body is given. */
export interface DemoContext {
  /** A fresh directory for the cluster's stores and logs, removed at the end. */
  readonly dataDir: string;
  /** Registers a cluster to be stopped at the end; returns it. */
  readonly track: (cluster: LocalCluster) => LocalCluster;
}

/**
 * Runs a demo body and returns the exit status: 0 when every check held.
 *
 * @example
 * const narrator = new Narrator({ title: 'Phase 9' });
 * process.exitCode = await runDemo(narrator, 'phase-9', async ({ dataDir, track }) => {
 *   const cluster = track(await LocalCluster.start({ dataDir }));
 *   narrator.check(true, 'it started');
 *   return ['What the demo showed.'];
 * });
 */
export async function runDemo(
  narrator: Narrator,
  slug: string,
  body: (context: DemoContext) => Promise<readonly string[]>,
): Promise<number> {
  const dataDir = await mkdtemp(join(tmpdir(), `isx-${slug}-`));
  const clusters: LocalCluster[] = [];
  try {
    const summary = await body({
      dataDir,
      track: (cluster) => {
        clusters.push(cluster);
        return cluster;
      },
    });
    return narrator.finish(summary);
  } catch (error) {
    narrator.check(
      false,
      `the demo ran to the end (${error instanceof Error ? error.message : String(error)})`,
    );
    return narrator.finish();
  } finally {
    await Promise.all(clusters.map((cluster) => cluster.stop()));
    await rm(dataDir, { recursive: true, force: true });
  }
}

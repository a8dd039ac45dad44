/**
 * Request ids across real processes: a write sent through the router with `x-request-id` is
 * answered with that id, and the router, the shard's primary and both of its backups each log
 * a line carrying it (the nodes' with their node id, the shard and its epoch). An id that is
 * not a sane one is replaced, never refused.
 */
import { expect } from 'chai';
import { readFile } from 'node:fs/promises';
import { requestIdSchema, until } from '@isx/core';
import { fetchClusterView, type LocalCluster } from '@isx/lab';
import { startTestCluster, type TestCluster } from './support/cluster.js';

const ID = 'test-abc-123';

/** The JSON lines of a process's log file whose `requestId` is `id` or names it among others. */
async function linesAbout(logFile: string, id: string): Promise<Array<Record<string, unknown>>> {
  const text = await readFile(logFile, 'utf8').catch(() => '');
  return text
    .split('\n')
    .filter((line) => line.includes(id))
    .map((line) => JSON.parse(line) as Record<string, unknown>)
    .filter((line) => typeof line.requestId === 'string' && line.requestId.split(',').includes(id));
}

function put(cluster: LocalCluster, key: string, requestId: string): Promise<Response> {
  return fetch(`${cluster.routerUrl}/campaign/${key}`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json', 'x-request-id': requestId },
    body: JSON.stringify({ name: key, status: 'draft', budgetCents: 100 }),
  });
}

/** The shards once the cluster has settled: every one with two backups, and no move under way. */
async function settledShards(
  cluster: LocalCluster,
): Promise<Array<{ id: string; node: string; backups?: string[] | undefined }>> {
  return until('every shard has two backups and nothing moves', 15_000, async () => {
    const view = await fetchClusterView(cluster.routerUrl);
    const shards = Object.values(view.types).flatMap((type) => type.shards);
    const settled = (view.moves ?? []).length === 0 && shards.every((s) => (s.backups ?? []).length === 2);
    return settled ? shards : undefined;
  });
}

describe('request ids from router to node to backup', function () {
  this.timeout(40_000);
  let test: TestCluster;
  before(async function () {
    test = await startTestCluster({ mode: 'dynamic', nodes: 3, replicationFactor: 3, logLevel: 'debug' });
  });
  after(async function () {
    await test?.dispose();
  });

  it('echoes the caller id and logs it on the router, the primary and both backups', async function () {
    const { cluster } = test;
    // Settle first, so that the write goes to a primary with both backups in sync.
    await settledShards(cluster);
    const response = await put(cluster, 'request-id-apple', ID);
    expect(response.status, await response.clone().text()).to.equal(200);
    expect(response.headers.get('x-request-id')).to.equal(ID);
    const shardId = response.headers.get('x-isx-shard')!;
    const shard = (await settledShards(cluster)).find((s) => s.id === shardId)!;
    const [primary, backups] = [shard.node, shard.backups ?? []];
    expect(response.headers.get('x-isx-node')).to.equal(primary);
    expect(backups).to.have.length(2);

    await until('the router logged the request', 10_000, async () =>
      (await linesAbout(cluster.router.spec.logFile, ID)).length > 0 ? true : undefined,
    );
    for (const node of [primary, ...backups]) {
      const lines = await until(`${node} logged the request`, 10_000, async () => {
        const found = await linesAbout(cluster.node(node).spec.logFile, ID);
        return found.length > 0 ? found : undefined;
      });
      const line = lines.find((l) => l.shard === shardId);
      expect(line, `${node}: ${JSON.stringify(lines)}`).to.not.equal(undefined);
      expect(line!.node).to.equal(node);
      expect(line!.epoch).to.be.a('number');
    }
  });

  it('replaces an id that is too long or has spaces with a fresh one, and still serves the request', async function () {
    const { cluster } = test;
    for (const [key, bad] of [
      ['request-id-long', 'x'.repeat(300)],
      ['request-id-spaces', 'has some spaces'],
    ] as const) {
      const response = await put(cluster, key, bad);
      expect(response.status, await response.clone().text()).to.equal(200);
      const id = response.headers.get('x-request-id');
      expect(id).to.not.equal(bad);
      expect(requestIdSchema.safeParse(id).success, String(id)).to.equal(true);
      // The replacement is what went to the node: the primary logged it.
      const primary = response.headers.get('x-isx-node')!;
      await until(`${primary} logged the replacement id`, 10_000, async () =>
        (await linesAbout(cluster.node(primary).spec.logFile, id!)).length > 0 ? true : undefined,
      );
    }
  });
});

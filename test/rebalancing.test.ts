/**
 * Rebalancing under replication (issue 6) on real processes: short versions of the
 * catalogue's join-under-load and drain-under-load run through the failure lab and judged by
 * its checkers, and a node sent SIGTERM that drains itself and exits on its own while
 * writes go on.
 */
import { expect } from 'chai';
import { rm } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ClusterView, ExperimentSpecInput } from '@isx/core';
import { fetchClusterView, leastCopies, type ExperimentReport } from '@isx/lab';
import { checkerResult, runShortExperiment } from './support/experiments.js';
import { startTestCluster, type TestCluster } from './support/cluster.js';

function run(
  spec: Omit<ExperimentSpecInput, 'description' | 'seed'>,
): Promise<{ report: ExperimentReport; dir: string }> {
  return runShortExperiment('rebalancing', 17, spec);
}

const checker = checkerResult;

/** Every checker passed, nothing acknowledged was lost, and each shard ended with three copies on `nodes` live nodes. */
function expectValid(report: ExperimentReport, nodes: number): void {
  for (const result of report.checkers)
    expect(result.valid, `${result.checker}: ${result.summary}`).to.equal(true);
  expect(report.verdict).to.equal('valid');
  const durability = checker(report, 'durability');
  expect(durability.figures.lostWrites).to.equal(0);
  expect(durability.figures.acknowledgedWrites).to.be.greaterThan(20);
  expect(checker(report, 'copies').figures).to.include({
    copiesAtEnd: 3,
    liveNodesAtEnd: nodes,
    expectedNodesAtEnd: nodes,
    nodesHoldingCopiesAtEnd: nodes,
    unfinishedSteps: 0,
  });
}

/** The nodes holding a copy of each shard: its primary and backups. */
function copiesByShard(view: ClusterView): string[][] {
  return Object.values(view.types).flatMap((layout) =>
    layout.shards.map((shard) => [shard.node, ...(shard.backups ?? [])]),
  );
}

describe('rebalancing under replication (issue 6)', function () {
  this.timeout(120_000);
  const dirs: string[] = [];
  after(async function () {
    await Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true })));
  });

  it('spreads replicas and primaries to two nodes that join under load, losing nothing', async function () {
    const { report, dir } = await run({
      name: 'join-under-load-short',
      cluster: { nodes: 3, spareNodes: 2, replicationFactor: 3 },
      workload: { clients: 4, keys: 6, durationMs: 9_000 },
      faults: [{ at: 2_000, fault: { kind: 'join', count: 2 } }],
    });
    dirs.push(dir);
    expectValid(report, 5);
    const joins = report.faults.filter((f) => f.fault === 'join');
    expect(joins.map((f) => f.target)).to.deep.equal(['n4', 'n5']);
    for (const window of joins) expect(window.detail).to.match(/holds [1-9]\d* copies .* balanced/);
  });

  it('empties a drained node under load and lets it leave, losing nothing', async function () {
    const { report, dir } = await run({
      name: 'drain-under-load-short',
      cluster: { nodes: 4, replicationFactor: 3 },
      workload: { clients: 4, keys: 6, durationMs: 8_000 },
      faults: [{ at: 2_000, fault: { kind: 'drain', target: 'n2' } }],
    });
    dirs.push(dir);
    expectValid(report, 3);
    const drain = report.faults.find((f) => f.fault === 'drain');
    expect(drain?.target).to.equal('n2');
    expect(drain?.detail).to.match(/stopped with SIGINT \(.*\): it has left/);
  });
});

describe('a node sent SIGTERM (issue 6)', function () {
  this.timeout(90_000);
  let test: TestCluster;

  before(async function () {
    test = await startTestCluster({ mode: 'dynamic', nodes: 4, replicationFactor: 3 });
    for (let i = 0; i < 150 && leastCopies(await fetchClusterView(test.cluster.routerUrl)) < 3; i += 1)
      await sleep(100);
  });

  after(async function () {
    await test?.dispose();
  });

  it('drains itself, exits on its own holding no copy, and leaves three copies on the other nodes while every write succeeds', async function () {
    const { cluster } = test;
    const [leaving, child] = [...cluster.nodes.entries()][1]!;
    const failures: string[] = [];
    let writes = 0;
    let stop = false;
    const writers = [0, 1].map(async (w) => {
      for (let i = 0; !stop; i += 1) {
        const key = `sigterm-${w}-${i % 10}`;
        const body = { name: `value ${i}`, status: 'draft', budgetCents: i };
        try {
          const response = await fetch(`${cluster.routerUrl}/campaign/${key}`, {
            method: 'PUT',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify(body),
          });
          if (response.status === 200) writes += 1;
          else failures.push(`${key}: ${response.status} ${await response.text()}`);
        } catch (error) {
          failures.push(`${key}: ${(error as Error).message}`);
        }
        await sleep(20);
      }
    });
    try {
      await sleep(500);
      expect(
        (await fetchClusterView(cluster.routerUrl)).nodes.find((n) => n.id === leaving)?.replicas,
      ).to.be.greaterThan(0);
      child.signal('SIGTERM');
      const deadline = performance.now() + 30_000;
      while (child.running && performance.now() < deadline) await sleep(10);
      expect(child.running, 'the node exited by itself within 30 s').to.equal(false);
      // Read at once: a node that left holding copies would still be listed with them, since
      // the router takes a second of silence to declare it dead and longer to repair.
      const exitedAt = performance.now();
      const atExit = await fetchClusterView(cluster.routerUrl);
      expect(performance.now() - exitedAt).to.be.below(500);
      expect(atExit.nodes.find((n) => n.id === leaving)?.replicas).to.equal(0);
      expect(child.exitStatus).to.equal('code 0');
      let view = await fetchClusterView(cluster.routerUrl);
      for (let i = 0; i < 100 && !copiesByShard(view).every((nodes) => nodes.length === 3); i += 1) {
        await sleep(100);
        view = await fetchClusterView(cluster.routerUrl);
      }
      const remaining = [...cluster.nodes.keys()].filter((id) => id !== leaving);
      for (const nodes of copiesByShard(view)) {
        expect(new Set(nodes).size, nodes.join(',')).to.equal(3);
        expect(remaining, nodes.join(',')).to.include.members(nodes);
      }
      await sleep(500);
    } finally {
      stop = true;
      await Promise.all(writers);
    }
    expect(failures).to.deep.equal([]);
    expect(writes).to.be.greaterThan(20);
  });
});

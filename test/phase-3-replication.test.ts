/**
 * Phase 3 under the failure lab: three copies of every shard, judged by the lab's checkers
 * on real processes. Short versions of the catalogue's kill-primary, pause-primary and
 * node-lost experiments, each with the history checked for lost writes and linearizability.
 */
import { expect } from 'chai';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { ShardMap, type ExperimentSpecInput } from '@isx/core';
import { fetchClusterView, leastCopies, LocalCluster, type ExperimentReport } from '@isx/lab';
import { checkerResult, runShortExperiment } from './support/experiments.js';

function run(
  spec: Omit<ExperimentSpecInput, 'description' | 'seed'>,
): Promise<{ report: ExperimentReport; dir: string }> {
  return runShortExperiment('phase-3', 7, spec);
}

const checker = checkerResult;

function expectValid(report: ExperimentReport): void {
  for (const result of report.checkers)
    expect(result.valid, `${result.checker}: ${result.summary}`).to.equal(true);
  expect(checker(report, 'durability').figures.lostWrites).to.equal(0);
  expect(checker(report, 'durability').figures.acknowledgedWrites).to.be.greaterThan(20);
}

describe('three copies of every shard (phase 3)', function () {
  this.timeout(120_000);
  const dirs: string[] = [];
  after(async function () {
    await Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true })));
  });

  it('fails a killed primary over to a backup and loses no acknowledged write', async function () {
    const { report, dir } = await run({
      name: 'kill-primary-short',
      cluster: { nodes: 4, replicationFactor: 3 },
      workload: { clients: 4, keys: 6, durationMs: 7_000 },
      faults: [{ at: 2_000, fault: { kind: 'kill', target: { primaryOf: 'k0' }, durationMs: 2_000 } }],
    });
    dirs.push(dir);
    expectValid(report);
    const routerLog = await readFile(join(dir, 'cluster', 'logs', 'router.log'), 'utf8');
    expect(routerLog).to.contain('promoted a backup');
    // The router held requests through the failover instead of failing them.
    expect(report.figures.operations.fail).to.equal(0);
  });

  it('deposes a paused primary: a backup takes over and the old primary cannot commit after it wakes', async function () {
    const { report, dir } = await run({
      name: 'pause-primary-short',
      cluster: { nodes: 4, replicationFactor: 3 },
      workload: { clients: 4, keys: 6, durationMs: 7_000 },
      faults: [{ at: 2_000, fault: { kind: 'pause', target: { primaryOf: 'k1' }, durationMs: 2_100 } }],
    });
    dirs.push(dir);
    expectValid(report);
    const routerLog = await readFile(join(dir, 'cluster', 'logs', 'router.log'), 'utf8');
    expect(routerLog).to.contain('promoted a backup');
  });

  it('goes on when the primary is cut from a backup, and fails over when it is cut from the router', async function () {
    const { report, dir } = await run({
      name: 'partition-primary-short',
      cluster: { nodes: 4, replicationFactor: 3 },
      workload: { clients: 4, keys: 6, durationMs: 9_000 },
      faults: [
        { at: 1_500, fault: { kind: 'partition', link: { from: 'n1', to: 'n2' }, durationMs: 2_000 } },
        { at: 5_000, fault: { kind: 'partition', link: { from: 'router', to: 'n1' }, durationMs: 2_000 } },
        { at: 5_000, fault: { kind: 'partition', link: { from: 'n1', to: 'router' }, durationMs: 2_000 } },
      ],
    });
    dirs.push(dir);
    expectValid(report);
    const routerLog = await readFile(join(dir, 'cluster', 'logs', 'router.log'), 'utf8');
    expect(routerLog).to.contain('dropped a backup that did not take an entry');
    expect(routerLog).to.contain('promoted a backup');
  });

  it('restores three copies after a node is lost with its disk, and reports how long it took', async function () {
    const { report, dir } = await run({
      name: 'node-lost-short',
      cluster: { nodes: 4, replicationFactor: 3 },
      workload: { clients: 4, keys: 6, durationMs: 7_000 },
      faults: [{ at: 2_000, fault: { kind: 'kill', target: 'n2', wipe: true, durationMs: 1_500 } }],
    });
    dirs.push(dir);
    expectValid(report);
    const copies = checker(report, 'copies');
    expect(copies.figures.underReplicatedWindows).to.be.greaterThan(0);
    expect(copies.figures.longestRestoreMs).to.be.greaterThan(0);
    expect(report.faults.some((f) => f.fault === 'under-replicated')).to.equal(true);
  });
});

describe('reads from replicas (phase 3)', function () {
  this.timeout(60_000);
  let dir: string;
  let cluster: LocalCluster;

  before(async function () {
    dir = await mkdtemp(join(tmpdir(), 'isx-phase-3-reads-'));
    cluster = await LocalCluster.start({
      dataDir: dir,
      mode: 'dynamic',
      nodes: 3,
      replicationFactor: 3,
      logLevel: 'info', // the router logs how each replica was added at info
    });
    for (let i = 0; i < 100; i += 1) {
      const view = await fetchClusterView(cluster.routerUrl);
      if (leastCopies(view) === 3) return;
      await sleep(100);
    }
    throw new Error('the shards did not get three copies');
  });

  after(async function () {
    await cluster.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('lets ?consistency=eventual be answered by a backup, and says so in headers', async function () {
    const body = { name: 'Replicated', status: 'draft', budgetCents: 1 };
    const put = await fetch(`${cluster.routerUrl}/campaign/echo`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    expect(put.status).to.equal(200);
    const roles = new Set<string>();
    for (let i = 0; i < 30; i += 1) {
      const read = await fetch(`${cluster.routerUrl}/campaign/echo?consistency=eventual`);
      expect(read.status).to.equal(200);
      expect(read.headers.get('x-isx-consistency')).to.equal('eventual');
      roles.add(read.headers.get('x-isx-replica') ?? '');
      expect(((await read.json()) as { data: { name: string } }).data.name).to.equal('Replicated');
    }
    expect(roles.has('backup')).to.equal(true);
  });

  it('answers a strong read only from the primary: a backup asked directly answers 421', async function () {
    const view = await fetchClusterView(cluster.routerUrl);
    const shard = new ShardMap(view.map!.config, view.map!.version).locate('campaign', 'echo').shard;
    const backupUrl = view.nodes.find((n) => n.id === shard.backups![0])!.url;
    expect((await fetch(`${backupUrl}/campaign/echo`)).status).to.equal(421);
    expect((await fetch(`${backupUrl}/campaign/echo?consistency=eventual`)).status).to.equal(200);
  });

  it('lets a backup that was away briefly catch up from the log when it comes back', async function () {
    const view = await fetchClusterView(cluster.routerUrl);
    const shard = new ShardMap(view.map!.config, view.map!.version).locate('campaign', 'echo').shard;
    const backup = shard.backups![0]!;
    await cluster.node(backup).kill();
    // Dead after a second; its shards drop it under new epochs, and writes go on with two copies.
    for (let i = 0; i < 60; i += 1) {
      const now = await fetchClusterView(cluster.routerUrl);
      if (Object.values(now.types).every((t) => t.shards.every((s) => !(s.backups ?? []).includes(backup))))
        break;
      await sleep(100);
    }
    const body = { name: 'Written while a backup was away', status: 'draft', budgetCents: 2 };
    const put = await fetch(`${cluster.routerUrl}/campaign/echo`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    expect(put.status).to.equal(200);
    await cluster.node(backup).start();
    for (let i = 0; i < 100; i += 1) {
      const now = await fetchClusterView(cluster.routerUrl);
      if (leastCopies(now) === 3) break;
      await sleep(100);
    }
    const routerLog = await readFile(join(dir, 'logs', 'router.log'), 'utf8');
    expect(routerLog).to.contain('added a replica that caught up from the log');
    const backupUrl = (await fetchClusterView(cluster.routerUrl)).nodes.find((n) => n.id === backup)!.url;
    const read = await fetch(`${backupUrl}/campaign/echo?consistency=eventual`);
    expect(((await read.json()) as { data: { name: string } }).data.name).to.equal(body.name);
  });

  it('refuses an unknown consistency with 400 and a clear reason', async function () {
    const read = await fetch(`${cluster.routerUrl}/campaign/echo?consistency=sometimes`);
    expect(read.status).to.equal(400);
    expect(((await read.json()) as { error: { message: string } }).error.message).to.match(
      /strong or eventual/,
    );
  });
});

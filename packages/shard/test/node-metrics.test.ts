/**
 * `GET /metrics` on a node (issue 8): real nodes on loopback ports, scraped over HTTP. Two
 * nodes of a fixed map run side by side in this process, each with its own registry; a third
 * runs under a fake router that also stands in for its backup, for heartbeats and replication.
 * The figures read at scrape time from other parts are also checked against injected figures.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { expect } from 'chai';
import { parseClusterConfig, ShardMap, until } from '@isx/core';
import { pino } from 'pino';
import { NodeMetrics, type DeliveryFigures } from '../src/metrics/node-metrics.js';
import { startNode, type RunningNode } from '../src/node.js';
import { note, twoNodeMap } from './entity-host-fixture.js';
import { FakeRouter } from './support/fake-router.js';
import { familyTypes, matching, parseSamples, total, type Sample } from './support/prometheus-samples.js';

const silent = pino({ level: 'silent' });

async function scrape(url: string): Promise<{ samples: Sample[]; types: Map<string, string> }> {
  const response = await fetch(`${url}/metrics`);
  expect(response.status).to.equal(200);
  const text = await response.text();
  return { samples: parseSamples(text), types: familyTypes(text) };
}

async function send(url: string, method: string, path: string, body?: unknown): Promise<number> {
  const response = await fetch(`${url}${path}`, {
    method,
    ...(body === undefined
      ? {}
      : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
  });
  await response.arrayBuffer();
  return response.status;
}

describe('GET /metrics on a node (issue 8)', function () {
  describe('two nodes of a fixed map in one process', function () {
    let directory: string;
    let nodeA: RunningNode;
    let nodeB: RunningNode;

    before(async function () {
      directory = await mkdtemp(join(tmpdir(), 'isx-node-metrics-'));
      const start = (nodeId: string) =>
        startNode({
          dataDir: join(directory, nodeId),
          entities: [note],
          map: twoNodeMap(),
          nodeId,
          sync: false,
          logger: silent,
        });
      [nodeA, nodeB] = await Promise.all([start('node-a'), start('node-b')]);
    });

    after(async function () {
      await Promise.all([nodeA?.close(), nodeB?.close()]);
      await rm(directory, { recursive: true, force: true });
    });

    it('serves the Prometheus text format with no token, process metrics included', async function () {
      const response = await fetch(`${nodeA.url}/metrics`);
      expect(response.status).to.equal(200);
      expect(response.headers.get('content-type')).to.equal('text/plain; version=0.0.4; charset=utf-8');
      const types = familyTypes(await response.text());
      expect(types.get('process_cpu_seconds_total')).to.equal('counter');
      expect(types.get('isx_http_requests_total')).to.equal('counter');
      expect(types.get('isx_http_request_duration_seconds')).to.equal('histogram');
      expect(types.get('isx_group_commit_batch_ops')).to.equal('histogram');
      expect(types.get('isx_replication_batch_entries')).to.equal('histogram');
      expect(types.get('isx_replication_in_sync_replicas')).to.equal('gauge');
      expect(types.get('isx_replication_backup_lag_entries')).to.equal('gauge');
      expect(types.get('isx_delivery_attempts_total')).to.equal('counter');
      expect(types.get('isx_dead_letters_parked_total')).to.equal('counter');
      expect(types.get('isx_delivery_senders_pending')).to.equal('gauge');
      expect(types.get('isx_outbox_pending_messages')).to.equal('gauge');
      expect(types.get('isx_heartbeats_sent_total'), 'no router, no heartbeats').to.equal(undefined);
      expect(types.get('isx_router_last_heartbeat_age_seconds')).to.equal(undefined);
    });

    it('names the node and its service', async function () {
      const { samples } = await scrape(nodeA.url);
      expect(matching(samples, 'isx_node_info')).to.deep.equal([
        { name: 'isx_node_info', labels: { node: 'node-a', service: 'note' }, value: 1 },
      ]);
    });

    it('counts and times each request under its route template, method and status', async function () {
      const before = (await scrape(nodeA.url)).samples;
      expect(await send(nodeA.url, 'PUT', '/note/apple', { text: 'hello' })).to.equal(200);
      expect(await send(nodeA.url, 'GET', '/note/apple')).to.equal(200);
      expect(await send(nodeA.url, 'GET', '/note/absent')).to.equal(404);
      expect(await send(nodeA.url, 'PUT', '/note/apple', { text: '' })).to.equal(400);
      expect(await send(nodeA.url, 'GET', '/note/apple/activities')).to.equal(200);
      const after = (await scrape(nodeA.url)).samples;
      const moved = (name: string, labels: Record<string, string>): number =>
        total(after, name, labels) - total(before, name, labels);
      for (const [route, method, status] of [
        ['/:type/:key', 'PUT', '200'],
        ['/:type/:key', 'GET', '200'],
        ['/:type/:key', 'GET', '404'],
        ['/:type/:key', 'PUT', '400'],
        ['/:type/:key/activities', 'GET', '200'],
      ] as const) {
        const labels = { route, method, status };
        const what = `${method} ${route} ${status}`;
        expect(moved('isx_http_requests_total', labels), what).to.equal(1);
        expect(moved('isx_http_request_duration_seconds_count', labels), what).to.equal(1);
        expect(moved('isx_http_request_duration_seconds_bucket', { ...labels, le: '+Inf' }), what).to.equal(
          1,
        );
        expect(moved('isx_http_request_duration_seconds_sum', labels), what).to.be.greaterThan(0);
      }
      const routes = new Set(matching(after, 'isx_http_requests_total').map((s) => s.labels.route));
      expect(
        [...routes].filter((route) => /apple|absent/.test(route!)),
        'no key in a label',
      ).to.deep.equal([]);
    });

    it('labels internal routes by their own path, and any unknown path as other', async function () {
      const before = (await scrape(nodeA.url)).samples;
      expect(await send(nodeA.url, 'POST', '/internal/messages', {}), 'no token').to.equal(401);
      expect(await send(nodeA.url, 'GET', '/internal/no-such-route')).to.equal(401);
      expect(await send(nodeA.url, 'GET', '/note/apple/history')).to.equal(404);
      const after = (await scrape(nodeA.url)).samples;
      const moved = (labels: Record<string, string>): number =>
        total(after, 'isx_http_requests_total', labels) - total(before, 'isx_http_requests_total', labels);
      expect(moved({ route: '/internal/messages', method: 'POST', status: '401' })).to.equal(1);
      expect(moved({ route: 'other', method: 'GET', status: '401' })).to.equal(1);
      expect(moved({ route: 'other', method: 'GET', status: '404' })).to.equal(1);
      expect(moved({ route: '/metrics', method: 'GET', status: '200' }), 'the scrape before').to.equal(1);
      const routes = matching(after, 'isx_http_requests_total').map((s) => s.labels.route);
      expect(routes).not.to.include('/internal/no-such-route');
    });

    it('keeps each node’s figures apart: a registry per node, not the global one', async function () {
      expect(await send(nodeA.url, 'PUT', '/note/banana', { text: 'a' })).to.equal(200);
      const a = (await scrape(nodeA.url)).samples;
      const b = (await scrape(nodeB.url)).samples;
      expect(total(a, 'isx_http_requests_total', { route: '/:type/:key', method: 'PUT' })).to.be.at.least(1);
      expect(total(b, 'isx_http_requests_total', { route: '/:type/:key' }), 'node-b served none').to.equal(0);
      expect(matching(b, 'isx_node_info')[0]?.labels.node).to.equal('node-b');
    });

    it('observes every group-commit batch with the store operations it wrote', async function () {
      const before = (await scrape(nodeA.url)).samples;
      const puts = Array.from({ length: 10 }, (_, i) =>
        send(nodeA.url, 'PUT', `/note/cherry-${i}`, { text: `c${i}` }),
      );
      expect(await Promise.all(puts)).to.deep.equal(Array(10).fill(200));
      const after = (await scrape(nodeA.url)).samples;
      const moved = (name: string): number => total(after, name) - total(before, name);
      const batches = moved('isx_group_commit_batch_ops_count');
      expect(batches, 'ten writes went in at least one batch').to.be.within(1, 10);
      expect(moved('isx_group_commit_batch_ops_sum'), 'each write put at least its entity').to.be.at.least(
        10,
      );
    });

    it('gives the in-sync set of each shard the node leads, and of no other', async function () {
      const a = (await scrape(nodeA.url)).samples;
      expect(matching(a, 'isx_replication_in_sync_replicas')).to.deep.equal([
        { name: 'isx_replication_in_sync_replicas', labels: { shard: 'note-a-m' }, value: 1 },
      ]);
      const b = (await scrape(nodeB.url)).samples;
      expect(matching(b, 'isx_replication_in_sync_replicas').map((s) => s.labels.shard)).to.deep.equal([
        'note-n-z',
      ]);
    });

    it('shows each delivery outcome, at zero while no message was sent', async function () {
      const { samples } = await scrape(nodeA.url);
      for (const outcome of ['delivered', 'retried', 'parked']) {
        expect(matching(samples, 'isx_delivery_attempts_total', { outcome }), outcome).to.have.length(1);
      }
      expect(total(samples, 'isx_delivery_attempts_total')).to.equal(0);
      expect(total(samples, 'isx_delivery_senders_pending')).to.equal(0);
      expect(total(samples, 'isx_outbox_pending_messages')).to.equal(0);
    });
  });

  describe('a node under a router, leading a shard with one backup', function () {
    let directory: string;
    let router: FakeRouter;
    let node: RunningNode;

    before(async function () {
      directory = await mkdtemp(join(tmpdir(), 'isx-node-metrics-router-'));
      // The fake serves as the router and as node-b, the backup.
      router = await FakeRouter.start('node-a', (url) => {
        const config = parseClusterConfig({
          nodes: { 'node-a': { url: 'http://127.0.0.1:9' }, 'node-b': { url } },
          types: {
            note: {
              partitioner: 'lexical',
              keySpace: { start: 'a', end: '{' },
              shards: [
                {
                  id: 'note-all',
                  range: { start: 'a', end: '{' },
                  node: 'node-a',
                  backups: ['node-b'],
                  epoch: 1,
                },
              ],
            },
          },
          replication: { factor: 2, minInSync: 1 },
        });
        return new ShardMap(config, 3);
      });
      node = await startNode({
        dataDir: directory,
        entities: [note],
        router: { url: router.url, token: 'cluster-secret', service: 'notes' },
        sync: false,
        logger: silent,
      });
      await until(
        'a heartbeat succeeded',
        5_000,
        async () =>
          total((await scrape(node.url)).samples, 'isx_heartbeats_sent_total', { outcome: 'ok' }) > 0
            ? true
            : undefined,
        10,
      );
    });

    after(async function () {
      await node?.close();
      await router?.close();
      await rm(directory, { recursive: true, force: true });
    });

    it('names the node by the id the router gave it, and the service it registered for', async function () {
      const { samples } = await scrape(node.url);
      expect(matching(samples, 'isx_node_info')[0]?.labels).to.deep.equal({
        node: 'node-a',
        service: 'notes',
      });
    });

    it('shows the in-sync set, each batch sent to the backup, and the backup level with the primary', async function () {
      const before = (await scrape(node.url)).samples;
      expect(await send(node.url, 'PUT', '/note/apple', { text: 'replicated' })).to.equal(200);
      const after = (await scrape(node.url)).samples;
      expect(total(after, 'isx_replication_in_sync_replicas', { shard: 'note-all' })).to.equal(2);
      const batches =
        total(after, 'isx_replication_batch_entries_count') -
        total(before, 'isx_replication_batch_entries_count');
      expect(batches, 'one entry, one batch').to.equal(1);
      expect(
        total(after, 'isx_replication_batch_entries_sum') -
          total(before, 'isx_replication_batch_entries_sum'),
      ).to.equal(1);
      expect(matching(after, 'isx_replication_backup_lag_entries')).to.deep.equal([
        {
          name: 'isx_replication_backup_lag_entries',
          labels: { shard: 'note-all', backup: 'node-b' },
          value: 0,
        },
      ]);
    });

    it('drops a backup that did not take an entry from the in-sync set and from the lag', async function () {
      router.refuseReplication = true;
      expect(await send(node.url, 'PUT', '/note/banana', { text: 'alone' })).to.equal(200);
      const { samples } = await scrape(node.url);
      expect(total(samples, 'isx_replication_in_sync_replicas', { shard: 'note-all' })).to.equal(1);
      expect(
        matching(samples, 'isx_replication_backup_lag_entries'),
        'node-b is no backup now',
      ).to.deep.equal([]);
    });

    it('counts heartbeats by outcome and how long ago one last succeeded', async function () {
      const age = (samples: Sample[]): number => total(samples, 'isx_router_last_heartbeat_age_seconds');
      const healthy = (await scrape(node.url)).samples;
      expect(age(healthy), 'heartbeats every 20 ms').to.be.below(1);
      router.refuseHeartbeats = true;
      try {
        const failing = await until(
          'heartbeats have failed for a while',
          5_000,
          async () => {
            const { samples } = await scrape(node.url);
            return total(samples, 'isx_heartbeats_sent_total', { outcome: 'failed' }) >= 3
              ? samples
              : undefined;
          },
          10,
        );
        await sleep(100);
        const later = (await scrape(node.url)).samples;
        expect(age(later), 'the last success is getting older').to.be.greaterThan(age(failing));
        expect(age(later)).to.be.at.least(0.1);
        expect(total(later, 'isx_heartbeats_sent_total', { outcome: 'ok' })).to.equal(
          total(failing, 'isx_heartbeats_sent_total', { outcome: 'ok' }),
        );
      } finally {
        router.refuseHeartbeats = false;
      }
    });
  });

  describe('figures read at scrape time', function () {
    const scrapeOf = async (metrics: NodeMetrics): Promise<Sample[]> => parseSamples(await metrics.scrape());

    it('reads the delivery loop’s totals and backlog on every scrape', async function () {
      const figures: DeliveryFigures = {
        totals: { delivered: 5, retried: 2, parked: 1 },
        senders: 3,
        queuedMessages: 7,
      };
      const metrics = new NodeMetrics({
        nodeId: () => 'n1',
        service: 'svc',
        map: () => undefined,
        delivery: () => figures,
      });
      let samples = await scrapeOf(metrics);
      expect(total(samples, 'isx_delivery_attempts_total', { outcome: 'delivered' })).to.equal(5);
      expect(total(samples, 'isx_delivery_attempts_total', { outcome: 'retried' })).to.equal(2);
      expect(total(samples, 'isx_delivery_attempts_total', { outcome: 'parked' })).to.equal(1);
      expect(total(samples, 'isx_dead_letters_parked_total')).to.equal(1);
      expect(total(samples, 'isx_delivery_senders_pending')).to.equal(3);
      expect(total(samples, 'isx_outbox_pending_messages')).to.equal(7);
      figures.totals.delivered = 9;
      Object.assign(figures, { senders: 0, queuedMessages: 0 });
      samples = await scrapeOf(metrics);
      expect(total(samples, 'isx_delivery_attempts_total', { outcome: 'delivered' })).to.equal(9);
      expect(total(samples, 'isx_delivery_senders_pending')).to.equal(0);
      expect(total(samples, 'isx_outbox_pending_messages')).to.equal(0);
    });

    it('reports each backup lag it is given, and forgets one no longer given', async function () {
      let lags = [{ shardId: 's1', backup: 'node-b', entries: 1 }];
      const metrics = new NodeMetrics({
        nodeId: () => 'n1',
        service: 'svc',
        map: () => undefined,
        backupLag: () => lags,
      });
      expect(matching(await scrapeOf(metrics), 'isx_replication_backup_lag_entries')).to.deep.equal([
        { name: 'isx_replication_backup_lag_entries', labels: { shard: 's1', backup: 'node-b' }, value: 1 },
      ]);
      lags = [];
      expect(matching(await scrapeOf(metrics), 'isx_replication_backup_lag_entries')).to.deep.equal([]);
    });

    it('measures the heartbeat age on its clock', async function () {
      const clock = { at: 10_000 };
      const metrics = new NodeMetrics({
        nodeId: () => 'n1',
        service: 'svc',
        map: () => undefined,
        heartbeats: () => ({ ok: 4, failed: 1, lastSucceededAt: 7_500 }),
        now: () => clock.at,
      });
      const samples = await scrapeOf(metrics);
      expect(total(samples, 'isx_router_last_heartbeat_age_seconds')).to.equal(2.5);
      expect(total(samples, 'isx_heartbeats_sent_total', { outcome: 'ok' })).to.equal(4);
      expect(total(samples, 'isx_heartbeats_sent_total', { outcome: 'failed' })).to.equal(1);
    });
  });
});

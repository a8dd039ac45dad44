/**
 * The router's `GET /metrics` (issue 8): scraped over real HTTP after real requests, each
 * figure checked with its labels. The forwarding tests stand undici's MockAgent in for node-1
 * (node-2 is a port nothing listens on) or run a real node on loopback where a node must be
 * slow; the cluster tests run a real `ClusterManager` whose clock the test moves by hand; the
 * failover and rebalancing tests feed the metrics from the fake cluster of the replication tests.
 */
import { request } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { expect } from 'chai';
import { Registry } from 'prom-client';
import { RouterMetrics, type RunningRouter } from '@isx/router';
import { ClusterEventFanOut } from '../src/cluster-events.js';
import { startClusterRouter, type ClusterRouter } from './support/cluster-router.js';
import { parseMetrics, scrapeMetrics, type Exposition, type Scrape } from './support/metrics-text.js';
import { useMockedNodeRouter } from './support/mocked-node-router.js';
import { closeWorldsAfterEach, LOWER, UPPER, WHOLE, world, type World } from './support/replica-sets.js';
import {
  send,
  startFixtureRouter,
  startLoopbackNode,
  useLoopbackNodeRouter,
  type LoopbackNode,
} from './support/router-fixture.js';

const REQUESTS = 'isx_http_requests_total';
const DURATION = 'isx_http_request_duration_seconds';
const FORWARD_ERRORS = 'isx_router_forward_errors_total';
const TRANSITIONS = 'isx_failure_detector_transitions_total';

/** Scrapes until `ready` holds (the sweeper runs on a real timer), for at most two seconds. */
async function scrapeUntil(url: string, ready: (scrape: Scrape) => boolean): Promise<Scrape> {
  const deadline = performance.now() + 2_000;
  for (;;) {
    const scrape = await scrapeMetrics(url);
    if (ready(scrape) || performance.now() > deadline) return scrape;
    await sleep(10);
  }
}

describe('router metrics: GET /metrics in the Prometheus text format', function () {
  describe('on a router with a fixed map', function () {
    const fixture = useMockedNodeRouter();

    it('answers without a token, in the registry’s text format, with the process metrics and the map', async function () {
      const scrape = await scrapeMetrics(fixture.router.url);

      expect(scrape.contentType).to.equal(new Registry().contentType);
      expect(scrape.contentType).to.match(/^text\/plain; version=0\.0\.4/);
      expect(scrape.type('process_cpu_user_seconds_total')).to.equal('counter');
      expect(scrape.type('nodejs_eventloop_lag_seconds')).to.equal('gauge');
      expect(scrape.type(REQUESTS)).to.equal('counter');
      expect(scrape.type(DURATION)).to.equal('histogram');
      expect(scrape.value('isx_shard_map_version')).to.equal(1);
      expect(scrape.value('isx_shards', { type: 'contact' })).to.equal(2);
      expect(scrape.value('isx_shards', { type: 'campaign' })).to.equal(1);
      expect(scrape.value('isx_shards', { type: 'ledger' })).to.equal(1);
      expect(scrape.type('isx_cluster_nodes'), 'declared even without a cluster').to.equal('gauge');
      expect(scrape.sum('isx_cluster_nodes'), 'a fixed map has no watched nodes').to.equal(0);
      expect(scrape.value('isx_moves_started_total', { kind: 'transfer-primary' })).to.equal(0);
      expect(scrape.value('isx_failovers_total')).to.equal(0);
    });

    it('counts requests by route template, method and the status the client got, never by key', async function () {
      fixture.node1
        .intercept({ path: '/campaign/spring-sale', method: 'GET' })
        .reply(200, { name: 'spring' });
      fixture.node1.intercept({ path: '/campaign/spring-sale', method: 'PUT' }).reply(200, {}).times(2);
      fixture.node1.intercept({ path: '/campaign/spring-sale/activities', method: 'GET' }).reply(200, []);
      const { url } = fixture.router;
      const statuses = [
        (await send(url, 'GET', '/campaign/spring-sale')).status,
        (await send(url, 'PUT', '/campaign/spring-sale', { body: '{}' })).status,
        (await send(url, 'PUT', '/campaign/spring-sale', { body: '{}' })).status,
        (await send(url, 'GET', '/campaign/spring-sale/activities')).status,
        (await send(url, 'GET', '/planet/earth')).status,
        (await send(url, 'GET', '/contact/zeta')).status,
        (await send(url, 'POST', '/campaign', { body: '{}' })).status,
        (await send(url, 'GET', '/campaign/spring-sale/extra/segments')).status,
        (await send(url, 'GET', '/healthz')).status,
        (await send(url, 'GET', '/cluster/nope')).status,
      ];
      expect(statuses).to.deep.equal([200, 200, 200, 200, 404, 503, 405, 404, 200, 404]);

      const scrape = await scrapeMetrics(url);
      const count = (route: string, method: string, status: string): number | undefined =>
        scrape.value(REQUESTS, { route, method, status });
      expect(count('/:type/:key', 'GET', '200')).to.equal(1);
      expect(count('/:type/:key', 'PUT', '200')).to.equal(2);
      expect(count('/:type/:key/activities', 'GET', '200')).to.equal(1);
      expect(count('/:type/:key', 'GET', '404'), 'an unknown type').to.equal(1);
      expect(count('/:type/:key', 'GET', '503'), 'node-2 refused the connection').to.equal(1);
      expect(count('/:type', 'POST', '405')).to.equal(1);
      expect(count('/healthz', 'GET', '200')).to.equal(1);
      expect(count('other', 'GET', '404'), 'a keyed path too long and an unknown admin path').to.equal(2);
      expect(scrape.sum(REQUESTS)).to.equal(10);
      expect(scrape.labelValues(REQUESTS, 'route')).to.have.members([
        '/:type/:key',
        '/:type/:key/activities',
        '/:type',
        '/healthz',
        'other',
      ]);
      expect(scrape.text).not.to.match(/spring-sale|zeta|earth|planet|segments|nope/);

      expect(scrape.value(FORWARD_ERRORS, { code: 'NODE_UNAVAILABLE' })).to.equal(1);
      expect(scrape.sum(FORWARD_ERRORS), 'the 404 and 405 were not forwarded').to.equal(1);
    });

    it('keeps a latency histogram per series, with buckets from 1 ms to 10 s', async function () {
      fixture.node1.intercept({ path: '/campaign/spring-sale', method: 'GET' }).reply(200, {});
      await send(fixture.router.url, 'GET', '/campaign/spring-sale');

      const scrape = await scrapeMetrics(fixture.router.url);
      const series = { route: '/:type/:key', method: 'GET', status: '200' };
      expect(scrape.labelValues(`${DURATION}_bucket`, 'le')).to.deep.equal([
        '0.001',
        '0.0025',
        '0.005',
        '0.01',
        '0.025',
        '0.05',
        '0.1',
        '0.25',
        '0.5',
        '1',
        '2.5',
        '5',
        '10',
        '+Inf',
      ]);
      expect(scrape.value(`${DURATION}_count`, series)).to.equal(1);
      expect(scrape.value(`${DURATION}_bucket`, { ...series, le: '+Inf' })).to.equal(1);
      expect(scrape.value(`${DURATION}_bucket`, { ...series, le: '10' })).to.equal(1);
      expect(scrape.value(`${DURATION}_sum`, series))
        .to.be.greaterThan(0)
        .and.lessThan(10);
    });

    it('counts its own scrapes under /metrics', async function () {
      await scrapeMetrics(fixture.router.url);
      const second = await scrapeMetrics(fixture.router.url);
      expect(second.value(REQUESTS, { route: '/metrics', method: 'GET', status: '200' })).to.equal(1);
    });
  });

  describe('with a real node on loopback that never answers', function () {
    const loopback = useLoopbackNodeRouter(200);

    it('counts a node that does not answer in time as NODE_TIMEOUT, timed at the router’s timeout', async function () {
      const router = await loopback.start(() => {
        // never answers
      });
      expect((await send(router.url, 'GET', '/ledger/l-1')).status).to.equal(504);

      const scrape = await scrapeMetrics(router.url);
      const series = { route: '/:type/:key', method: 'GET', status: '504' };
      expect(scrape.value(FORWARD_ERRORS, { code: 'NODE_TIMEOUT' })).to.equal(1);
      expect(scrape.value(`${DURATION}_bucket`, { ...series, le: '0.1' }), 'not under 100 ms').to.equal(0);
      expect(scrape.value(`${DURATION}_bucket`, { ...series, le: '5' })).to.equal(1);
      expect(scrape.value(`${DURATION}_sum`, series)).to.be.at.least(0.2);
    });
  });

  describe('with a real node on loopback that answers every request with 503 SHARD_MOVING', function () {
    let node: LoopbackNode | undefined;
    let router: RunningRouter | undefined;

    /** Starts the node and a router in front of it that holds a refused request for `holdMs`. */
    async function startHolding(holdMs: number): Promise<{ node: LoopbackNode; router: RunningRouter }> {
      const moving = JSON.stringify({ error: { code: 'SHARD_MOVING', message: 'The shard is moving.' } });
      node = await startLoopbackNode((_request, response) => {
        response.writeHead(503, { 'content-type': 'application/json', 'retry-after': '0' }).end(moving);
      });
      router = (await startFixtureRouter({ node3Url: node.url, holdMs })).router;
      return { node, router };
    }

    afterEach(async function () {
      await router?.close();
      await node?.close();
      router = undefined;
      node = undefined;
    });

    it('counts the refusal it relays once the hold runs out, by its code', async function () {
      const { node, router } = await startHolding(50);
      expect((await send(router.url, 'PUT', '/ledger/l-1', { body: '{}' })).status).to.equal(503);

      const scrape = await scrapeMetrics(router.url);
      expect(node.received.length, 'held and resent').to.be.greaterThan(1);
      expect(scrape.value(FORWARD_ERRORS, { code: 'SHARD_MOVING' })).to.equal(1);
      expect(scrape.value(REQUESTS, { route: '/:type/:key', method: 'PUT', status: '503' })).to.equal(1);
    });

    it('counts a request whose client went away while it was held as aborted', async function () {
      const { node, router } = await startHolding(10_000);
      const client = request(`${router.url}/ledger/l-1`, { method: 'PUT', agent: false });
      client.on('error', () => {
        // the test hangs up on purpose
      });
      client.end('{}');
      while (node.received.length === 0) await sleep(5);
      client.destroy();

      const aborted = { route: '/:type/:key', method: 'PUT', status: 'aborted' };
      const scrape = await scrapeUntil(router.url, (s) => s.value(REQUESTS, aborted) === 1);
      expect(scrape.value(REQUESTS, aborted)).to.equal(1);
      expect(scrape.sum(REQUESTS, { route: '/:type/:key' }), 'nothing else was counted').to.equal(1);
      expect(scrape.sum(FORWARD_ERRORS), 'no error was answered').to.equal(0);
    });
  });

  describe('on a router that manages a dynamic cluster', function () {
    let cluster: ClusterRouter | undefined;

    afterEach(async function () {
      await cluster?.close();
      cluster = undefined;
    });

    it('shows each node’s liveness and heartbeat age, and counts the failure detector’s transitions', async function () {
      cluster = await startClusterRouter();
      const [first, second] = [await cluster.register(), await cluster.register()];
      const { url } = cluster.router;
      const before = await scrapeMetrics(url);
      expect(before.value('isx_cluster_nodes', { status: 'alive' })).to.equal(2);
      expect(before.value('isx_cluster_nodes', { status: 'suspect' })).to.equal(0);
      expect(before.value('isx_node_heartbeat_age_seconds', { node: first })).to.equal(0);
      expect(before.sum(TRANSITIONS)).to.equal(0);

      cluster.advance(700);
      const suspect = await scrapeUntil(
        url,
        (s) => s.value('isx_cluster_nodes', { status: 'suspect' }) === 2,
      );
      expect(suspect.value('isx_cluster_nodes', { status: 'suspect' })).to.equal(2);
      expect(suspect.value(TRANSITIONS, { from: 'alive', to: 'suspect' })).to.equal(2);
      expect(suspect.value('isx_node_heartbeat_age_seconds', { node: second })).to.equal(0.7);

      expect((await cluster.heartbeat(first)).status).to.equal(200);
      cluster.advance(400);
      const after = await scrapeUntil(url, (s) => s.value('isx_cluster_nodes', { status: 'dead' }) === 1);
      expect(after.value(TRANSITIONS, { from: 'suspect', to: 'alive' })).to.equal(1);
      expect(after.value(TRANSITIONS, { from: 'suspect', to: 'dead' })).to.equal(1);
      expect(after.value('isx_cluster_nodes', { status: 'alive' })).to.equal(1);
      expect(after.value('isx_cluster_nodes', { status: 'dead' })).to.equal(1);
      expect(after.value('isx_node_heartbeat_age_seconds', { node: first })).to.equal(0.4);
      expect(after.value(REQUESTS, { route: '/internal/heartbeat', method: 'POST', status: '200' })).to.equal(
        1,
      );
      expect(after.value(REQUESTS, { route: '/internal/register', method: 'POST', status: '200' })).to.equal(
        2,
      );
    });

    it('counts a split and a failed shard move, and shows the map they leave', async function () {
      cluster = await startClusterRouter();
      await cluster.register();
      const target = await cluster.register();
      const { url } = cluster.router;
      const versionBefore = (await scrapeMetrics(url)).value('isx_shard_map_version')!;

      expect((await cluster.operate('POST', '/cluster/shards/note-1/split', {})).status).to.equal(200);
      // The source is a port nothing listens on, so the move fails when it asks for the fence.
      const move = await cluster.operate('POST', '/cluster/shards/note-2/move', { to: target });
      expect(move.status, move.text).to.be.at.least(500);
      const drain = await cluster.operate('POST', `/cluster/nodes/${target}/drain`, { draining: true });
      expect(drain.status, 'draining needs replicas').to.equal(409);

      const scrape = await scrapeMetrics(url);
      expect(scrape.value('isx_shard_map_version')).to.equal(versionBefore + 1);
      expect(scrape.value('isx_shards', { type: 'note' })).to.equal(3);
      expect(scrape.value('isx_moves_started_total', { kind: 'split' })).to.equal(1);
      expect(scrape.value('isx_moves_finished_total', { kind: 'split', outcome: 'done' })).to.equal(1);
      expect(scrape.value('isx_moves_started_total', { kind: 'move' })).to.equal(1);
      expect(scrape.value('isx_moves_finished_total', { kind: 'move', outcome: 'failed' })).to.equal(1);
      expect(scrape.value('isx_moves_finished_total', { kind: 'move', outcome: 'done' })).to.equal(0);
      expect(scrape.sum('isx_moves_in_progress')).to.equal(0);
      expect(scrape.value('isx_auto_splits_total'), 'an operator’s split').to.equal(0);
      const routes = (route: string, method: string): number => scrape.sum(REQUESTS, { route, method });
      expect(routes('/cluster/shards/:id/split', 'POST')).to.equal(1);
      expect(routes('/cluster/shards/:id/move', 'POST')).to.equal(1);
      expect(
        scrape.value(REQUESTS, { route: '/cluster/nodes/:id/drain', method: 'POST', status: '409' }),
      ).to.equal(1);
    });

    it('counts a live node being drained as draining, and the rebalancing steps that fail against nodes that do not answer', async function () {
      cluster = await startClusterRouter({ replicationFactor: 2 });
      await cluster.register();
      const drained = await cluster.register();
      const drain = await cluster.operate('POST', `/cluster/nodes/${drained}/drain`, { draining: true });
      expect(drain.status, drain.text).to.equal(200);

      const { url } = cluster.router;
      const failedStep = { kind: 'add-replica', outcome: 'failed' };
      const scrape = await scrapeUntil(
        url,
        (s) => (s.value('isx_moves_finished_total', failedStep) ?? 0) > 0,
      );
      expect(scrape.value('isx_cluster_nodes', { status: 'draining' })).to.equal(1);
      expect(scrape.value('isx_cluster_nodes', { status: 'alive' })).to.equal(1);
      // The nodes are ports nothing listens on, so every copy the rebalancer starts fails.
      expect(scrape.value('isx_moves_finished_total', failedStep)).to.be.greaterThan(0);
      expect(scrape.value('isx_moves_finished_total', { kind: 'add-replica', outcome: 'done' })).to.equal(0);
    });

    it('counts a shard the router split by itself', async function () {
      cluster = await startClusterRouter({
        autoSplit: {
          maxShardEntities: 10,
          loadShare: 0,
          minOpsPerSec: 0,
          maxShardsPerType: 8,
          intervalMs: 20,
        },
      });
      const node = await cluster.register();
      const { url } = cluster.router;
      expect((await scrapeMetrics(url)).value('isx_auto_splits_total')).to.equal(0);

      await cluster.heartbeat(node, [{ shardId: 'note-1', records: 50, opsPerSec: 0 }]);
      const scrape = await scrapeUntil(url, (s) => s.value('isx_auto_splits_total') === 1);
      expect(scrape.value('isx_auto_splits_total')).to.equal(1);
      expect(scrape.value('isx_moves_finished_total', { kind: 'split', outcome: 'done' })).to.equal(1);
      expect(scrape.value('isx_shards', { type: 'note' })).to.equal(3);
    });
  });

  describe('fed by the replication coordinator and the rebalancer', function () {
    closeWorldsAfterEach();

    /**
     * A world whose rebalancer and coordinator report to router metrics over its map, through a
     * fan-out as the cluster manager's do.
     */
    function observedWorld(types: Parameters<typeof world>[0]): { w: World; metrics: RouterMetrics } {
      const events = new ClusterEventFanOut();
      const w = world(types, { events });
      const metrics = new RouterMetrics({ map: () => w.cluster.map() });
      events.add(metrics);
      return { w, metrics };
    }

    /** The metrics' own exposition, as a scrape would see it. */
    async function exposition(metrics: RouterMetrics): Promise<Exposition> {
      return parseMetrics(await metrics.registry.metrics());
    }

    it('counts each promoted backup as a failover, and the rebalancing steps that restore the copies', async function () {
      const { w, metrics } = observedWorld({
        note: [
          { id: 's1', range: LOWER, node: 'n1', backups: ['n2', 'n3'], epoch: 1 },
          { id: 's2', range: UPPER, node: 'n1', backups: ['n3', 'n4'], epoch: 1 },
        ],
      });
      w.live.delete('n1');

      await w.coordinator.failover('n1');
      const failedOver = await exposition(metrics);
      expect(failedOver.value('isx_failovers_total')).to.equal(2);
      expect(failedOver.value('isx_moves_started_total', { kind: 'add-replica' })).to.equal(0);

      w.rebalancer.kick();
      await w.rebalancer.settled();
      const restored = await exposition(metrics);
      const added = w.steps.filter((s) => s.action.kind === 'add-replica' && s.ok).length;
      expect(added, 'each shard lost a copy').to.be.at.least(2);
      expect(restored.value('isx_moves_started_total', { kind: 'add-replica' })).to.equal(added);
      expect(restored.value('isx_moves_finished_total', { kind: 'add-replica', outcome: 'done' })).to.equal(
        added,
      );
      expect(restored.value('isx_moves_in_progress', { kind: 'add-replica' })).to.equal(0);
      expect(restored.value('isx_shard_map_version')).to.equal(w.cluster.map().version);
    });

    it('counts no failover when no backup could be promoted, and a step that fails as failed', async function () {
      const { w, metrics } = observedWorld({
        note: [{ id: 's1', range: WHOLE, node: 'n1', backups: ['n2'], epoch: 1 }],
      });
      for (const id of ['n1', 'n2']) w.live.delete(id);
      await w.coordinator.failover('n1');
      expect((await exposition(metrics)).value('isx_failovers_total'), 'n2 is not live').to.equal(0);

      w.live.set('n1', { types: ['note'], draining: false });
      w.calls.answer = () => Promise.reject(new Error('the copy broke'));
      w.rebalancer.kick();
      await w.rebalancer.settled();
      const scrape = await exposition(metrics);
      expect(
        scrape.value('isx_moves_finished_total', { kind: 'add-replica', outcome: 'failed' }),
      ).to.be.at.least(1);
      expect(scrape.value('isx_moves_finished_total', { kind: 'add-replica', outcome: 'done' })).to.equal(0);
      expect(scrape.value('isx_moves_in_progress', { kind: 'add-replica' })).to.equal(0);
    });
  });
});

/**
 * `GET /metrics` on the router and on every node (issue 8), on a real cluster at three copies:
 * each scrape parses with a Prometheus text-format parser, the families have the documented
 * types and labels, and the figures move with what the cluster does, including a node killed
 * with kill -9, which the router's failure detector declares dead and whose shards it fails over.
 */
import { expect } from 'chai';
import { fetchClusterView, leastCopies, until } from '@isx/lab';
import { startTestCluster, type TestCluster } from './support/cluster.js';
import {
  histogramCount,
  parseFamilies,
  samples,
  scrape,
  scrapeText,
  total,
  type MetricFamily,
} from './support/prometheus-text.js';

describe('metrics in the Prometheus text format (issue 8)', function () {
  this.timeout(120_000);
  let test: TestCluster;

  before(async function () {
    test = await startTestCluster({ mode: 'dynamic', nodes: 3, replicationFactor: 3, shardsPerType: 4 });
    await until('every shard has three copies', 60_000, async () =>
      leastCopies(await fetchClusterView(test.cluster.routerUrl)) >= 3 ? true : undefined,
    );
    for (let i = 0; i < 20; i += 1) {
      const body = JSON.stringify({ name: `m${i}`, status: 'draft', budgetCents: i });
      const put = await fetch(`${test.cluster.routerUrl}/campaign/m${i}`, {
        method: 'PUT',
        headers: { 'content-type': 'application/json' },
        body,
      });
      expect(put.status).to.equal(200);
      await put.arrayBuffer();
    }
    expect((await fetch(`${test.cluster.routerUrl}/campaign/nobody`)).status).to.equal(404);
  });

  after(async function () {
    await test?.dispose();
  });

  const type = (families: Map<string, MetricFamily>, name: string): string | undefined =>
    families.get(name)?.type;

  it('counts the router’s requests by route, method and status, with latency histograms', async function () {
    const text = await scrapeText(test.cluster.routerUrl);
    const router = parseFamilies(text);
    expect(type(router, 'isx_http_requests_total')).to.equal('COUNTER');
    expect(type(router, 'isx_http_request_duration_seconds')).to.equal('HISTOGRAM');
    const requests = router.get('isx_http_requests_total');
    expect(total(requests, { route: '/:type/:key', method: 'PUT', status: '200' })).to.be.at.least(20);
    expect(total(requests, { route: '/:type/:key', method: 'GET', status: '404' })).to.be.at.least(1);
    // Keys never appear as label values: routes are templates.
    expect(samples(requests).every((s) => !/m\d+|nobody/.test(s.labels?.route ?? ''))).to.equal(true);
    const latency = { route: '/:type/:key', method: 'PUT', status: '200' };
    expect(histogramCount(text, 'isx_http_request_duration_seconds', latency)).to.be.at.least(20);
    expect(total(router.get('isx_cluster_nodes'), { status: 'alive' })).to.equal(3);
    expect(type(router, 'process_cpu_seconds_total'), 'default process metrics').to.equal('COUNTER');
  });

  it('shows on every node its requests, its copies in sync and its group commits', async function () {
    let puts = 0;
    for (const node of test.cluster.nodes.values()) {
      const families = await scrape(node.spec.url);
      expect(type(families, 'isx_http_requests_total')).to.equal('COUNTER');
      puts += total(families.get('isx_http_requests_total'), {
        route: '/:type/:key',
        method: 'PUT',
        status: '200',
      });
      expect(type(families, 'isx_group_commit_batch_ops')).to.equal('HISTOGRAM');
      expect(total(families.get('isx_group_commit_batch_ops'))).to.be.greaterThan(0);
      const inSync = samples(families.get('isx_replication_in_sync_replicas'));
      for (const sample of inSync) expect(Number(sample.value), sample.labels?.shard).to.equal(3);
      expect(type(families, 'isx_delivery_attempts_total')).to.equal('COUNTER');
    }
    expect(puts, 'the primaries answered every PUT the router forwarded').to.be.at.least(20);
  });

  it('counts a node killed with kill -9: failure-detector transitions and failovers', async function () {
    const before = await scrape(test.cluster.routerUrl);
    const failoversBefore = total(before.get('isx_failovers_total'));
    const [, victim] = [...test.cluster.nodes.entries()][0]!;
    await victim.kill();
    const after = await until('the router has declared the node dead and failed over', 30_000, async () => {
      const families = await scrape(test.cluster.routerUrl);
      return total(families.get('isx_cluster_nodes'), { status: 'dead' }) === 1 &&
        total(families.get('isx_failovers_total')) > failoversBefore
        ? families
        : undefined;
    });
    const transitions = after.get('isx_failure_detector_transitions_total');
    expect(total(transitions, { to: 'dead' })).to.be.at.least(1);
    expect(type(after, 'isx_node_heartbeat_age_seconds')).to.equal('GAUGE');
  });
});

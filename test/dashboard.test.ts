/// <reference lib="dom" />
/**
 * The router's live dashboard (issue 8), in headless Chromium against a real cluster at three
 * copies: the page shows the nodes, the shard map and where each shard's copies are, as
 * `GET /cluster` has them; traffic shows in the request panel; and after a node is killed with
 * kill -9 the page shows it dead, then its shards promoted elsewhere at a higher epoch, without
 * a reload. Screenshots go to `artifacts/dashboard/`.
 */
import { mkdir } from 'node:fs/promises';
import { expect } from 'chai';
import type { Browser, Page } from 'playwright-core';
import { dashboardSnapshotSchema, type ClusterView, type DashboardSnapshot } from '@isx/core';
import { fetchClusterView, leastCopies, until } from '@isx/lab';
import { launchChromium } from './support/browser.js';
import { startTestCluster, type TestCluster } from './support/cluster.js';

const ARTIFACTS = 'artifacts/dashboard';

interface ShardRow {
  shard: string;
  primary: string;
  epoch: number;
  backups: string[];
}

describe('the live dashboard in headless Chromium (issue 8)', function () {
  this.timeout(150_000);
  let test: TestCluster;
  let browser: Browser;
  let page: Page;
  const pageErrors: string[] = [];

  before(async function () {
    await mkdir(ARTIFACTS, { recursive: true });
    test = await startTestCluster({ mode: 'dynamic', nodes: 4, replicationFactor: 3, shardsPerType: 4 });
    await until('every shard has three copies and no move is under way', 60_000, async () => {
      const view = await fetchClusterView(test.cluster.routerUrl);
      return leastCopies(view) >= 3 && (view.moves ?? []).length === 0 ? true : undefined;
    });
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1400, height: 1200 } });
    page.on('pageerror', (error) => pageErrors.push(error.message));
    await page.goto(`${test.cluster.routerUrl}/dashboard`);
  });

  after(async function () {
    await browser?.close();
    await test?.dispose();
  });

  afterEach(function () {
    expect(pageErrors, 'errors thrown in the page').to.deep.equal([]);
  });

  it('serves its page and scripts, and streams snapshots that parse with the schema', async function () {
    const html = await fetch(`${test.cluster.routerUrl}/dashboard`);
    expect(html.headers.get('content-type')).to.match(/^text\/html/);
    expect(await html.text()).to.contain('src="/dashboard/app.js"');
    const script = await fetch(`${test.cluster.routerUrl}/dashboard/app.js`);
    expect(script.status).to.equal(200);
    expect(script.headers.get('content-type')).to.match(/javascript/);
    await script.arrayBuffer();
    for (const missing of ['nothing.js', '..%2Fpackage.json', 'app.ts']) {
      const answer = await fetch(`${test.cluster.routerUrl}/dashboard/${missing}`);
      expect(answer.status, missing).to.equal(404);
      expect(((await answer.json()) as { error: { code: string } }).error.code).to.equal('ROUTE_NOT_FOUND');
    }
    const snapshot = await firstSnapshot(test.cluster.routerUrl);
    expect(snapshot.cluster.nodes.map((n) => n.id).sort()).to.deep.equal(
      [...test.cluster.nodes.keys()].sort(),
    );
    expect(snapshot.requests).to.have.length(60);
  });

  it('shows every node alive, the shard map as ranges, and where each shard’s copies are', async function () {
    await page.waitForFunction(
      (count) => document.querySelectorAll('#nodes tr[data-status="alive"]').length === count,
      test.cluster.nodes.size,
    );
    const view = await fetchClusterView(test.cluster.routerUrl);
    const shards = view.types.campaign!.shards;
    const segments = await page.$$eval('#shard-map [data-type="campaign"] .segment', (elements) =>
      elements.map((e) => ({
        shard: e.getAttribute('data-shard'),
        primary: e.getAttribute('data-primary'),
        width: Number.parseFloat((e as HTMLElement).style.width),
      })),
    );
    expect(segments.map((s) => s.shard)).to.deep.equal(shards.map((s) => s.id));
    const covered = segments.reduce((sum, s) => sum + s.width, 0);
    expect(covered, 'the segments cover the key space').to.be.closeTo(100, 0.01);
    // The page draws what the router holds: its replica rows match `GET /cluster`.
    await until('the replicas panel matches GET /cluster', 10_000, async () => {
      const rows = await shardRows(page);
      const now = await fetchClusterView(test.cluster.routerUrl);
      return sameReplicas(rows, now) ? true : undefined;
    });
  });

  it('shows the request rate and latency of the traffic through the router', async function () {
    for (let i = 0; i < 60; i += 1) {
      const put = await fetch(`${test.cluster.routerUrl}/campaign/dash-${i}`, {
        method: 'PUT',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ name: `dash ${i}`, status: 'draft', budgetCents: i }),
      });
      expect(put.status).to.equal(200);
      await put.arrayBuffer();
    }
    await page.waitForFunction(() => {
      const rate = document.querySelector('#request-summary [data-rate]')?.getAttribute('data-rate');
      return rate !== null && rate !== undefined && Number(rate) > 0;
    });
    const bars = await page.$$eval(
      '#request-chart rect.rate',
      (rects) => rects.filter((r) => Number(r.getAttribute('height')) > 0).length,
    );
    expect(bars, 'seconds with requests drawn as bars').to.be.at.least(1);
    expect(await page.textContent('#request-summary')).to.match(/p99 [\d.]+ ms/);
    await page.screenshot({ path: `${ARTIFACTS}/healthy.png`, fullPage: true });
  });

  it('shows a node killed with kill -9 as dead, and the promotion of its shards, as they happen', async function () {
    const before = await shardRows(page);
    const led = new Map<string, string[]>();
    for (const row of before) led.set(row.primary, [...(led.get(row.primary) ?? []), row.shard]);
    const [victim, shardsLed] = [...led.entries()].sort((a, b) => b[1].length - a[1].length)[0]!;
    const epochs = new Map(before.map((row) => [row.shard, row.epoch]));

    await test.cluster.nodes.get(victim)!.kill();

    await page.waitForSelector(`#nodes tr[data-node="${victim}"][data-status="dead"]`, { timeout: 30_000 });
    await page.waitForFunction(
      ({ victim, shards }) =>
        shards.every((shard) => {
          const row = document.querySelector(`#replicas tr[data-shard="${shard}"]`);
          return row !== null && row.getAttribute('data-primary') !== victim;
        }),
      { victim, shards: shardsLed },
      { timeout: 30_000 },
    );
    const after = await shardRows(page);
    for (const shard of shardsLed) {
      const row = after.find((r) => r.shard === shard)!;
      expect(row.primary, shard).to.not.equal(victim);
      expect(row.epoch, `${shard}'s epoch`).to.be.greaterThan(epochs.get(shard)!);
    }
    const events = await page.$$eval('#events li[data-kind]', (items) =>
      items.map((li) => ({
        kind: li.getAttribute('data-kind'),
        node: li.getAttribute('data-node'),
        shard: li.getAttribute('data-shard'),
        text: li.textContent ?? '',
      })),
    );
    expect(
      events.some((e) => e.kind === 'liveness' && e.node === victim && e.text.includes('dead')),
    ).to.equal(true);
    for (const shard of shardsLed) {
      expect(
        events.some((e) => e.kind === 'failover' && e.shard === shard),
        `a failover event for ${shard}`,
      ).to.equal(true);
    }
    await page.screenshot({ path: `${ARTIFACTS}/after-failover.png`, fullPage: true });
  });
});

/** The replicas panel as rows, read from the page's data attributes. */
function shardRows(page: Page): Promise<ShardRow[]> {
  return page.$$eval('#replicas tbody tr[data-shard]', (rows) =>
    rows.map((row) => ({
      shard: row.getAttribute('data-shard') ?? '',
      primary: row.getAttribute('data-primary') ?? '',
      epoch: Number(row.getAttribute('data-epoch')),
      backups: (row.getAttribute('data-backups') ?? '').split(' ').filter((b) => b !== ''),
    })),
  );
}

function sameReplicas(rows: readonly ShardRow[], view: ClusterView): boolean {
  const shards = Object.values(view.types).flatMap((t) => t.shards);
  if (rows.length !== shards.length) return false;
  return shards.every((shard) => {
    const row = rows.find((r) => r.shard === shard.id);
    return (
      row !== undefined &&
      row.primary === shard.node &&
      row.epoch === shard.epoch &&
      [...row.backups].sort().join() === [...(shard.backups ?? [])].sort().join()
    );
  });
}

/** Reads `GET /dashboard/events` up to its first snapshot, parsed with the schema. */
async function firstSnapshot(routerUrl: string): Promise<DashboardSnapshot> {
  const abort = new AbortController();
  const response = await fetch(`${routerUrl}/dashboard/events`, { signal: abort.signal });
  expect(response.headers.get('content-type')).to.match(/^text\/event-stream/);
  const reader = response.body!.getReader();
  const decoder = new TextDecoder();
  let text = '';
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) throw new Error('the event stream ended before a snapshot');
      text += decoder.decode(value, { stream: true });
      const match = /event: snapshot\ndata: (.*)\n\n/.exec(text);
      if (match) return dashboardSnapshotSchema.parse(JSON.parse(match[1]!));
    }
  } finally {
    abort.abort();
  }
}

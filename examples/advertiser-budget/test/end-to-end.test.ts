/**
 * The tentative operation on real processes: a router and four nodes of this service at
 * replication factor 3. Twelve bookings ask one advertiser at once for more than its budget,
 * so some are refused; then some confirm, some cancel, some keep their hold, and four more
 * bookings race for the money set free, while the node leading the advertiser is killed with
 * `kill -9`. Once every queue has drained, the advertiser's ledger must say exactly what the
 * bookings say, and never more than the budget.
 */
import { expect } from 'chai';
import { ShardMap } from '@isx/core';
import { fetchClusterView, leastCopies, until } from '@isx/lab';
import type { Advertiser, Booking } from '@isx/example-advertiser-budget';
import { startServiceCluster, type ServiceCluster } from './support/service-cluster.js';

const BUDGET = 10_000;
const FIRST = Array.from({ length: 12 }, (_, i) => `flight-${i}`);
const LATE = Array.from({ length: 4 }, (_, i) => `late-flight-${i}`);

interface Activity {
  out?: Record<string, { pending: unknown[] }>;
}

describe('advertiser-budget on a real cluster (RF 3, kill -9 in the middle)', function () {
  this.timeout(240_000);
  let test: ServiceCluster;
  const router = (): string => test.cluster.routerUrl;

  before(async function () {
    test = await startServiceCluster({ nodes: 4, replicationFactor: 3, shardsPerType: 4 });
    await until('every shard of both types has three copies', 60_000, async () => {
      const view = await fetchClusterView(router());
      return Object.keys(view.types).length === 2 && leastCopies(view) >= 3 ? true : undefined;
    });
  });

  after(async function () {
    await test?.dispose();
  });

  /**
   * Sends a write until it is answered 200. A node killed mid-write leaves the outcome unknown,
   * and sending it again is safe: the same terms and the same decision change nothing.
   */
  async function write(method: 'PUT' | 'PATCH', path: string, body: unknown): Promise<void> {
    await until(`${method} ${path} is answered`, 30_000, async () => {
      const response = await fetch(`${router()}${path}`, {
        method,
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      }).catch(() => undefined);
      if (response === undefined) return undefined;
      const text = await response.text();
      if (response.status === 200) return true;
      expect(response.status, `${method} ${path}: ${text}`).to.be.oneOf([421, 502, 503, 504]);
      return undefined;
    });
  }

  async function read<T>(path: string): Promise<T | undefined> {
    const response = await fetch(`${router()}${path}`).catch(() => undefined);
    if (response?.status !== 200) return undefined;
    return (await response.json()) as T;
  }

  const dataOf = async <T>(type: string, key: string) => (await read<{ data: T }>(`/${type}/${key}`))?.data;

  async function bookings(keys: readonly string[]): Promise<Booking[] | undefined> {
    const read = await Promise.all(keys.map((key) => dataOf<Booking>('booking', key)));
    return read.every((b) => b !== undefined) ? read : undefined;
  }

  async function drained(type: string, key: string): Promise<boolean> {
    const answer = await read<{ activity: Activity }>(`/${type}/${key}/activities`);
    return (
      answer !== undefined && Object.values(answer.activity.out ?? {}).every((o) => o.pending.length === 0)
    );
  }

  /** Every booking has its answer and has acted on its decision, and no queue holds a message. */
  async function settled(keys: readonly string[]): Promise<Booking[] | undefined> {
    const all = await bookings(keys);
    const waiting = (b: Booking) =>
      b.reservation === 'requested' || (b.reservation === 'held' && b.decision !== undefined);
    if (all === undefined || all.some(waiting)) return undefined;
    const queues = await Promise.all([
      drained('advertiser', 'acme'),
      ...keys.map((key) => drained('booking', key)),
    ]);
    return queues.every(Boolean) ? all : undefined;
  }

  async function primaryOf(type: string, key: string): Promise<string> {
    const { map } = await fetchClusterView(router());
    return new ShardMap(map!.config, map!.version).locate(type, key).shard.node;
  }

  const keysWith = (all: Booking[], reservation: Booking['reservation']) =>
    all.filter((b) => b.reservation === reservation).map((b) => b.id);
  const sumOf = (all: Booking[], reservation: Booking['reservation']) =>
    all.filter((b) => b.reservation === reservation).reduce((sum, b) => sum + b.amountCents, 0);

  it('refuses what the budget cannot cover when bookings ask at once', async function () {
    await write('PUT', '/advertiser/acme', { name: 'ACME', budgetCents: BUDGET });
    await Promise.all(
      FIRST.map((key) => write('PUT', `/booking/${key}`, { advertiser: 'acme', amountCents: 1_500 })),
    );
    const answered = await until('every booking has its answer', 60_000, () => settled(FIRST));
    expect(keysWith(answered, 'held'), 'six holds of 1500 fit in 10000').to.have.length(6);
    expect(keysWith(answered, 'refused')).to.have.length(6);
    const acme = await dataOf<Advertiser>('advertiser', 'acme');
    expect(acme).to.deep.include({ spentCents: 0, heldCents: 9_000, availableCents: 1_000 });
    expect(Object.keys(acme!.holds).sort()).to.deep.equal(keysWith(answered, 'held').sort());
  });

  it('ends with the ledger matching the bookings exactly, through a kill -9 of the advertiser’s primary', async function () {
    const held = keysWith((await bookings(FIRST))!, 'held');
    const [toConfirm, toCancel] = [held.slice(0, 2), held.slice(2, 4)];
    const victim = await primaryOf('advertiser', 'acme');
    // Each decision is written twice: the repeat must change nothing.
    const decide = (key: string, decision: string) =>
      write('PATCH', `/booking/${key}`, { decision }).then(() =>
        write('PATCH', `/booking/${key}`, { decision }),
      );
    const decisions = Promise.all([
      ...toConfirm.map((key) => decide(key, 'confirm')),
      ...toCancel.map((key) => decide(key, 'cancel')),
    ]);
    await test.cluster.node(victim).kill();
    // Asked after the kill, so their reserves reach the advertiser only through its new primary.
    // They race the cancels for the money those set free, and confirm as soon as they hold.
    const late = Promise.all(
      LATE.map((key) =>
        write('PUT', `/booking/${key}`, { advertiser: 'acme', amountCents: 2_000, decision: 'confirm' }),
      ),
    );
    await Promise.all([decisions, late]);

    const all = await until('every booking is settled and every queue drained', 90_000, () =>
      settled([...FIRST, ...LATE]),
    );
    const acme = (await dataOf<Advertiser>('advertiser', 'acme'))!;
    expect(await primaryOf('advertiser', 'acme'), 'the advertiser failed over').to.not.equal(victim);
    expect(keysWith(all, 'requested'), 'no booking is stuck').to.deep.equal([]);
    expect(keysWith(all, 'confirmed')).to.include.members(toConfirm);
    expect(keysWith(all, 'cancelled').sort()).to.deep.equal([...toCancel].sort());
    expect(acme.spentCents, 'spent is what the bookings confirmed').to.equal(sumOf(all, 'confirmed'));
    expect(Object.keys(acme.holds).sort(), 'held on both sides').to.deep.equal(keysWith(all, 'held').sort());
    const holds = Object.values(acme.holds).reduce((sum, amount) => sum + amount, 0);
    expect(holds, 'held is what the bookings hold').to.equal(sumOf(all, 'held'));
    expect(holds, 'the two untouched holds remain').to.equal(3_000);
    expect(acme.spentCents + holds, 'spent + held <= budget').to.be.at.most(BUDGET);
    expect(acme.heldCents).to.equal(holds);
    for (const late of all.filter((b) => LATE.includes(b.id))) {
      expect(late.reservation, late.id).to.be.oneOf(['confirmed', 'refused']);
    }
    for (const key of keysWith(all, 'confirmed')) expect(acme.closed[key], key).to.equal('confirmed');
    for (const key of keysWith(all, 'refused')) expect(acme.closed[key], key).to.equal('refused');
  });

  it('answers 409 to a cancel after a confirm, over the real HTTP path', async function () {
    const confirmed = keysWith((await bookings(FIRST))!, 'confirmed')[0]!;
    const response = await fetch(`${router()}/booking/${confirmed}`, {
      method: 'PATCH',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ decision: 'cancel' }),
    });
    const body = (await response.json()) as { error: { code: string } };
    expect(response.status).to.equal(409);
    expect(body.error.code).to.equal('CONFLICT');
  });
});

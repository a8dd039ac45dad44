/**
 * No acknowledged write is lost when a node is killed with SIGKILL in the middle of a
 * write load and restarted on the same data directory (phase 1: one copy, so the range is
 * unavailable while the node is down, and everything acknowledged is back afterwards).
 */
import { expect } from 'chai';
import { setTimeout as sleep } from 'node:timers/promises';
import { raw } from './support/http.js';
import { startTestCluster, type TestCluster } from './support/cluster.js';

interface Ack {
  key: string;
  version: number;
  budgetCents: number;
}

describe('a node killed with SIGKILL under load (phase 1)', function () {
  let test: TestCluster;

  before(async function () {
    test = await startTestCluster({ nodes: 2, partitioner: 'lexical' });
  });
  after(async function () {
    await test?.dispose();
  });

  it('keeps every acknowledged write across kill -9 and restart, and the other range stays available', async function () {
    const router = test.cluster.routerUrl;
    const keys = Array.from({ length: 40 }, (_, i) => `${i % 2 === 0 ? 'k' : 'w'}-key-${i}`);
    const acks = new Map<string, Ack>();
    const outcomes = { ok: 0, unavailable: 0, uncertain: 0 };
    let writing = true;
    let value = 0;

    const writer = async (worker: number): Promise<void> => {
      while (writing) {
        const key = keys[(value + worker) % keys.length]!;
        const budgetCents = (value += 1);
        const answer = await raw(router, 'PUT', `/campaign/${key}`, {
          body: { name: key, status: 'active', budgetCents },
        });
        if (answer.status === 200) {
          outcomes.ok += 1;
          const version = answer.json.version as number;
          const previous = acks.get(key);
          if (!previous || previous.version < version) acks.set(key, { key, version, budgetCents });
        } else if (answer.status === 503) {
          outcomes.unavailable += 1;
        } else {
          expect([502, 504], answer.text).to.include(answer.status);
          outcomes.uncertain += 1;
        }
      }
    };

    const workers = Array.from({ length: 8 }, (_, i) => writer(i));
    await sleep(700);
    const victim = test.cluster.node('node-2');
    await victim.kill();
    await sleep(500);
    const otherRange = await raw(router, 'PUT', '/campaign/k-during-outage', {
      body: { name: 'x', status: 'draft', budgetCents: 1 },
    });
    expect(otherRange.status, 'the a–m range is served while node-2 is down').to.equal(200);
    const downRange = await raw(router, 'GET', '/campaign/w-key-1');
    expect(downRange.status, 'the n–z range is unavailable while node-2 is down').to.equal(503);
    await victim.start();
    await sleep(300);
    writing = false;
    await Promise.all(workers);

    expect(outcomes.ok).to.be.greaterThan(50);
    expect(outcomes.unavailable, 'some writes found node-2 down').to.be.greaterThan(0);
    const lostOnNode2 = [...acks.values()].filter((a) => a.key.startsWith('w'));
    expect(lostOnNode2.length, 'node-2 had acknowledged writes before it was killed').to.be.greaterThan(0);

    for (const ack of acks.values()) {
      const read = await raw(router, 'GET', `/campaign/${ack.key}`);
      expect(read.status, `${ack.key} reads back`).to.equal(200);
      const version = read.json.version as number;
      expect(version, `${ack.key} is at least at its acknowledged version`).to.be.at.least(ack.version);
      if (version === ack.version) {
        expect(
          (read.json.data as { budgetCents: number }).budgetCents,
          `${ack.key} holds its acknowledged value`,
        ).to.equal(ack.budgetCents);
      }
    }
  });
});

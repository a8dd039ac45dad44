/**
 * Activities between entities (issue 7) on real processes: three campaign nodes and three
 * profile nodes at replication factor 3. A campaign write with a profile part reaches its
 * profile entity and comes back as `profileSync: applied`, every message is applied once (the
 * sequence numbers on both sides agree), and it still holds when a profile node is killed with
 * `kill -9` while updates flow.
 */
import { expect } from 'chai';
import { setTimeout as sleep } from 'node:timers/promises';
import { fetchClusterView, leastCopies } from '@isx/lab';
import { startTestCluster, type TestCluster } from './support/cluster.js';
import { until } from './support/until.js';

const CAMPAIGNS = Array.from({ length: 12 }, (_, i) => `spring-${i}`);

interface Activity {
  out?: Record<string, { sent: number; acked: number; pending: unknown[] }>;
  in?: Record<string, { applied: number }>;
}

interface StoredRecord {
  version: number;
  data: Record<string, unknown>;
}

describe('activities between campaigns and profiles (issue 7)', function () {
  this.timeout(180_000);
  let test: TestCluster;

  before(async function () {
    test = await startTestCluster({ mode: 'dynamic', nodes: 0, replicationFactor: 3 });
    for (const service of ['campaign', 'campaign', 'campaign', 'profile', 'profile', 'profile']) {
      await test.cluster.addNode({ service });
    }
    await until('every shard of both types has three copies', 60_000, async () => {
      const view = await fetchClusterView(test.cluster.routerUrl);
      return Object.keys(view.types).length === 2 && leastCopies(view) >= 3 ? true : undefined;
    });
  });

  after(async function () {
    await test?.dispose();
  });

  const get = async (path: string): Promise<{ status: number; body: unknown }> => {
    const response = await fetch(`${test.cluster.routerUrl}${path}`);
    return { status: response.status, body: await response.json() };
  };

  async function putCampaigns(round: number): Promise<void> {
    for (const [i, key] of CAMPAIGNS.entries()) {
      const response = await fetch(`${test.cluster.routerUrl}/campaign/${key}`, {
        method: 'PUT',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          name: `campaign ${i}`,
          status: 'active',
          budgetCents: 1000 * round,
          profile: {
            osTargets: round % 2 === 0 ? ['ios'] : ['android'],
            deviceTargets: ['phone'],
            geoTargets: ['FR'],
          },
        }),
      });
      expect(response.status, `${key}: ${await response.clone().text()}`).to.equal(200);
      await response.arrayBuffer();
    }
  }

  /** Why `key` is not settled at `revision` yet, or undefined when it is. */
  async function unsettled(key: string, revision: number): Promise<unknown> {
    const campaign = await get(`/campaign/${key}`);
    const data = (campaign.body as StoredRecord).data;
    const sender = (await get(`/campaign/${key}/activities`)).body as { activity: Activity };
    const receiver = (await get(`/profile/${key}/activities`)).body as { activity: Activity };
    const settled =
      campaign.status === 200 &&
      data.profileSync === 'applied' &&
      data.profileAppliedRevision === revision &&
      sender.activity.out?.[`profile/${key}`]?.pending.length === 0 &&
      receiver.activity.out?.[`campaign/${key}`]?.pending.length === 0;
    return settled ? undefined : { key, campaign: campaign.body, sender, receiver };
  }

  /**
   * Every campaign's profile holds `revision`, both queues have drained, and both sides'
   * sequences agree that each message was applied once.
   */
  async function expectSettled(revision: number): Promise<void> {
    let behind: unknown;
    await until(
      `every campaign is applied at revision ${revision} with both queues drained`,
      60_000,
      async () => {
        behind = undefined;
        for (const key of CAMPAIGNS) {
          behind = await unsettled(key, revision);
          if (behind !== undefined) return undefined;
        }
        return true;
      },
    ).catch((error: Error) => {
      throw new Error(`${error.message}; still behind: ${JSON.stringify(behind)}`);
    });
    for (const key of CAMPAIGNS) {
      const profile = await get(`/profile/${key}`);
      expect(profile.status).to.equal(200);
      expect((profile.body as StoredRecord).data).to.deep.include({
        campaign: key,
        revision,
        osTargets: revision % 2 === 0 ? ['ios'] : ['android'],
      });
      const sender = ((await get(`/campaign/${key}/activities`)).body as { activity: Activity }).activity;
      const receiver = ((await get(`/profile/${key}/activities`)).body as { activity: Activity }).activity;
      expect(sender.out?.[`profile/${key}`], key).to.deep.equal({
        sent: revision,
        acked: revision,
        pending: [],
      });
      expect(receiver.in?.[`campaign/${key}`], key).to.deep.equal({ applied: revision });
      expect(receiver.out?.[`campaign/${key}`], key).to.deep.equal({
        sent: revision,
        acked: revision,
        pending: [],
      });
      expect(sender.in?.[`profile/${key}`], key).to.deep.equal({ applied: revision });
    }
  }

  it('carries each campaign’s profile part to its profile and records the answer', async function () {
    await putCampaigns(1);
    await expectSettled(1);
  });

  it('loses and repeats nothing when a profile node is killed with kill -9 while updates flow', async function () {
    const profileNodes = [...test.cluster.nodes.entries()].slice(3);
    const [, victim] = profileNodes[0]!;
    const updates = putCampaigns(2);
    await sleep(100);
    await victim.kill();
    await updates;
    await expectSettled(2);
  });
});

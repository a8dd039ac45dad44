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

describe('dead letters (issue 7)', function () {
  this.timeout(120_000);
  let test: TestCluster;

  before(async function () {
    test = await startTestCluster({ mode: 'dynamic', nodes: 0, shardsPerType: 2 });
    // The campaign node gives up on a message after four quick attempts.
    const fastGiveUp = [
      '--delivery-backoff-ms',
      '50',
      '--delivery-backoff-max-ms',
      '200',
      '--delivery-max-attempts',
      '4',
    ];
    await test.cluster.addNode({ service: 'campaign', args: fastGiveUp });
    await test.cluster.addNode({ service: 'profile' });
  });

  after(async function () {
    await test?.dispose();
  });

  it('parks a message whose receiver stays down, lists it, and delivers it once replayed', async function () {
    const router = test.cluster.routerUrl;
    const [, profileNode] = [...test.cluster.nodes.entries()][1]!;
    await profileNode.kill();
    const put = await fetch(`${router}/campaign/lonely`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        name: 'Lonely',
        status: 'draft',
        budgetCents: 1,
        profile: { osTargets: ['linux'], deviceTargets: ['desktop'] },
      }),
    });
    expect(put.status).to.equal(200);
    const listed = await until('the message is parked', 30_000, async () => {
      const answer = (await (await fetch(`${router}/cluster/dead-letters`)).json()) as {
        deadLetters: Array<{
          sender: { type: string; key: string };
          to: string;
          seq: number;
          reason: string;
        }>;
      };
      return answer.deadLetters.length > 0 ? answer.deadLetters : undefined;
    });
    expect(listed).to.have.length(1);
    expect(listed[0]).to.deep.include({
      sender: { type: 'campaign', key: 'lonely' },
      to: 'profile/lonely',
      seq: 1,
    });
    expect(listed[0]!.reason).to.match(/^MAX_ATTEMPTS/);

    await profileNode.start();
    const refused = await fetch(`${router}/cluster/dead-letters/replay`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ sender: { type: 'campaign', key: 'lonely' } }),
    });
    expect(refused.status, 'a replay needs the cluster token').to.equal(401);
    const replay = await fetch(`${router}/cluster/dead-letters/replay`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-isx-cluster-token': test.cluster.token },
      body: JSON.stringify({ sender: { type: 'campaign', key: 'lonely' } }),
    });
    expect(await replay.json()).to.deep.equal({ requeued: 1 });
    await until('the replayed message is applied and answered', 30_000, async () => {
      const campaign = (await (await fetch(`${router}/campaign/lonely`)).json()) as {
        data: { profileSync?: string };
      };
      return campaign.data.profileSync === 'applied' ? true : undefined;
    });
    const profile = (await (await fetch(`${router}/profile/lonely`)).json()) as {
      data: { osTargets: string[] };
    };
    expect(profile.data.osTargets).to.deep.equal(['linux']);
    const after = (await (await fetch(`${router}/cluster/dead-letters`)).json()) as {
      deadLetters: unknown[];
    };
    expect(after.deadLetters).to.deep.equal([]);
  });
});

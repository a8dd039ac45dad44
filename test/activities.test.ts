/**
 * Activities between entities (issue 7) on real processes: three campaign nodes and three
 * profile nodes at replication factor 3. A campaign write with a profile part reaches its
 * profile entity and comes back as `profileSync: applied`, every message is applied once (the
 * sequence numbers on both sides agree, and the profile counted one update per revision), and it
 * still holds when a profile node, and then a campaign node, is killed with `kill -9` while
 * updates flow.
 */
import { expect } from 'chai';
import { setTimeout as sleep } from 'node:timers/promises';
import { fetchClusterView, leastCopies, until } from '@isx/lab';
import { startTestCluster, type TestCluster } from './support/cluster.js';

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

  /** Writes every campaign for `round`, retrying a write whose outcome is unknown. */
  async function putCampaigns(round: number): Promise<void> {
    for (const [i, key] of CAMPAIGNS.entries()) {
      const body = JSON.stringify({
        name: `campaign ${i}`,
        status: 'active',
        budgetCents: 1000 * round,
        profile: { osTargets: osTargetsFor(round), deviceTargets: ['phone'], geoTargets: ['FR'] },
      });
      // A node killed mid-write leaves the outcome unknown: the write may have committed, and a
      // retry then sends the profile part again under the next revision. Either is exactly
      // right as long as every revision the campaign counted is applied once.
      await until(`${key} is written for round ${round}`, 30_000, async () => {
        const response = await fetch(`${test.cluster.routerUrl}/campaign/${key}`, {
          method: 'PUT',
          headers: { 'content-type': 'application/json' },
          body,
        }).catch(() => undefined);
        if (response === undefined) return undefined;
        const text = await response.text();
        if (response.status === 200) return true;
        expect(response.status, `${key}: ${text}`).to.be.oneOf([421, 502, 503, 504]);
        return undefined;
      });
    }
  }

  const osTargetsFor = (round: number): string[] => (round % 2 === 0 ? ['ios'] : ['android']);

  interface Sides {
    campaign: Record<string, unknown>;
    profile: Record<string, unknown> | undefined;
    sender: Activity;
    receiver: Activity;
  }

  async function sidesOf(key: string): Promise<Sides> {
    const campaign = await get(`/campaign/${key}`);
    const profile = await get(`/profile/${key}`);
    const sender = (await get(`/campaign/${key}/activities`)).body as { activity: Activity };
    const receiver = (await get(`/profile/${key}/activities`)).body as { activity: Activity };
    expect(campaign.status, key).to.equal(200);
    return {
      campaign: (campaign.body as StoredRecord).data,
      profile: profile.status === 200 ? (profile.body as StoredRecord).data : undefined,
      sender: sender.activity,
      receiver: receiver.activity,
    };
  }

  /** Whether both queues of `key` have drained and the campaign has heard its latest revision. */
  function settled({ campaign, sender, receiver }: Sides, key: string): boolean {
    return (
      campaign.profileSync === 'applied' &&
      campaign.profileAppliedRevision === campaign.profileRevision &&
      sender.out?.[`profile/${key}`]?.pending.length === 0 &&
      receiver.out?.[`campaign/${key}`]?.pending.length === 0
    );
  }

  /**
   * Every campaign's profile holds the campaign's latest revision with `round`'s targeting, both
   * queues have drained, and both sides agree that each message was applied exactly once: the
   * profile counted as many updates as the campaign sent revisions, and every sequence matches.
   */
  async function expectSettled(round: number): Promise<void> {
    let behind: unknown;
    await until(`every campaign is applied with both queues drained (round ${round})`, 60_000, async () => {
      for (const key of CAMPAIGNS) {
        const sides = await sidesOf(key);
        behind = { key, ...sides };
        if (!settled(sides, key)) return undefined;
      }
      return true;
    }).catch((error: Error) => {
      throw new Error(`${error.message}; still behind: ${JSON.stringify(behind)}`);
    });
    for (const key of CAMPAIGNS) {
      const { campaign, profile, sender, receiver } = await sidesOf(key);
      const revision = campaign.profileRevision as number;
      expect(revision, key).to.be.at.least(round);
      expect(profile, key).to.deep.include({
        campaign: key,
        revision,
        updates: revision,
        osTargets: osTargetsFor(round),
      });
      const drained = { sent: revision, acked: revision, pending: [] };
      expect(sender.out?.[`profile/${key}`], key).to.deep.equal(drained);
      expect(receiver.in?.[`campaign/${key}`], key).to.deep.equal({ applied: revision });
      expect(receiver.out?.[`campaign/${key}`], key).to.deep.equal(drained);
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
    await victim.start();
  });

  it('loses and repeats nothing when a campaign node (the sender) is killed with kill -9 while updates flow', async function () {
    await until('the restarted profile node holds copies again', 60_000, async () => {
      const view = await fetchClusterView(test.cluster.routerUrl);
      return leastCopies(view) >= 3 ? true : undefined;
    });
    const [, victim] = [...test.cluster.nodes.entries()][0]!;
    const updates = putCampaigns(3);
    await sleep(100);
    await victim.kill();
    await updates;
    await expectSettled(3);
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

/**
 * Phase 4 of the original experiment: a profile service, and activities between entities
 * through durable queues (Helland's messages, delivered at least once and applied once).
 *
 * Three campaign nodes and three profile nodes under a router with replication factor 3. A
 * campaign write whose body carries a `profile` part stores the campaign and, in the same
 * atomic write, queues a `set-targets` message for the campaign's profile entity; the profile
 * applies it and answers `targets-applied`. The demo follows one such update end to end, then
 * runs a steady flow of them while a profile node and then a campaign node are killed with
 * `kill -9` and restarted, and ends by reading both sides of every key: each profile holds the
 * targeting of its campaign's last acknowledged write, every message was applied exactly once,
 * and every queue drained. Everything is real: processes, LevelDB on disk, HTTP, SIGKILL. Run it
 * with `npm run phase:4`. It writes only through the public API and only reads what the cluster
 * reports: it never delivers, replays or repairs a message itself.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { ShardMap, type ActivityState, type ClusterView } from '@isx/core';
import {
  auditActivities,
  fetchClusterView,
  formatTable,
  leastCopies,
  LocalCluster,
  Narrator,
  queuedMessages,
  runDemo,
  shardsTable,
  type ActivityAudit,
  type KeyAudit,
} from '@isx/lab';
import type { ProfileTargets } from '@isx/profile';
import { CampaignFlow, putCampaign, type Written } from './campaign-flow.js';

const narrator = new Narrator({
  title: 'Infinite Scale — phase 4: activities between entities through durable queues',
});
const SHOWCASE = 'summer-sale';
const KEYS = Array.from({ length: 24 }, (_, i) => `spring-${String(i).padStart(2, '0')}`);
const WRITERS = 4;

const say = (...lines: string[]): void => {
  for (const text of lines) for (const line of text.split('\n')) narrator.say(line);
};
const seconds = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;

async function getJson<T>(routerUrl: string, path: string): Promise<T> {
  const response = await fetch(`${routerUrl}${path}`, { signal: AbortSignal.timeout(5_000) });
  if (response.status !== 200) throw new Error(`GET ${path} answered ${response.status}`);
  return (await response.json()) as T;
}
const campaignOf = async (routerUrl: string, key: string): Promise<Record<string, unknown>> =>
  (await getJson<{ data: Record<string, unknown> }>(routerUrl, `/campaign/${key}`)).data;
/** An entity's activity; one not written yet (404) has none. */
async function activityOf(routerUrl: string, entity: string): Promise<ActivityState> {
  const response = await fetch(`${routerUrl}/${entity}/activities`, { signal: AbortSignal.timeout(5_000) });
  if (response.status === 404) return {};
  if (response.status !== 200) throw new Error(`GET /${entity}/activities answered ${response.status}`);
  return ((await response.json()) as { activity: ActivityState }).activity;
}

/** Waits until every shard of both types has three copies; returns the view and how long it took. */
async function replicated(routerUrl: string): Promise<{ view: ClusterView; ms: number }> {
  const started = performance.now();
  let least = 0;
  const progress = narrator.progress({
    label: 'waiting for three copies of every shard',
    showAfterMs: 2_000,
    sample: () => ({ detail: `the fewest: ${least}` }),
  });
  try {
    while (performance.now() - started < 60_000) {
      const view = await fetchClusterView(routerUrl);
      least = leastCopies(view);
      if (Object.keys(view.types).length === 2 && least >= 3) {
        return { view, ms: performance.now() - started };
      }
      await sleep(100);
    }
  } finally {
    progress.finish();
  }
  throw new Error('the shards did not reach three copies within 60 s');
}

/**
 * Shows, until `flow` stops, how far it has got and how many messages are queued: a progress
 * line, read once a second.
 */
async function narrateProgress(routerUrl: string, flow: CampaignFlow, stopped: () => boolean): Promise<void> {
  let queued: number | string = '?';
  const progress = narrator.progress({
    label: 'campaign flow',
    unit: 'writes acknowledged',
    everyMs: 2_000,
    sample: () => ({
      done: flow.acknowledged,
      detail: `${flow.unknown.length} unknown and retried  ${queued} messages queued`,
    }),
  });
  try {
    for (let next = performance.now() + 1_000; ; next += 1_000) {
      // A slow read makes for a later reading, never a burst of them.
      next = Math.max(next, performance.now() + 500);
      await sleep(next - performance.now());
      if (stopped()) return;
      // Only the activities, not a full audit: two reads per key.
      queued = await Promise.all(
        KEYS.map(async (key) => ({
          key,
          sender: await activityOf(routerUrl, `campaign/${key}`),
          receiver: await activityOf(routerUrl, `profile/${key}`),
        })),
      ).then(queuedMessages, () => '?');
    }
  } finally {
    progress.finish(`${flow.unknown.length} unknown and retried`);
  }
}

const ledBy = (view: ClusterView, type: string, node: string): string[] =>
  (view.types[type]?.shards ?? []).filter((s) => s.node === node).map((s) => s.id);

/** Kills the node of `type` leading the most shards, narrates the failover, and restarts it. */
async function killAndRestart(cluster: LocalCluster, type: 'profile' | 'campaign'): Promise<void> {
  const view = await fetchClusterView(cluster.routerUrl);
  const [victim] = view.nodes
    .filter((n) => n.service === type && n.status === 'alive')
    .map((n) => n.id)
    .sort((a, b) => ledBy(view, type, b).length - ledBy(view, type, a).length);
  if (victim === undefined || view.map === undefined) throw new Error(`no live ${type} node`);
  const shards = ledBy(view, type, victim);
  const map = new ShardMap(view.map.config, view.map.version);
  const keys = KEYS.filter((key) => shards.includes(map.locate(type, key).shard.id)).length;
  const killedAt = performance.now();
  await cluster.node(victim).kill();
  say(
    `kill -9 ${victim}: primary of ${shards.join(', ')}, where ${keys} of the ${KEYS.length} ${type}s live`,
  );
  const failover = narrator.progress({ label: 'waiting for the failover', showAfterMs: 2_000 });
  try {
    for (;;) {
      const now = await fetchClusterView(cluster.routerUrl);
      const moved = (now.types[type]?.shards ?? []).filter((s) => shards.includes(s.id));
      if (moved.every((s) => s.node !== victim)) {
        failover.finish();
        const where = moved.map((s) => `${s.id} → ${s.node} (epoch ${s.epoch ?? 0})`).join(', ');
        say(`${seconds(performance.now() - killedAt)} later the router had promoted backups: ${where}`);
        break;
      }
      if (performance.now() - killedAt > 30_000) throw new Error(`${victim}'s shards were not failed over`);
      await sleep(100);
    }
  } finally {
    failover.finish();
  }
  await cluster.node(victim).start();
  say(`${victim} restarted on its data directory, ${seconds(performance.now() - killedAt)} after the kill`);
}

/** Step 2: one campaign update with a profile part, followed to its profile and back. */
async function showOneUpdate(routerUrl: string): Promise<ProfileTargets> {
  const targeting: ProfileTargets = {
    osTargets: ['android', 'ios'],
    deviceTargets: ['phone'],
    geoTargets: ['FR'],
  };
  say(`PUT /campaign/${SHOWCASE} {"name", "status", "budgetCents", "profile": ${JSON.stringify(targeting)}}`);
  const started = performance.now();
  await putCampaign(routerUrl, SHOWCASE, 1, targeting);
  const putMs = performance.now() - started;
  const [first, outbox] = await Promise.all([
    campaignOf(routerUrl, SHOWCASE),
    activityOf(routerUrl, `campaign/${SHOWCASE}`),
  ]);
  const queued = outbox.out?.[`profile/${SHOWCASE}`];
  say(
    `200 after ${Math.round(putMs)} ms. At once, GET /campaign/${SHOWCASE} reads profileSync: ${String(first.profileSync)}, profileRevision ${String(first.profileRevision)},`,
    `and its outbox, stored in the same record, holds ${JSON.stringify(queued)}`,
  );
  let last = first;
  while (last.profileSync !== 'applied' && performance.now() - started < 10_000) {
    await sleep(5);
    last = await campaignOf(routerUrl, SHOWCASE);
  }
  const appliedMs = performance.now() - started;
  // The profile records the campaign's acknowledgement of its answer a moment later.
  for (let i = 0; i < 100; i += 1) {
    const answers = (await activityOf(routerUrl, `profile/${SHOWCASE}`)).out?.[`campaign/${SHOWCASE}`];
    if (answers?.pending.length === 0) break;
    await sleep(20);
  }
  const [profile, sender, receiver] = await Promise.all([
    getJson<{ data: unknown }>(routerUrl, `/profile/${SHOWCASE}`),
    getJson<unknown>(routerUrl, `/campaign/${SHOWCASE}/activities`),
    getJson<unknown>(routerUrl, `/profile/${SHOWCASE}/activities`),
  ]);
  say(
    `${Math.round(appliedMs)} ms after the PUT it reads profileSync: ${String(last.profileSync)}, profileAppliedRevision ${String(last.profileAppliedRevision)}`,
    `GET /profile/${SHOWCASE}             → ${JSON.stringify(profile.data)}`,
    `GET /campaign/${SHOWCASE}/activities → ${JSON.stringify(sender)}`,
    `GET /profile/${SHOWCASE}/activities  → ${JSON.stringify(receiver)}`,
    'Read out[partner] as the outbox to that partner (sent: numbered so far, acked: acknowledged by it,',
    'pending: still to deliver) and in[partner].applied as the highest of its messages applied here.',
  );
  narrator.check(
    first.profileRevision === 1 && queued?.sent === 1,
    'the campaign write and its message #1 were stored together (profileRevision 1, out.sent 1)',
  );
  narrator.check(last.profileSync === 'applied', 'the profile applied it and its answer came back: applied');
  return targeting;
}

/** Every way one key's two sides disagree with each other or with the writes the demo made. */
function mismatchesOf(audit: KeyAudit, written: Written | undefined): string[] {
  const { key, campaign, profile, sender, receiver } = audit;
  const toProfile = sender.out?.[`profile/${key}`];
  const toCampaign = receiver.out?.[`campaign/${key}`];
  const sent = toProfile?.sent ?? 0;
  const applied = receiver.in?.[`campaign/${key}`]?.applied ?? 0;
  const answers = sender.in?.[`profile/${key}`]?.applied ?? 0;
  const held = {
    osTargets: profile?.osTargets,
    deviceTargets: profile?.deviceTargets,
    geoTargets: profile?.geoTargets,
  };
  const problems = [
    JSON.stringify(held) !== JSON.stringify(written?.targeting) &&
      `profile holds ${JSON.stringify(held)}, the last acknowledged write sent ${JSON.stringify(written?.targeting)}`,
    profile?.revision !== campaign?.profileRevision &&
      `profile at revision ${String(profile?.revision)}, campaign at ${String(campaign?.profileRevision)}`,
    (profile?.updates !== sent || applied !== sent) &&
      `campaign sent ${sent} set-targets, profile applied ${String(profile?.updates)} (applied sequence ${applied})`,
    (sent < (written?.writes ?? 0) || sent > (written?.writes ?? 0) + (written?.unknown.length ?? 0)) &&
      `${sent} set-targets sent for ${written?.writes ?? 0} acknowledged writes and ${written?.unknown.length ?? 0} unknown`,
    (toCampaign?.sent ?? 0) !== answers &&
      `profile sent ${toCampaign?.sent ?? 0} answers, campaign applied ${answers}`,
    (queuedMessages([audit]) > 0 || toProfile?.acked !== sent || toCampaign?.acked !== toCampaign?.sent) &&
      `${queuedMessages([audit])} messages still queued`,
    (campaign?.profileSync !== 'applied' || campaign.profileAppliedRevision !== campaign.profileRevision) &&
      `campaign reads profileSync: ${String(campaign?.profileSync)}`,
  ];
  return problems.filter((p): p is string => typeof p === 'string').map((p) => `${key}: ${p}`);
}

function auditTable(audit: ActivityAudit, written: ReadonlyMap<string, Written>): string {
  const rows = audit.keys.map((keyAudit) => {
    const { key, campaign, profile, sender, receiver } = keyAudit;
    const known = written.get(key);
    const toProfile = sender.out?.[`profile/${key}`];
    const toCampaign = receiver.out?.[`campaign/${key}`];
    return [
      key,
      `${known?.writes ?? 0}${known?.unknown.length ? ` (+${known.unknown.length}?)` : ''}`,
      String(campaign?.profileRevision),
      String(profile?.revision),
      String(profile?.updates),
      `${toProfile?.sent ?? 0}/${toProfile?.acked ?? 0}`,
      String(receiver.in?.[`campaign/${key}`]?.applied ?? 0),
      `${toCampaign?.sent ?? 0}/${sender.in?.[`profile/${key}`]?.applied ?? 0}`,
      String(queuedMessages([keyAudit])),
      String(campaign?.profileSync),
      mismatchesOf(keyAudit, known).length === 0 ? '✓' : '✗',
    ];
  });
  const headers = ['KEY', 'WRITES', 'CAMPAIGN REV', 'PROFILE REV', 'UPDATES', 'SENT/ACKED', 'APPLIED'];
  return formatTable([...headers, 'ANSWERS', 'QUEUED', 'SYNC', 'OK'], rows);
}

/**
 * Waits for the queues to drain and reads both sides of every key. It reads twice: one read
 * takes a key's four answers concurrently, so it can catch a profile before it applied the
 * last message and its campaign after recording the acknowledgement, and count nothing queued
 * while an answer is still to come. Once writes have stopped, a second read after an empty one
 * cannot be torn that way.
 */
async function settled(routerUrl: string, keys: readonly string[]): Promise<ActivityAudit> {
  let state = '';
  const onWaiting = (queued: number): void => {
    state = Number.isNaN(queued) ? 'some keys unreadable' : `${queued} messages queued`;
  };
  const progress = narrator.progress({
    label: 'draining',
    everyMs: 2_000,
    showAfterMs: 2_000,
    sample: () => ({ detail: state }),
  });
  try {
    const first = await auditActivities(routerUrl, keys, { drainMs: 30_000, onWaiting });
    if (!first.drained) {
      progress.finish(state);
      return first;
    }
    const second = await auditActivities(routerUrl, keys, { drainMs: 5_000, onWaiting });
    progress.finish(second.drained ? 'every queue empty' : state);
    return { ...second, drainMs: first.drainMs };
  } finally {
    progress.finish();
  }
}

process.exitCode = await runDemo(narrator, 'phase-4', async ({ dataDir, track }) => {
  narrator.step('Start a router (replication factor 3), three campaign nodes and three profile nodes');
  const cluster = track(
    await LocalCluster.start({ dataDir, mode: 'dynamic', nodes: 0, replicationFactor: 3, logLevel: 'warn' }),
  );
  for (const service of ['campaign', 'campaign', 'campaign', 'profile', 'profile', 'profile']) {
    await cluster.addNode({ service });
  }
  const routerUrl = cluster.routerUrl;
  const ready = await replicated(routerUrl);
  say(shardsTable(ready.view));
  narrator.check(
    true,
    `each type's 8 shards have a primary and two in-sync backups, on nodes of its service`,
  );

  narrator.step('One campaign update with a profile part, end to end');
  say(
    `campaign/${SHOWCASE} and profile/${SHOWCASE} are two entities, in Helland's sense: each lives in one`,
    'shard and is updated atomically there, and no transaction spans the two. A campaign write with a',
    'profile part stores the campaign and, in the same record, queues a set-targets message: the outbox',
    'is replicated with the write. Delivery is at least once. The profile applies the message and records',
    "the sender's sequence number in one write, so a repeat is acknowledged without effect, then answers",
    'targets-applied. What each side knows of its partner (sent, acknowledged, applied) is an activity.',
  );
  const showcase = await showOneUpdate(routerUrl);

  narrator.step(
    `A steady flow: ${WRITERS} writers update ${KEYS.length} campaigns, each time with a new targeting`,
  );
  say(
    'A write whose outcome is unknown (a network error or a 5xx) is retried until acknowledged; if the',
    'first attempt had committed, the retry is one more revision. The demo remembers, per campaign, the',
    'targeting of its last acknowledged write: the profile must end holding exactly that.',
  );
  const flow = new CampaignFlow(routerUrl, KEYS, WRITERS);
  let flowing = true;
  const progress = narrateProgress(routerUrl, flow, () => !flowing);
  let refusal: Error | undefined;
  try {
    await sleep(2_000);
    say(
      '— a profile node, a receiver, dies —',
      'Messages for its profiles fail and wait in the campaigns’ outboxes, retried with back-off. A backup',
      'of each of its shards becomes primary; it holds every message applied, with its sequence number.',
    );
    await killAndRestart(cluster, 'profile');
    say(`every shard has three copies again ${seconds((await replicated(routerUrl)).ms)} later`);
    say(
      '— a campaign node, a sender, dies —',
      'Its writes were replicated with their outboxes. The promoted copies find the messages committed but',
      'not acknowledged and send them again; a profile that had applied one answers it as a repeat.',
    );
    await killAndRestart(cluster, 'campaign');
    await sleep(1_500);
  } finally {
    refusal = await flow.stop();
    flowing = false;
    await progress;
  }
  const unknownAnswers = [...new Set(flow.unknown)]
    .map((answer) => `${answer} ×${flow.unknown.filter((a) => a === answer).length}`)
    .join(', ');
  narrator.check(
    refusal === undefined,
    refusal === undefined
      ? `${flow.acknowledged} writes acknowledged, none refused; ${flow.unknown.length} attempt${flow.unknown.length === 1 ? '' : 's'} with an unknown outcome retried${unknownAnswers ? ` (${unknownAnswers})` : ''}`
      : `every write was acknowledged (${refusal.message})`,
  );

  narrator.step('The writers have stopped: let every queue drain, and read both sides of every key');
  const audit = await settled(routerUrl, [SHOWCASE, ...KEYS]);
  const written = new Map([...flow.written, [SHOWCASE, { writes: 1, unknown: [], targeting: showcase }]]);
  say(auditTable(audit, written));
  say(
    'WRITES: acknowledged (+ attempts of unknown outcome); SENT/ACKED and APPLIED: set-targets numbered by the',
    'campaign, acknowledged by the profile, applied by it; UPDATES: set-targets the profile counted applying;',
    'ANSWERS: targets-applied sent by the profile / applied by the campaign.',
  );
  const sent = audit.keys.reduce((sum, k) => sum + (k.sender.out?.[`profile/${k.key}`]?.sent ?? 0), 0);
  const answers = audit.keys.reduce((sum, k) => sum + (k.receiver.out?.[`campaign/${k.key}`]?.sent ?? 0), 0);
  const acked = [...written.values()].reduce((sum, w) => sum + w.writes, 0);
  say(
    `${sent} set-targets for ${acked} acknowledged writes (${sent - acked} more from attempts that had committed though their answer was lost), ${answers} targets-applied`,
  );
  for (const k of audit.keys) {
    const { writes, unknown } = written.get(k.key) ?? { writes: 0, unknown: [] };
    const committed = Number(k.campaign?.profileRevision ?? 0) - writes;
    if (unknown.length > 0) {
      say(`${k.key}: ${unknown.join(', ')}, retried; ${committed} of those ${unknown.length} had committed`);
    }
  }
  narrator.check(audit.drained, `every queue drained, ${seconds(audit.drainMs)} after the writers stopped`);
  narrator.check(
    audit.deadLetters.length === 0 && audit.unanswered.length === 0,
    `GET /cluster/dead-letters is empty (${audit.deadLetters.length} parked, ${audit.unanswered.length} nodes unanswered)`,
  );
  const mismatches = audit.keys.flatMap((k) => mismatchesOf(k, written.get(k.key)));
  for (const mismatch of mismatches.slice(0, 20)) narrator.check(false, mismatch);
  narrator.check(
    mismatches.length === 0,
    mismatches.length === 0
      ? `every profile exactly right, every queue drained: ${sent + answers} messages, each applied once`
      : `every profile exactly right (${mismatches.length} mismatch${mismatches.length === 1 ? '' : 'es'})`,
  );
  const healed = await replicated(routerUrl);
  narrator.check(true, `every shard has three copies again (${seconds(healed.ms)} after the audit)`);

  if (mismatches.length > 0)
    return ['Some campaigns and their profiles disagree: the mismatches are listed above.'];
  return [
    'Campaign and profile never shared a transaction: each update was one atomic write of the campaign and',
    'its outbox, replicated together, and a message carried the targeting to the profile.',
    'Delivery was at least once, across a kill -9 of a receiver and of a sender; the sequence numbers on',
    `both sides show each of the ${sent + answers} messages applied exactly once.`,
  ];
});

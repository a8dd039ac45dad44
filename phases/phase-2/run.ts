/**
 * Phase 2 of the original experiment: shard servers that register themselves, heartbeats,
 * a shard map the router persists and changes at run time, hash partitioning, splits,
 * moves and router-made ids.
 *
 * Everything here is real: OS processes on loopback ports, LevelDB on disk, HTTP and
 * `kill -9`. Each step checks what it claims, so the demo ends non-zero if the system does
 * not behave as narrated. Run it with `npm run phase:2`.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { CLUSTER_TOKEN_HEADER, ShardMap, type ClusterView } from '@isx/core';
import { fetchClusterView, LocalCluster, Narrator, nodesTable, runDemo, shardsTable } from '@isx/lab';

const narrator = new Narrator({
  title: 'Infinite Scale — phase 2: self-registering nodes, a persistent map, splits and moves',
});
let cluster: LocalCluster | undefined;

async function send(method: string, path: string, body?: unknown, headers: Record<string, string> = {}) {
  const response = await fetch(`${cluster!.routerUrl}${path}`, {
    method,
    headers: body === undefined ? headers : { 'content-type': 'application/json', ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return {
    status: response.status,
    body: (await response.json()) as Record<string, unknown>,
    headers: response.headers,
  };
}

const admin = (path: string, body: unknown) =>
  send('POST', path, body, { [CLUSTER_TOKEN_HEADER]: cluster!.token });

function show(view: ClusterView): void {
  for (const line of `${nodesTable(view)}\n\n${shardsTable(view)}`.split('\n')) narrator.say(line);
}

/**
 * Waits until no move is running and shard counts differ by at most one between alive nodes,
 * with a progress line if that takes more than a couple of seconds.
 */
async function balanced(): Promise<ClusterView> {
  let moving = 0;
  const progress = narrator.progress({
    label: 'waiting for balance',
    showAfterMs: 2_000,
    sample: () => ({ detail: `${moving} move(s) under way` }),
  });
  try {
    for (let i = 0; i < 200; i += 1) {
      const view = await fetchClusterView(cluster!.routerUrl);
      const counts = view.nodes.filter((n) => n.status === 'alive').map((n) => n.shards);
      moving = (view.moves ?? []).length;
      if (moving === 0 && Math.max(...counts) - Math.min(...counts) <= 1) return view;
      await sleep(100);
    }
  } finally {
    progress.finish();
  }
  throw new Error('the cluster did not balance within 20 s');
}

process.exitCode = await runDemo(narrator, 'phase-2', async ({ dataDir, track }) => {
  narrator.step('Start a router with its own store, then one campaign node that registers');
  cluster = track(await LocalCluster.start({ dataDir, mode: 'dynamic', nodes: 1, logLevel: 'warn' }));
  let view = await balanced();
  show(view);
  narrator.check(
    view.nodes.length === 1 && view.types.campaign?.shards.length === 8,
    'the node registered and the campaign type got 8 hash shards',
  );

  narrator.step('POST /campaign: the router makes sortable, unique keys');
  const created: string[] = [];
  for (let i = 0; i < 30; i += 1) {
    const answer = await send('POST', '/campaign', {
      name: `Campaign ${i}`,
      status: 'draft',
      budgetCents: i * 100,
    });
    if (answer.status === 201) created.push(String(answer.body.key));
  }
  narrator.say(`first keys: ${created.slice(0, 3).join(', ')} …`);
  narrator.check(
    created.length === 30 && [...created].sort().join() === created.join(),
    '30 campaigns created, keys in creation order',
  );

  narrator.step('Two more nodes join, one at a time; shards move to them with their data');
  for (const _ of [1, 2]) {
    const id = await cluster.addNode();
    view = await balanced();
    narrator.say(
      `${id} registered; shard counts now ${view.nodes.map((n) => `${n.id}:${n.shards}`).join(' ')}`,
    );
  }
  show(view);
  let readable = 0;
  for (const key of created) if ((await send('GET', `/campaign/${key}`)).status === 200) readable += 1;
  narrator.check(readable === 30, `every campaign still reads back after the moves (${readable}/30)`);

  narrator.step('Split a shard (metadata only) and move one half under concurrent writes');
  const target = view.types.campaign!.shards[0]!;
  const split = await admin(`/cluster/shards/${target.id}/split`, {});
  const right = split.body.right as { id: string };
  narrator.say(
    `split ${target.id} → ${target.id} + ${right.id} (map version ${String(split.body.mapVersion)})`,
  );
  narrator.check(split.status === 200, 'the split was committed');
  const acks = new Map<string, { version: number; budgetCents: number }>();
  let writing = true;
  let counter = 0;
  const writer = async (): Promise<void> => {
    while (writing) {
      const key = created[counter++ % created.length]!;
      const budgetCents = counter;
      const answer = await send('PATCH', `/campaign/${key}`, { budgetCents });
      if (answer.status === 200) acks.set(key, { version: answer.body.version as number, budgetCents });
    }
  };
  const writers = Array.from({ length: 6 }, writer);
  await sleep(300);
  // Move the shard that holds the most campaigns, so the copy has something to carry.
  const current = await fetchClusterView(cluster.routerUrl);
  const map = new ShardMap(current.map!.config, current.map!.version);
  const perShard = new Map<string, number>();
  for (const key of created)
    perShard.set(
      map.locate('campaign', key).shard.id,
      (perShard.get(map.locate('campaign', key).shard.id) ?? 0) + 1,
    );
  const busiest = [...perShard.entries()].sort((a, b) => b[1] - a[1])[0]![0];
  const source = map.config.types.campaign!.shards.find((s) => s.id === busiest)!.node;
  const destination = current.nodes.map((n) => n.id).find((id) => id !== source)!;
  const moved = await admin(`/cluster/shards/${busiest}/move`, { to: destination });
  narrator.say(
    `moved ${busiest} from ${source} to ${destination}: ${String(moved.body.entities)} entities copied`,
  );
  await sleep(300);
  writing = false;
  await Promise.all(writers);
  let exact = 0;
  for (const [key, ack] of acks) {
    const read = await send('GET', `/campaign/${key}`);
    if (
      read.body.version === ack.version &&
      (read.body.data as { budgetCents: number }).budgetCents === ack.budgetCents
    )
      exact += 1;
  }
  narrator.say(`${counter} writes sent during the move; the last acknowledged write of each key checked`);
  narrator.check(
    moved.status === 200 && exact === acks.size,
    `every acknowledged write reads back exactly (${exact}/${acks.size})`,
  );

  narrator.step('kill -9 a node: its shards are unreachable, the rest keep working');
  const victimId = destination;
  await cluster.node(victimId).kill();
  await sleep(1_300);
  view = await fetchClusterView(cluster.routerUrl);
  narrator.say(`isx status: ${view.nodes.map((n) => `${n.id} ${n.status}`).join(', ')}`);
  narrator.check(
    view.nodes.find((n) => n.id === victimId)?.status === 'dead',
    `the router declared ${victimId} dead from missed heartbeats`,
  );
  const outcomes = await Promise.all(
    created.map(async (key) => (await send('GET', `/campaign/${key}`)).status),
  );
  const served = outcomes.filter((s) => s === 200).length;
  narrator.say(
    `reads: ${served} answered, ${outcomes.filter((s) => s === 503).length} answered 503 (phase 2 keeps one copy)`,
  );
  narrator.check(served > 0 && served < created.length, 'only the dead node’s shards are unavailable');

  narrator.step('Restart the node on the same data directory: same id, data back');
  await cluster.node(victimId).start();
  view = await fetchClusterView(cluster.routerUrl);
  const back = (
    await Promise.all(created.map(async (key) => (await send('GET', `/campaign/${key}`)).status))
  ).filter((s) => s === 200).length;
  narrator.check(cluster.node(victimId).reportedId === victimId, `the node came back as ${victimId}`);
  narrator.check(back === created.length, `every campaign reads back (${back}/${created.length})`);

  return [
    'Nodes registered themselves; the router persisted the map and moved shards to even out the load.',
    'Keys were made by the router; a split cost no data movement; a move held writes only while it ran.',
    'Phase 3 keeps three copies, so a dead node no longer makes its shards unavailable.',
  ];
});

/**
 * Phase 1 of the original experiment: a keyed campaign service behind a router, with shard
 * ranges set by hand (a–m on one node, n–z on the other).
 *
 * Everything here is real: three OS processes on loopback ports, LevelDB on disk, HTTP,
 * and `kill -9`. Each step checks what it expects, so the demo ends non-zero if the system
 * does not behave as narrated. Run it with `npm run phase:1`.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { fetchClusterView, LocalCluster, Narrator, nodesTable, runDemo, shardsTable } from '@isx/lab';

interface Answer {
  status: number;
  body: Record<string, unknown>;
  node: string;
  shard: string;
  etag: string;
}

const narrator = new Narrator({
  title: 'Infinite Scale — phase 1: keyed requests, a router, and manual shards',
});
let cluster: LocalCluster | undefined;

async function call(
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<Answer> {
  const response = await fetch(`${cluster!.routerUrl}${path}`, {
    method,
    headers: body === undefined ? headers : { 'content-type': 'application/json', ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return {
    status: response.status,
    body: (await response.json()) as Record<string, unknown>,
    node: response.headers.get('x-isx-node') ?? '-',
    shard: response.headers.get('x-isx-shard') ?? '-',
    etag: response.headers.get('etag') ?? '',
  };
}

function errorCode(answer: Answer): string {
  return (answer.body.error as { code?: string } | undefined)?.code ?? '';
}

const campaigns = [
  { key: 'apple-spring', name: 'Apple spring sale', budgetCents: 120_000 },
  { key: 'maple-syrup', name: 'Maple syrup week', budgetCents: 45_000 },
  { key: 'nimbus-launch', name: 'Nimbus launch', budgetCents: 300_000 },
  { key: 'zephyr-winter', name: 'Zephyr winter promo', budgetCents: 80_000 },
];

process.exitCode = await runDemo(narrator, 'phase-1', async ({ dataDir, track }) => {
  narrator.step('Start a router and two campaign nodes as real processes');
  cluster = track(await LocalCluster.start({ dataDir, nodes: 2, partitioner: 'lexical', logLevel: 'warn' }));
  const view = await fetchClusterView(cluster.routerUrl);
  narrator.say(`router at ${cluster.routerUrl}, data and logs in ${dataDir}`);
  for (const line of `${nodesTable(view)}\n\n${shardsTable(view)}`.split('\n')) narrator.say(line);
  narrator.check(
    view.nodes.every((n) => n.status === 'up'),
    'both nodes are up and the ranges a–m, n–z cover the key space',
  );

  narrator.step('Create campaigns in both ranges; the router finds each key’s shard');
  for (const c of campaigns) {
    const answer = await call('PUT', `/campaign/${c.key}`, {
      name: c.name,
      status: 'draft',
      budgetCents: c.budgetCents,
    });
    narrator.say(
      `PUT /campaign/${c.key.padEnd(14)} → ${answer.status} version ${String(answer.body.version)}, served by ${answer.node} (${answer.shard})`,
    );
    const expected = c.key < 'n' ? 'node-1' : 'node-2';
    narrator.check(answer.status === 200 && answer.node === expected, `${c.key} was written by ${expected}`);
  }

  narrator.step('Read, update with If-Match, and refuse a stale update');
  const read = await call('GET', '/campaign/nimbus-launch');
  narrator.say(`GET /campaign/nimbus-launch → ${read.status} ${JSON.stringify(read.body.data)}`);
  narrator.check(
    read.status === 200 && (read.body.data as { name?: string }).name === 'Nimbus launch',
    'the campaign reads back as written',
  );
  const activated = await call(
    'PATCH',
    '/campaign/nimbus-launch',
    { status: 'active' },
    { 'if-match': read.etag },
  );
  narrator.say(
    `PATCH status=active with If-Match ${read.etag} → ${activated.status}, now version ${String(activated.body.version)}`,
  );
  narrator.check(
    activated.status === 200 && activated.body.version === 2,
    'a conditional update on the current version succeeds',
  );
  const stale = await call(
    'PATCH',
    '/campaign/nimbus-launch',
    { status: 'paused' },
    { 'if-match': read.etag },
  );
  narrator.say(
    `PATCH status=paused with the stale If-Match ${read.etag} → ${stale.status} ${errorCode(stale)}`,
  );
  narrator.check(stale.status === 412, 'a conditional update on a stale version is refused with 412');
  const removed = await call('DELETE', '/campaign/maple-syrup');
  const gone = await call('GET', '/campaign/maple-syrup');
  narrator.say(
    `DELETE /campaign/maple-syrup → ${removed.status}; GET afterwards → ${gone.status} ${errorCode(gone)}`,
  );
  narrator.check(removed.status === 200 && gone.status === 404, 'a deleted campaign is gone');

  narrator.step('Keys the router can refuse without asking any node');
  const uncovered = await call('GET', '/campaign/Zulu-42');
  narrator.say(
    `GET /campaign/Zulu-42 → ${uncovered.status} ${errorCode(uncovered)}: upper-case keys sort before "a", outside both ranges`,
  );
  narrator.check(
    uncovered.status === 400 && errorCode(uncovered) === 'KEY_NOT_COVERED' && uncovered.node === '-',
    'a key no range covers is refused by the router itself',
  );
  const illegal = await call('GET', '/campaign/no%20spaces');
  narrator.say(`GET /campaign/no%20spaces → ${illegal.status} ${errorCode(illegal)}`);
  narrator.check(illegal.status === 400 && errorCode(illegal) === 'INVALID_KEY', 'an illegal key is a 400');
  const invalid = await call('PUT', '/campaign/orbit', { name: 'Orbit', status: 'draft', budgetCents: -5 });
  narrator.say(
    `PUT /campaign/orbit with budgetCents -5 → ${invalid.status} ${errorCode(invalid)} (checked by ${invalid.node})`,
  );
  narrator.check(
    invalid.status === 400 && (await call('GET', '/campaign/orbit')).status === 404,
    'an invalid body is refused and stores nothing',
  );

  narrator.step('kill -9 the node that holds n–z');
  const victim = cluster.node('node-2');
  narrator.say(`sending SIGKILL to node-2 (pid ${victim.pid})`);
  await victim.kill();
  await sleep(100);
  const down = await call('GET', '/campaign/nimbus-launch');
  narrator.say(
    `GET /campaign/nimbus-launch → ${down.status} ${errorCode(down)}: ${(down.body.error as { message?: string }).message}`,
  );
  narrator.check(
    down.status === 503 && errorCode(down) === 'NODE_UNAVAILABLE',
    'the n–z range answers 503 and names its node',
  );
  const alive = await call('PATCH', '/campaign/apple-spring', { status: 'active' });
  narrator.say(`PATCH /campaign/apple-spring → ${alive.status}, served by ${alive.node}`);
  narrator.check(alive.status === 200, 'the a–m range keeps working');
  const statusWhileDown = await fetchClusterView(cluster.routerUrl);
  narrator.say(`isx status: ${statusWhileDown.nodes.map((n) => `${n.id} ${n.status}`).join(', ')}`);
  narrator.check(
    statusWhileDown.nodes.find((n) => n.id === 'node-2')?.status === 'down',
    'the router reports node-2 down',
  );

  narrator.step('Restart node-2 on the same data directory');
  await victim.start();
  narrator.say(`node-2 is back (pid ${victim.pid}); its LevelDB store was reopened from disk`);
  const back = await call('GET', '/campaign/nimbus-launch');
  narrator.say(
    `GET /campaign/nimbus-launch → ${back.status} version ${String(back.body.version)} status ${(back.body.data as { status?: string }).status}`,
  );
  narrator.check(
    back.status === 200 && back.body.version === 2,
    'every acknowledged write to n–z is back after the restart',
  );
  const zephyr = await call('GET', '/campaign/zephyr-winter');
  narrator.check(zephyr.status === 200 && zephyr.body.version === 1, 'zephyr-winter is back too');

  return [
    'One router and two nodes, every operation keyed: the router located each key in the shard map and forwarded it.',
    'Losing a node made only its own range unavailable (phase 1 keeps one copy); its data came back from disk.',
    'Phase 2 makes this dynamic: nodes register, the map is persisted, shards split and move.',
  ];
});

/**
 * Regressions found by review: a primary reusing a log position after a failed entry, and
 * a backup acknowledging a different entry from a newer epoch at a position it holds.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import nock from 'nock';
import { pino } from 'pino';
import { parseClusterConfig, ShardMap, type ReplicateRequest } from '@isx/core';
import { EntityStore } from '../src/entity-store.js';
import { MapOwnership } from '../src/ownership.js';
import { LogPositions } from '../src/replication/log-position.js';
import { ReplicaReceiver } from '../src/replication/replica-receiver.js';
import { ReplicatedCommitter } from '../src/replication/replicated-committer.js';

function map(node: string, backups: string[], epoch: number, version: number): ShardMap {
  return new ShardMap(
    parseClusterConfig({
      nodes: {
        'node-a': { url: 'http://node-a.test:4000' },
        'node-b': { url: 'http://node-b.test:4002' },
        'backup-1': { url: 'http://backup-1.test:4001' },
        'backup-2': { url: 'http://backup-2.test:4002' },
      },
      types: {
        note: {
          partitioner: 'hash',
          shards: [{ id: 'note-1', range: { start: '', end: null }, node, backups, epoch }],
        },
      },
      replication: { factor: 3, minInSync: 2 },
    }),
    version,
  );
}
const entry = (seq: number, epoch: number, text: string): ReplicateRequest => ({
  shardId: 'note-1',
  epoch,
  seq,
  entities: [
    { type: 'note', partitionKey: 'p', key: 'k', value: { version: seq, data: { text }, updatedAt: 'x' } },
  ],
});

// Importing nock switches its interceptor on for every suite; keep it to this one.
nock.restore();

describe('replication regressions', function () {
  before(() => nock.activate());
  after(() => nock.restore());

  let dir: string;
  let store: EntityStore;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'bug-'));
    store = await EntityStore.open(dir);
  });
  afterEach(async () => {
    await store.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('refuses an entry from a newer epoch at a position it holds below its last one with REPLICATION_GAP', async function () {
    const ownership = new MapOwnership('node-b', map('node-a', ['node-b'], 1, 1));
    const receiver = new ReplicaReceiver({
      store,
      positions: new LogPositions(store),
      ownership,
      pullMap: () => Promise.resolve(),
    });
    for (const seq of [1, 2, 3]) await receiver.apply(entry(seq, 1, `epoch-1 entry ${seq}`));
    ownership.update(map('node-a', ['node-b'], 2, 2));
    let code: string | undefined;
    let answer: unknown;
    try {
      answer = await receiver.apply(entry(2, 2, 'epoch-2 entry 2'));
    } catch (e) {
      code = (e as { code?: string }).code;
    }
    expect(answer).to.equal(undefined);
    expect((await store.getEntity('note', 'p', 'k'))?.data).to.deep.equal({ text: 'epoch-1 entry 3' });
    expect(code).to.equal('REPLICATION_GAP');
  });

  it('never acknowledges a write that an in-sync backup lacks after an entry failed: an entry sent is never renumbered', async function () {
    nock.disableNetConnect();
    const backupDir = await mkdtemp(join(tmpdir(), 'bug-backup-'));
    const backupStore = await EntityStore.open(backupDir);
    const backupMap = map('node-a', ['backup-1', 'backup-2'], 4, 1);
    const receiver = new ReplicaReceiver({
      store: backupStore,
      positions: new LogPositions(backupStore),
      ownership: new MapOwnership('backup-1', backupMap),
      pullMap: () => Promise.resolve(),
    });
    nock('http://backup-1.test:4001')
      .post('/internal/replicate-batch')
      .times(2)
      .reply(async (_uri, body) => [
        200,
        {
          results: await Promise.all(
            (body as { entries: ReplicateRequest[] }).entries.map((e) => receiver.apply(e)),
          ),
        },
      ]);
    nock('http://backup-2.test:4002')
      .post('/internal/replicate-batch')
      .reply(500, { error: { code: 'INTERNAL', message: 'x' } });
    nock('http://backup-2.test:4002')
      .post('/internal/replicate-batch')
      .reply(200, { results: [{ seq: 1 }] });
    let reportFails = true;
    const committer = new ReplicatedCommitter({
      store,
      positions: new LogPositions(store),
      ownership: new MapOwnership('node-a', map('node-a', ['backup-1', 'backup-2'], 4, 1)),
      token: 't',
      logger: pino({ level: 'silent' }),
      lease: {
        leaseHeld: () => true,
        pullMap: () => Promise.resolve(),
        reportReplicaFailure: () =>
          reportFails ? Promise.reject(new Error('router unreachable')) : Promise.resolve(),
      },
    });
    const op = (text: string) => ({
      kind: 'put-entity' as const,
      type: 'note',
      partitionKey: 'p',
      key: 'k',
      value: { version: 1, data: { text }, updatedAt: 'x' },
    });
    const first = await committer.commit('note-1', [op('first')]).then(
      () => 'acknowledged',
      (e: { code?: string }) => e.code,
    );
    reportFails = false;
    const second = await committer.commit('note-1', [op('second')]).then(
      () => 'acknowledged',
      (e: { code?: string }) => e.code,
    );
    const onBackup = (await backupStore.getEntity('note', 'p', 'k'))?.data;
    const onPrimary = (await store.getEntity('note', 'p', 'k'))?.data;
    expect(first).to.equal('REPLICATION_FAILED');
    expect(onPrimary).to.deep.equal({ text: 'second' });
    nock.cleanAll();
    nock.enableNetConnect();
    await backupStore.close();
    await rm(backupDir, { recursive: true, force: true });
    expect(second).to.equal('acknowledged');
    expect(onBackup).to.deep.equal({ text: 'second' });
  });
});

/**
 * The primary's side of replication against a real Level store, with nock answering for the
 * backups and a fake lease standing in for the node's link to its router.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import nock from 'nock';
import { pino } from 'pino';
import {
  CLUSTER_TOKEN_HEADER,
  parseClusterConfig,
  ShardMap,
  type ReplicaFailedRequest,
  type ReplicateRequest,
  type ShardAssignment,
} from '@isx/core';
// The store and ownership come from src, not '@isx/shard' (dist): their classes have #private
// fields, so TypeScript treats the dist and src declarations as different types.
import { EntityStore, type StoreOp } from '../src/entity-store.js';
import { MapOwnership } from '../src/ownership.js';
import { runWithRequestId } from '../src/internal/request-context.js';
import { LogPositions } from '../src/replication/log-position.js';
import { ReplicatedCommitter, type PrimaryLease } from '../src/replication/replicated-committer.js';
import { rejection } from './support/rejection.js';

const SHARD = 'note-1';
const SELF = 'node-a';
const TOKEN = 'cluster-secret';
const BACKUP_1 = 'http://backup-1.test:4001';
const BACKUP_2 = 'http://backup-2.test:4002';

interface MapShape {
  backups?: string[];
  epoch?: number;
  minInSync?: number;
  version?: number;
}

/** A one-shard map in which this node (node-a) is the primary. */
function mapWith({ backups, epoch, minInSync = 2, version = 1 }: MapShape): ShardMap {
  const shard: ShardAssignment = {
    id: SHARD,
    range: { start: '', end: null },
    node: SELF,
    ...(backups === undefined ? {} : { backups }),
    ...(epoch === undefined ? {} : { epoch }),
  };
  return new ShardMap(
    parseClusterConfig({
      nodes: {
        [SELF]: { url: 'http://node-a.test:4000' },
        'backup-1': { url: BACKUP_1 },
        'backup-2': { url: BACKUP_2 },
      },
      types: { note: { partitioner: 'hash', shards: [shard] } },
      ...(backups === undefined ? {} : { replication: { factor: 3, minInSync } }),
    }),
    version,
  );
}

function put(key: string, text: string): StoreOp {
  return {
    kind: 'put-entity',
    type: 'note',
    partitionKey: `p-${key}`,
    key,
    value: { version: 1, data: { text }, updatedAt: '2024-05-01T12:00:00.000Z' },
  };
}

/** A lease that records every call; each behaviour can be replaced per test. */
class FakeLease implements PrimaryLease {
  held: boolean | (() => boolean) = true;
  readonly leaseChecks: number[] = [];
  readonly reports: ReplicaFailedRequest[] = [];
  pulls = 0;
  onReport: (report: ReplicaFailedRequest) => Promise<void> = () => Promise.resolve();

  leaseHeld(leaseMs: number): boolean {
    this.leaseChecks.push(leaseMs);
    return typeof this.held === 'function' ? this.held() : this.held;
  }

  reportReplicaFailure(report: ReplicaFailedRequest): Promise<void> {
    this.reports.push(report);
    return this.onReport(report);
  }

  pullMap(): Promise<void> {
    this.pulls += 1;
    return Promise.resolve();
  }
}

/**
 * Answers the next `times` batches of entries posted to `base` with `status` (200 by default), recording
 * each entry it is sent; only requests with the cluster token match.
 */
function backup(
  base: string,
  received: ReplicateRequest[],
  { status = 200, code, times = 1 }: { status?: number; code?: string; times?: number } = {},
): nock.Scope {
  return nock(base, { reqheaders: { [CLUSTER_TOKEN_HEADER]: TOKEN } })
    .post('/internal/replicate-batch', (batch: { entries: ReplicateRequest[] }) => {
      received.push(...batch.entries);
      return true;
    })
    .times(times)
    .reply(status, (_uri, batch) =>
      code === undefined
        ? { results: (batch as { entries: ReplicateRequest[] }).entries.map((e) => ({ seq: e.seq })) }
        : { error: { code, message: code } },
    );
}

// Importing nock switches its interceptor on for every suite; keep it to this one.
nock.restore();

describe('the replicated committer (a primary sending entries to its backups)', function () {
  let directory: string;
  let store: EntityStore;
  let positions: LogPositions;
  let ownership: MapOwnership;
  let lease: FakeLease;

  function committer(leaseMs?: number): ReplicatedCommitter {
    return new ReplicatedCommitter({
      store,
      positions,
      ownership,
      lease,
      token: TOKEN,
      logger: pino({ level: 'silent' }),
      ...(leaseMs === undefined ? {} : { leaseMs }),
    });
  }

  const textOf = async (key: string): Promise<unknown> =>
    (await store.getEntity('note', `p-${key}`, key))?.data?.text;
  const storedPosition = (): Promise<unknown> => store.getMeta(`log-position/${SHARD}`);

  before(() => {
    nock.activate();
    nock.disableNetConnect();
  });

  after(() => {
    nock.cleanAll();
    nock.enableNetConnect();
    nock.restore();
  });

  beforeEach(async () => {
    directory = await mkdtemp(join(tmpdir(), 'isx-replicated-committer-'));
    store = await EntityStore.open(directory);
    positions = new LogPositions(store);
    ownership = new MapOwnership(SELF, mapWith({ backups: ['backup-1', 'backup-2'], epoch: 4 }));
    lease = new FakeLease();
  });

  afterEach(async () => {
    nock.cleanAll();
    await store.close();
    await rm(directory, { recursive: true, force: true });
  });

  it('writes a shard without backups locally, sending nothing and asking no lease', async function () {
    ownership = new MapOwnership(SELF, mapWith({}));
    lease.held = false;
    const primary = committer();
    primary.checkServing(SHARD);
    await primary.commit(SHARD, [put('k1', 'one')]);
    expect(await textOf('k1')).to.equal('one');
    expect(await storedPosition()).to.equal(undefined);
    expect(lease.leaseChecks).to.deep.equal([]);
    expect(lease.reports).to.deep.equal([]);
  });

  it('names in each entry the requests whose writes it holds, and nothing for writes outside a request', async function () {
    const received1: ReplicateRequest[] = [];
    const received2: ReplicateRequest[] = [];
    backup(BACKUP_1, received1, { times: 2 });
    backup(BACKUP_2, received2, { times: 2 });
    const primary = committer();
    // Writes issued together share the first entry; a later one is the next entry.
    await Promise.all([
      runWithRequestId('req-1', () => primary.commit(SHARD, [put('k1', 'one')])),
      runWithRequestId('req-2', () => primary.commit(SHARD, [put('k2', 'two')])),
      primary.commit(SHARD, [put('k3', 'three')]),
    ]);
    await runWithRequestId('req-3', () => primary.commit(SHARD, [put('k4', 'four')]));
    for (const received of [received1, received2]) {
      expect(received.map((entry) => [entry.seq, entry.requestIds])).to.deep.equal([
        [1, ['req-1', 'req-2']],
        [2, ['req-3']],
      ]);
    }
  });

  it('refuses with NOT_ENOUGH_REPLICAS when fewer replicas than minInSync are in sync, writing nothing', async function () {
    ownership = new MapOwnership(SELF, mapWith({ backups: ['backup-1'], epoch: 2, minInSync: 3 }));
    const received: ReplicateRequest[] = [];
    backup(BACKUP_1, received);
    const error = await rejection(committer().commit(SHARD, [put('k1', 'one')]));
    expect(error.code).to.equal('NOT_ENOUGH_REPLICAS');
    expect(received).to.deep.equal([]);
    expect(await textOf('k1')).to.equal(undefined);
    expect(await storedPosition()).to.equal(undefined);
  });

  it('refuses with NOT_ENOUGH_REPLICAS when a shard has lost all its backups and minInSync is 2', async function () {
    ownership = new MapOwnership(SELF, mapWith({ backups: [], epoch: 6 }));
    const error = await rejection(committer().commit(SHARD, [put('k1', 'one')]));
    expect(error.code).to.equal('NOT_ENOUGH_REPLICAS');
    expect(await textOf('k1')).to.equal(undefined);
  });

  it('refuses with LEASE_EXPIRED in checkServing and commit when the lease is not held, writing nothing', async function () {
    lease.held = false;
    const received: ReplicateRequest[] = [];
    backup(BACKUP_1, received);
    backup(BACKUP_2, received);
    const primary = committer(450);
    let thrown: { code?: string } | undefined;
    try {
      primary.checkServing(SHARD);
    } catch (error) {
      thrown = error as { code?: string };
    }
    expect(thrown?.code).to.equal('LEASE_EXPIRED');
    const error = await rejection(primary.commit(SHARD, [put('k1', 'one')]));
    expect(error.code).to.equal('LEASE_EXPIRED');
    expect(lease.leaseChecks).to.deep.equal([450, 450]);
    expect(received).to.deep.equal([]);
    expect(await textOf('k1')).to.equal(undefined);
    expect(await storedPosition()).to.equal(undefined);
  });

  it('sends each entry with the token to every backup before writing it locally with its position', async function () {
    const received: ReplicateRequest[] = [];
    const heldWhenAsked: unknown[] = [];
    for (const base of [BACKUP_1, BACKUP_2]) {
      nock(base, { reqheaders: { [CLUSTER_TOKEN_HEADER]: TOKEN } })
        .post('/internal/replicate-batch', (batch: { entries: ReplicateRequest[] }) => {
          received.push(...batch.entries);
          return true;
        })
        .times(2)
        .reply(200, async (_uri, batch) => {
          heldWhenAsked.push(await storedPosition());
          return { results: (batch as { entries: ReplicateRequest[] }).entries.map((e) => ({ seq: e.seq })) };
        });
    }
    const primary = committer();
    await primary.commit(SHARD, [put('k1', 'one')]);
    expect(await storedPosition()).to.deep.equal({ seq: 1, epoch: 4 });
    await primary.commit(SHARD, [put('k2', 'two'), put('k3', 'three')]);
    expect(nock.isDone()).to.equal(true);
    const entity = (key: string, text: string) => ({
      type: 'note',
      partitionKey: `p-${key}`,
      key,
      value: { version: 1, data: { text }, updatedAt: '2024-05-01T12:00:00.000Z' },
    });
    const first = { shardId: SHARD, epoch: 4, seq: 1, entities: [entity('k1', 'one')] };
    const second = {
      shardId: SHARD,
      epoch: 4,
      seq: 2,
      entities: [entity('k2', 'two'), entity('k3', 'three')],
    };
    expect(received).to.deep.equal([first, first, second, second]);
    // Each backup was asked before the primary held the entry itself.
    expect(heldWhenAsked).to.deep.equal([undefined, undefined, { seq: 1, epoch: 4 }, { seq: 1, epoch: 4 }]);
    expect(await textOf('k1')).to.equal('one');
    expect(await textOf('k3')).to.equal('three');
    expect(await storedPosition()).to.deep.equal({ seq: 2, epoch: 4 });
    expect(lease.reports).to.deep.equal([]);
  });

  it('puts commits issued together into one entry', async function () {
    const received: ReplicateRequest[] = [];
    backup(BACKUP_1, received);
    backup(BACKUP_2, received);
    const primary = committer();
    await Promise.all([
      primary.commit(SHARD, [put('k1', 'one')]),
      primary.commit(SHARD, [put('k2', 'two')]),
      primary.commit(SHARD, [put('k3', 'three')]),
    ]);
    expect(nock.isDone()).to.equal(true);
    expect(received.map((e) => [e.seq, e.entities.map((x) => x.key)])).to.deep.equal([
      [1, ['k1', 'k2', 'k3']],
      [1, ['k1', 'k2', 'k3']],
    ]);
    expect(await storedPosition()).to.deep.equal({ seq: 1, epoch: 4 });
  });

  it('groups commits that arrive while an entry is in flight into the next entry', async function () {
    const received: ReplicateRequest[] = [];
    backup(BACKUP_1, received, { times: 2 });
    backup(BACKUP_2, received, { times: 2 });
    const primary = committer();
    const first = primary.commit(SHARD, [put('k1', 'one')]);
    while (received.length === 0) await new Promise((resolve) => setImmediate(resolve));
    await Promise.all([
      first,
      primary.commit(SHARD, [put('k2', 'two')]),
      primary.commit(SHARD, [put('k3', 'three')]),
    ]);
    expect(nock.isDone()).to.equal(true);
    expect(received.map((e) => [e.seq, e.entities.map((x) => x.key)])).to.deep.equal([
      [1, ['k1']],
      [1, ['k1']],
      [2, ['k2', 'k3']],
      [2, ['k2', 'k3']],
    ]);
    expect(await storedPosition()).to.deep.equal({ seq: 2, epoch: 4 });
    expect(await textOf('k3')).to.equal('three');
  });

  it('reports a backup that answers 500 and acknowledges once the map left enough replicas in sync', async function () {
    const received: ReplicateRequest[] = [];
    backup(BACKUP_1, received);
    backup(BACKUP_2, received, { status: 500, code: 'INTERNAL' });
    lease.onReport = (report) => {
      ownership.update(mapWith({ backups: ['backup-1'], epoch: report.epoch + 1, version: 2 }));
      return Promise.resolve();
    };
    await committer().commit(SHARD, [put('k1', 'one')]);
    expect(lease.reports).to.deep.equal([{ shardId: SHARD, epoch: 4, node: 'backup-2' }]);
    expect(received).to.have.length(2);
    expect(await textOf('k1')).to.equal('one');
    expect(await storedPosition()).to.deep.equal({ seq: 1, epoch: 4 });
  });

  it('sends the next entry only to the backups left, in the new epoch', async function () {
    const received: ReplicateRequest[] = [];
    backup(BACKUP_1, received);
    backup(BACKUP_2, received, { status: 500, code: 'INTERNAL' });
    lease.onReport = () => {
      ownership.update(mapWith({ backups: ['backup-1'], epoch: 5, version: 2 }));
      return Promise.resolve();
    };
    const primary = committer();
    await primary.commit(SHARD, [put('k1', 'one')]);
    const next: ReplicateRequest[] = [];
    backup(BACKUP_1, next);
    await primary.commit(SHARD, [put('k2', 'two')]);
    expect(next.map((e) => [e.epoch, e.seq])).to.deep.equal([[5, 2]]);
    expect(await storedPosition()).to.deep.equal({ seq: 2, epoch: 5 });
  });

  it('reports a backup that cannot be reached like one that refused', async function () {
    const received: ReplicateRequest[] = [];
    backup(BACKUP_1, received);
    lease.onReport = () => {
      ownership.update(mapWith({ backups: ['backup-1'], epoch: 5, version: 2 }));
      return Promise.resolve();
    };
    await committer().commit(SHARD, [put('k1', 'one')]);
    expect(lease.reports).to.deep.equal([{ shardId: SHARD, epoch: 4, node: 'backup-2' }]);
    expect(await textOf('k1')).to.equal('one');
  });

  it('refuses with REPLICATION_FAILED when the map after the report leaves fewer than minInSync in sync', async function () {
    ownership = new MapOwnership(SELF, mapWith({ backups: ['backup-1'], epoch: 4 }));
    backup(BACKUP_1, [], { status: 500, code: 'INTERNAL' });
    lease.onReport = () => {
      ownership.update(mapWith({ backups: [], epoch: 5, version: 2 }));
      return Promise.resolve();
    };
    const error = await rejection(committer().commit(SHARD, [put('k1', 'one')]));
    expect(error.code).to.equal('REPLICATION_FAILED');
    expect(lease.reports).to.deep.equal([{ shardId: SHARD, epoch: 4, node: 'backup-1' }]);
  });

  it('refuses with REPLICATION_FAILED when a backup answers 409 STALE_EPOCH, writing nothing locally', async function () {
    backup(BACKUP_1, []);
    backup(BACKUP_2, [], { status: 409, code: 'STALE_EPOCH' });
    const error = await rejection(committer().commit(SHARD, [put('k1', 'one')]));
    expect(error.code).to.equal('REPLICATION_FAILED');
    expect(lease.reports).to.deep.equal([]);
    expect(lease.pulls).to.equal(1);
    expect(await textOf('k1')).to.equal(undefined);
    expect(await storedPosition()).to.equal(undefined);
  });

  it('refuses with REPLICATION_FAILED when reporting the failed backup fails, but keeps the entry a backup may hold', async function () {
    backup(BACKUP_1, []);
    backup(BACKUP_2, [], { status: 500, code: 'INTERNAL' });
    lease.onReport = () => Promise.reject(new Error('router unreachable'));
    const error = await rejection(committer().commit(SHARD, [put('k1', 'one')]));
    expect(error.code).to.equal('REPLICATION_FAILED');
    expect(lease.reports).to.deep.equal([{ shardId: SHARD, epoch: 4, node: 'backup-2' }]);
    expect(await textOf('k1')).to.equal('one');
    expect(await storedPosition()).to.not.equal(undefined);
  });

  it('refuses with REPLICATION_FAILED when the lease lapses while the entry is replicated', async function () {
    backup(BACKUP_1, []);
    backup(BACKUP_2, []);
    let checks = 0;
    lease.held = () => (checks += 1) === 1;
    const error = await rejection(committer().commit(SHARD, [put('k1', 'one')]));
    expect(error.code).to.equal('REPLICATION_FAILED');
    expect(lease.leaseChecks).to.have.length(2);
  });

  it('refuses with MAP_NOT_READY a shard its map does not have', async function () {
    const error = await rejection(committer().commit('note-9', [put('k1', 'one')]));
    expect(error.code).to.equal('MAP_NOT_READY');
    expect(await textOf('k1')).to.equal(undefined);
  });
});

/**
 * The primary's streams to its backups, against a real loopback server standing in for a
 * backup: a lone entry goes at once, entries that arrive while a batch is in flight go together
 * in the next, each entry settles with its own answer, and a batch that fails fails each entry.
 */
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect } from 'chai';
import type { ReplicateRequest } from '@isx/core';
import { ReplicationStreams } from '../src/replication/replication-streams.js';

interface Backup {
  url: string;
  batches: ReplicateRequest[][];
  /** How the backup answers one batch (default: every entry taken). */
  answer: (entries: ReplicateRequest[]) => Promise<{ status: number; body: unknown }>;
  server: Server;
}

async function startBackup(): Promise<Backup> {
  const backup: Backup = {
    url: '',
    batches: [],
    answer: (entries) =>
      Promise.resolve({ status: 200, body: { results: entries.map((e) => ({ seq: e.seq })) } }),
    server: createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        const { entries } = JSON.parse(Buffer.concat(chunks).toString('utf8')) as {
          entries: ReplicateRequest[];
        };
        expect(request.url).to.equal('/internal/replicate-batch');
        expect(request.headers['x-isx-cluster-token']).to.equal('t');
        backup.batches.push(entries);
        void backup.answer(entries).then(({ status, body }) => {
          response.writeHead(status, { 'content-type': 'application/json' });
          response.end(JSON.stringify(body));
        });
      });
    }),
  };
  backup.server.listen(0, '127.0.0.1');
  await once(backup.server, 'listening');
  backup.url = `http://127.0.0.1:${(backup.server.address() as AddressInfo).port}`;
  return backup;
}

const entry = (shardId: string, seq = 1): ReplicateRequest => ({
  shardId,
  epoch: 1,
  seq,
  entities: [
    { type: 'note', partitionKey: 'p', key: `${shardId}-${seq}`, value: { version: 1, updatedAt: 'now' } },
  ],
});

describe('replication streams (one per backup, across shards)', () => {
  let backup: Backup;
  let streams: ReplicationStreams;

  beforeEach(async () => {
    backup = await startBackup();
    streams = new ReplicationStreams({ token: 't', urlOf: () => backup.url, timeoutMs: 2_000 });
  });

  afterEach(async () => {
    backup.server.closeAllConnections();
    await new Promise((resolve) => backup.server.close(resolve));
  });

  it('sends a lone entry at once, and the entries that arrive meanwhile together in the next batch', async () => {
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const plain = backup.answer;
    backup.answer = async (entries) => {
      if (backup.batches.length === 1) await held;
      return plain(entries);
    };
    const first = streams.send('b1', entry('s0'));
    while (backup.batches.length === 0) await new Promise((resolve) => setTimeout(resolve, 5));
    const rest = Array.from({ length: 9 }, (_, i) => streams.send('b1', entry(`s${i + 1}`)));
    release();
    await Promise.all([first, ...rest]);
    expect(backup.batches.map((b) => b.map((e) => e.shardId))).to.deep.equal([
      ['s0'],
      ['s1', 's2', 's3', 's4', 's5', 's6', 's7', 's8', 's9'],
    ]);
    expect(streams.stats).to.deep.equal({ requests: 2, entries: 10 });
  });

  it('settles each entry of a batch with the backup’s own answer to it', async () => {
    backup.answer = (entries) =>
      Promise.resolve({
        status: 200,
        body: {
          results: entries.map((e) =>
            e.shardId === 'bad' ? { error: { code: 'STALE_EPOCH', message: 'newer epoch' } } : { seq: e.seq },
          ),
        },
      });
    const outcomes = await Promise.allSettled([
      streams.send('b1', entry('good')),
      streams.send('b1', entry('bad')),
    ]);
    expect(outcomes[0].status).to.equal('fulfilled');
    expect(outcomes[1].status).to.equal('rejected');
    expect((outcomes[1] as PromiseRejectedResult).reason).to.include({ code: 'STALE_EPOCH' });
  });

  it('fails every entry of a batch the backup refused as a whole, with its code', async () => {
    backup.answer = () =>
      Promise.resolve({ status: 401, body: { error: { code: 'UNAUTHORIZED', message: 'no' } } });
    const outcomes = await Promise.allSettled([
      streams.send('b1', entry('a')),
      streams.send('b1', entry('b')),
    ]);
    for (const outcome of outcomes) {
      expect(outcome.status).to.equal('rejected');
      expect((outcome as PromiseRejectedResult).reason).to.include({ code: 'UNAUTHORIZED' });
    }
  });

  it('fails an entry for a backup it has no URL for, without a request', async () => {
    const lost = new ReplicationStreams({ token: 't', urlOf: () => undefined, timeoutMs: 100 });
    const error = await lost.send('gone', entry('a')).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).to.include({ code: 'UNKNOWN_NODE' });
    expect(backup.batches).to.have.length(0);
  });
});

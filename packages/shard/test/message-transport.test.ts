import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect } from 'chai';
import {
  deliveryRequestSchema,
  IsxError,
  parseClusterConfig,
  ShardMap,
  type DeliveredBatch,
  type DeliveryResult,
} from '@isx/core';
import { messageTransport } from '../src/activities/message-transport.js';

/** A receiving node on loopback that records each request and answers each delivery as told. */
interface FakeReceiver {
  readonly url: string;
  /** The deliveries of each request received, in order. */
  readonly requests: DeliveredBatch[][];
  answer: (delivery: DeliveredBatch) => DeliveryResult;
  /** Answers the whole request with this status and body instead. */
  refuseAll?: { status: number; body: unknown };
  close(): Promise<void>;
}

async function fakeReceiver(): Promise<FakeReceiver> {
  const requests: DeliveredBatch[][] = [];
  let server: Server | undefined = undefined;
  const receiver: FakeReceiver = {
    url: '',
    requests,
    answer: (delivery) => ({ through: delivery.messages.at(-1)!.seq, applied: delivery.messages.length }),
    close: () => new Promise((resolve) => server!.close(() => resolve())),
  };
  server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const { deliveries } = deliveryRequestSchema.parse(JSON.parse(Buffer.concat(chunks).toString()));
      requests.push(deliveries as DeliveredBatch[]);
      const { status, body } = receiver.refuseAll ?? {
        status: 200,
        body: { results: (deliveries as DeliveredBatch[]).map((d) => receiver.answer(d)) },
      };
      response.writeHead(status, { 'content-type': 'application/json' });
      response.end(JSON.stringify(body));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  Object.assign(receiver, { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` });
  return receiver;
}

/** Profiles `a…m` on the first node and `n…z` on the second, or every profile on `all`. */
function mapOf(first: string, second: string, version = 1): ShardMap {
  return new ShardMap(
    parseClusterConfig({
      nodes: { 'node-a': { url: first }, 'node-b': { url: second } },
      types: {
        profile: {
          partitioner: 'lexical',
          keySpace: { start: 'a', end: '{' },
          shards: [
            { id: 'profile-a-m', range: { start: 'a', end: 'n' }, node: 'node-a' },
            { id: 'profile-n-z', range: { start: 'n', end: '{' }, node: 'node-b' },
          ],
        },
      },
    }),
    version,
  );
}

const delivery = (from: string, to: string, seqs: number[], text = 'x'): DeliveredBatch => ({
  from: { type: 'campaign', key: from },
  to: { type: 'profile', key: to },
  messages: seqs.map((seq) => ({ seq, kind: 'set-targets', payload: { text } })),
});

const wrongShard = (): DeliveryResult => ({
  status: 421,
  error: { code: 'WRONG_SHARD', message: 'not here' },
});

describe('messageTransport against receiving nodes on loopback', function () {
  let a: FakeReceiver;
  let b: FakeReceiver;

  beforeEach(async function () {
    [a, b] = await Promise.all([fakeReceiver(), fakeReceiver()]);
  });

  afterEach(async function () {
    await Promise.all([a.close(), b.close()]);
  });

  it('sends the deliveries of one turn in one request per receiving node, and answers each', async function () {
    const map = mapOf(a.url, b.url);
    const deliver = messageTransport({ token: 't', map: () => map, pullMap: async () => {} });
    const answers = await Promise.all([
      deliver(delivery('c1', 'alice', [1, 2])),
      deliver(delivery('c2', 'bob', [7])),
      deliver(delivery('c3', 'zoe', [3])),
    ]);
    expect(answers).to.deep.equal([{ through: 2 }, { through: 7 }, { through: 3 }]);
    expect(a.requests.map((r) => r.map((d) => d.to.key))).to.deep.equal([['alice', 'bob']]);
    expect(b.requests.map((r) => r.map((d) => d.to.key))).to.deep.equal([['zoe']]);
  });

  it('refuses only the delivery the receiver refused, with its status', async function () {
    const map = mapOf(a.url, b.url);
    a.answer = (d) =>
      d.to.key === 'bob'
        ? { status: 400, error: { code: 'VALIDATION_FAILED', message: 'bad payload' } }
        : { through: d.messages.at(-1)!.seq, applied: 1 };
    const deliver = messageTransport({ token: 't', map: () => map, pullMap: async () => {} });
    const [alice, bob] = await Promise.allSettled([
      deliver(delivery('c1', 'alice', [1])),
      deliver(delivery('c2', 'bob', [1])),
    ]);
    expect(alice).to.deep.equal({ status: 'fulfilled', value: { through: 1 } });
    expect(bob.status).to.equal('rejected');
    const refusal = (bob as PromiseRejectedResult).reason as IsxError;
    expect(refusal).to.be.instanceOf(IsxError);
    expect([refusal.code, refusal.status]).to.deep.equal(['VALIDATION_FAILED', 400]);
  });

  it('fails every delivery of a request refused as a whole, with that refusal', async function () {
    const map = mapOf(a.url, b.url);
    a.refuseAll = { status: 401, body: { error: { code: 'UNAUTHORIZED', message: 'no token' } } };
    const deliver = messageTransport({ token: 't', map: () => map, pullMap: async () => {} });
    const outcomes = await Promise.allSettled([
      deliver(delivery('c1', 'alice', [1])),
      deliver(delivery('c2', 'bob', [1])),
    ]);
    expect(outcomes.map((o) => o.status)).to.deep.equal(['rejected', 'rejected']);
    expect(outcomes.map((o) => ((o as PromiseRejectedResult).reason as IsxError).status)).to.deep.equal([
      401, 401,
    ]);
  });

  it('chases a receiver that moved: pulls the map once and sends again to the new owner', async function () {
    let map = mapOf(a.url, b.url, 1);
    let pulls = 0;
    a.answer = wrongShard;
    const deliver = messageTransport({
      token: 't',
      map: () => map,
      pullMap: async () => {
        pulls += 1;
        map = await Promise.resolve(mapOf(b.url, b.url, 2));
      },
    });
    const answers = await Promise.all([
      deliver(delivery('c1', 'alice', [4])),
      deliver(delivery('c2', 'bob', [5])),
    ]);
    expect(answers).to.deep.equal([{ through: 4 }, { through: 5 }]);
    expect(pulls, 'one pull for both').to.equal(1);
    expect(b.requests.map((r) => r.map((d) => d.to.key))).to.deep.equal([['alice', 'bob']]);
  });

  it('gives up chasing after three pulls that did not help', async function () {
    const map = mapOf(a.url, b.url);
    let pulls = 0;
    a.answer = wrongShard;
    const deliver = messageTransport({
      token: 't',
      map: () => map,
      pullMap: () => Promise.resolve(void (pulls += 1)),
    });
    const outcome = await deliver(delivery('c1', 'alice', [1])).catch((error: IsxError) => error.code);
    expect(outcome).to.equal('WRONG_SHARD');
    expect(pulls).to.equal(3);
    expect(a.requests).to.have.length(4);
  });

  it('splits deliveries too big for one request over several', async function () {
    const map = mapOf(a.url, b.url);
    const deliver = messageTransport({ token: 't', map: () => map, pullMap: async () => {} });
    // 40 deliveries of about 20 kB each: about 800 kB, more than a request carries.
    const big = 'y'.repeat(20_000);
    const answers = await Promise.all(
      Array.from({ length: 40 }, (_, i) => deliver(delivery(`c${i}`, 'alice', [i + 1], big))),
    );
    expect(answers.map((answer) => answer.through)).to.deep.equal(
      Array.from({ length: 40 }, (_, i) => i + 1),
    );
    expect(a.requests.length).to.be.at.least(2);
    expect(a.requests.flat()).to.have.length(40);
  });

  it('waits, without sending, while no node serves the receiver type', async function () {
    const map = mapOf(a.url, b.url);
    const deliver = messageTransport({ token: 't', map: () => map, pullMap: async () => {} });
    const outcome = await deliver({
      ...delivery('c1', 'alice', [1]),
      to: { type: 'advertiser', key: 'x' },
    }).catch((error: IsxError) => error.code);
    expect(outcome).to.equal('MAP_NOT_READY');
    expect(a.requests.length + b.requests.length).to.equal(0);
  });
});

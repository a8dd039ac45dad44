/**
 * Messages between entities on the entity host (DESIGN §7), over a real Level store: an
 * operation's messages are queued in the sender's own record in the same write, the receiver
 * applies each exactly once, acknowledgements and dead letters change only the activity, and
 * refused messages change nothing.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import {
  defineEntity,
  parseClusterConfig,
  ShardMap,
  withMessages,
  type EntityAddress,
  type IsxError,
} from '@isx/core';
import { z } from 'zod';
import { EntityHost } from '../src/entity-host.js';
import { EntityStore } from '../src/entity-store.js';
import { StaticOwnership } from '../src/ownership.js';
import { fixedClock } from './entity-host-fixture.js';

const order = defineEntity({
  type: 'order',
  input: z.strictObject({ item: z.string(), quantity: z.int().min(1), bad: z.boolean().optional() }),
  build: (input, { key }) =>
    input.bad
      ? withMessages({ ...input }, { to: { type: 'stock', key: 'not a key!' }, kind: 'reserve', payload: 1 })
      : withMessages(
          { ...input },
          {
            to: { type: 'stock', key: input.item },
            kind: 'reserve',
            payload: { quantity: input.quantity, order: key },
          },
        ),
});

const stock = defineEntity({
  type: 'stock',
  input: z.strictObject({ reserved: z.int().min(0) }),
  receives: {
    reserve: {
      payload: z.strictObject({ quantity: z.int().min(1), order: z.string() }),
      apply: (state: { reserved: number } | undefined, payload: { quantity: number; order: string }, ctx) =>
        withMessages(
          { reserved: (state?.reserved ?? 0) + payload.quantity },
          { to: ctx.from, kind: 'reserved', payload: { quantity: payload.quantity } },
        ),
    },
  },
});

function map(): ShardMap {
  return new ShardMap(
    parseClusterConfig({
      nodes: { 'node-a': { url: 'http://127.0.0.1:4101' } },
      types: {
        order: {
          partitioner: 'lexical',
          shards: [{ id: 'order-1', range: { start: '', end: null }, node: 'node-a' }],
        },
        stock: {
          partitioner: 'lexical',
          shards: [{ id: 'stock-1', range: { start: '', end: null }, node: 'node-a' }],
        },
      },
    }),
  );
}

const ORDER: EntityAddress = { type: 'order', key: 'o1' };

describe('EntityHost: messages between entities', () => {
  let directory: string;
  let store: EntityStore;
  let host: EntityHost;
  let queued: string[];

  beforeEach(async () => {
    directory = await mkdtemp(join(tmpdir(), 'isx-activities-'));
    store = await EntityStore.open(directory, { sync: false });
    queued = [];
    host = new EntityHost({
      store,
      entities: [order, stock],
      ownership: new StaticOwnership(map(), 'node-a'),
      clock: fixedClock,
      onMessagesQueued: (sender, shardId) => queued.push(`${sender.type}/${sender.key}@${shardId}`),
    });
  });

  afterEach(async () => {
    await store.close();
    await rm(directory, { recursive: true, force: true });
  });

  async function rejection(promise: Promise<unknown>): Promise<IsxError> {
    return promise.then(
      () => {
        throw new Error('expected a rejection');
      },
      (error: IsxError) => error,
    );
  }

  it('queues an operation’s messages in the sender’s record, numbered per receiver, in the same write', async () => {
    await host.put('order', 'o1', { item: 'apple', quantity: 2 });
    await host.put('order', 'o1', { item: 'apple', quantity: 3 });
    const activity = await host.activities('order', 'o1');
    expect(activity.out?.['stock/apple']).to.deep.include({ sent: 2, acked: 0 });
    expect(activity.out?.['stock/apple']?.pending.map((m) => [m.seq, m.kind, m.payload])).to.deep.equal([
      [1, 'reserve', { quantity: 2, order: 'o1' }],
      [2, 'reserve', { quantity: 3, order: 'o1' }],
    ]);
    expect((await host.get('order', 'o1')).version).to.equal(2);
    expect(queued).to.deep.equal(['order/o1@order-1', 'order/o1@order-1']);
  });

  /** One message from order o1 to `to`, as a delivery of one. */
  const one = (to: string, seq: number, kind: string, payload: unknown) => ({
    from: ORDER,
    to: { type: 'stock', key: to },
    messages: [{ seq, kind, payload: payload as never }],
  });

  it('applies a message once; a repeat is acknowledged without effect', async () => {
    const message = one('apple', 1, 'reserve', { quantity: 2, order: 'o1' });
    expect(await host.receive(message)).to.deep.equal({ through: 1, applied: 1, version: 1 });
    expect(await host.receive(message)).to.deep.equal({ through: 1, applied: 0 });
    const apple = await host.get('stock', 'apple');
    expect(apple).to.deep.include({ version: 1, data: { reserved: 2 } });
    const activity = await host.activities('stock', 'apple');
    expect(activity.in).to.deep.equal({ 'order/o1': { applied: 1 } });
    expect(
      activity.out?.['order/o1']?.pending.map((m) => m.kind),
      'the reply is queued with the state',
    ).to.deep.equal(['reserved']);
    expect(await host.receive(one('apple', 2, 'reserve', { quantity: 5, order: 'o1' }))).to.include({
      applied: 1,
    });
    expect((await host.get('stock', 'apple')).data).to.deep.equal({ reserved: 7 });
  });

  it('applies a window of messages in one write, skipping those applied before, and answers through the last', async () => {
    await host.receive(one('plum', 1, 'reserve', { quantity: 1, order: 'o1' }));
    const window = {
      from: ORDER,
      to: { type: 'stock', key: 'plum' },
      messages: [1, 2, 3].map((seq) => ({
        seq,
        kind: 'reserve',
        payload: { quantity: 10 * seq, order: 'o1' },
      })),
    };
    expect(await host.receive(window)).to.deep.equal({ through: 3, applied: 2, version: 2 });
    expect(await host.get('stock', 'plum')).to.deep.include({ version: 2, data: { reserved: 51 } });
    expect((await host.activities('stock', 'plum')).in).to.deep.equal({ 'order/o1': { applied: 3 } });
    expect((await host.activities('stock', 'plum')).out?.['order/o1']?.sent, 'one reply each').to.equal(3);
  });

  it('applies the messages before a refused one and stops short of it', async () => {
    const window = {
      from: ORDER,
      to: { type: 'stock', key: 'fig' },
      messages: [
        { seq: 1, kind: 'reserve', payload: { quantity: 4, order: 'o1' } },
        { seq: 2, kind: 'reserve', payload: { quantity: 0, order: 'o1' } },
        { seq: 3, kind: 'reserve', payload: { quantity: 5, order: 'o1' } },
      ],
    };
    expect(await host.receive(window)).to.deep.equal({ through: 1, applied: 1, version: 1 });
    expect((await host.get('stock', 'fig')).data).to.deep.equal({ reserved: 4 });
    const refused = await rejection(host.receive({ ...window, messages: window.messages.slice(1) }));
    expect(refused.code).to.equal('VALIDATION_FAILED');
    expect((await host.activities('stock', 'fig')).in).to.deep.equal({ 'order/o1': { applied: 1 } });
  });

  it('refuses for good a kind the entity does not accept, or a payload its schema refuses, changing nothing', async () => {
    const unknown = await rejection(host.receive(one('pear', 1, 'cancel', {})));
    expect(unknown.code).to.equal('UNKNOWN_MESSAGE_KIND');
    const invalid = await rejection(host.receive(one('pear', 1, 'reserve', { quantity: 0, order: 'o1' })));
    expect(invalid.code).to.equal('VALIDATION_FAILED');
    expect((await rejection(host.get('stock', 'pear'))).code).to.equal('NOT_FOUND');
  });

  it('acknowledges and parks by changing the activity only, never the data or the version', async () => {
    for (const quantity of [1, 2, 3]) await host.put('order', 'o1', { item: 'apple', quantity });
    await host.acknowledge(ORDER, 'stock/apple', 2);
    let activity = await host.activities('order', 'o1');
    expect(activity.out?.['stock/apple']).to.deep.include({ sent: 3, acked: 2 });
    expect(activity.out?.['stock/apple']?.pending.map((m) => m.seq)).to.deep.equal([3]);
    await host.park(ORDER, 'stock/apple', 3, { reason: 'UNKNOWN_MESSAGE_KIND', attempts: 1 });
    activity = await host.activities('order', 'o1');
    expect(activity.out?.['stock/apple']?.pending).to.deep.equal([]);
    expect(activity.dead?.map((d) => [d.to, d.seq, d.reason])).to.deep.equal([
      ['stock/apple', 3, 'UNKNOWN_MESSAGE_KIND'],
    ]);
    expect(await host.get('order', 'o1')).to.deep.include({
      version: 3,
      data: { item: 'apple', quantity: 3 },
    });
  });

  it('sends dead letters again under new sequence numbers, and tells the delivery loop', async () => {
    for (const quantity of [1, 2]) await host.put('order', 'o1', { item: 'apple', quantity });
    await host.park(ORDER, 'stock/apple', 1, { reason: 'MAX_ATTEMPTS', attempts: 20 });
    await host.acknowledge(ORDER, 'stock/apple', 2);
    queued.length = 0;
    expect(await host.replayDead(ORDER, { seq: 7 }), 'no such letter').to.equal(0);
    expect(await host.replayDead(ORDER, { partner: 'stock/apple' })).to.equal(1);
    const activity = await host.activities('order', 'o1');
    expect(activity.dead).to.deep.equal([]);
    expect(activity.out?.['stock/apple']).to.deep.include({ sent: 3, acked: 2 });
    expect(activity.out?.['stock/apple']?.pending.map((m) => [m.seq, m.payload])).to.deep.equal([
      [3, { quantity: 1, order: 'o1' }],
    ]);
    expect(queued).to.deep.equal(['order/o1@order-1']);
    expect((await host.get('order', 'o1')).version, 'data and version untouched').to.equal(2);
  });

  it('keeps messages still to deliver when their sender is deleted', async () => {
    await host.put('order', 'o1', { item: 'apple', quantity: 2 });
    await host.delete('order', 'o1');
    expect((await host.activities('order', 'o1')).out?.['stock/apple']?.pending).to.have.length(1);
  });

  it('writes nothing when an operation produces an invalid message', async () => {
    const error = await rejection(host.put('order', 'o2', { item: 'apple', quantity: 1, bad: true }));
    expect(error.code).to.equal('INTERNAL');
    expect((await rejection(host.get('order', 'o2'))).code).to.equal('NOT_FOUND');
    expect(queued).to.deep.equal([]);
  });
});

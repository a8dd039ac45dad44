/**
 * The delivery loop on an injected clock: in order, one delivery (a window of messages) in
 * flight per pair, capped
 * exponential back-off with jitter, dead letters after maxAttempts or a permanent refusal,
 * and pairs that do not hold each other up. The outbox here is a small in-memory double of
 * the entity host's (whose own behaviour is tested over Level in entity-host-activities).
 */
import { expect } from 'chai';
import { pino } from 'pino';
import {
  IsxError,
  RetryableError,
  type DeliveredBatch,
  type EntityAddress,
  type PendingMessage,
} from '@isx/core';
import { DeliveryLoop, type Outbox, type PendingHead } from '../src/activities/delivery-loop.js';

const SENDER: EntityAddress = { type: 'campaign', key: 'c1' };

class MemoryOutbox implements Outbox {
  /** How many messages of a pair one delivery carries. */
  window = 1;
  readonly pending = new Map<string, PendingMessage[]>();
  readonly dead: Array<{ partner: string; seq: number; reason: string; attempts: number }> = [];

  queue(partner: string, count: number): void {
    const list = this.pending.get(partner) ?? [];
    for (let i = 0; i < count; i += 1) {
      list.push({
        seq: list.length + 1,
        kind: 'set-targets',
        payload: { n: list.length + 1 },
        sentAt: 'then',
      });
    }
    this.pending.set(partner, list);
  }

  heads(): Promise<PendingHead[]> {
    return Promise.resolve(
      [...this.pending].flatMap(([partner, list]) => {
        const [type, key] = partner.split('/') as [string, string];
        const messages = list.slice(0, this.window);
        return messages.length > 0 ? [{ partner, to: { type, key }, messages, queued: list.length }] : [];
      }),
    );
  }

  acknowledge(_sender: EntityAddress, partner: string, seq: number): Promise<void> {
    this.pending.set(
      partner,
      (this.pending.get(partner) ?? []).filter((m) => m.seq > seq),
    );
    return Promise.resolve();
  }

  park(
    _sender: EntityAddress,
    partner: string,
    seq: number,
    why: { reason: string; attempts: number },
  ): Promise<void> {
    this.pending.set(
      partner,
      (this.pending.get(partner) ?? []).filter((m) => m.seq !== seq),
    );
    this.dead.push({ partner, seq, ...why });
    return Promise.resolve();
  }
}

/** A receiver that takes the whole delivery. */
const takeAll = (batch: DeliveredBatch): Promise<{ through: number }> =>
  Promise.resolve({ through: batch.messages[batch.messages.length - 1]!.seq });

/** The first message of a delivery, for the tests that send one at a time. */
const firstOf = (batch: DeliveredBatch) => ({ ...batch.messages[0]!, to: batch.to });

function setUp(deliver: (batch: DeliveredBatch) => Promise<{ through: number }>, policy = {}) {
  const clock = { at: 0 };
  const outbox = new MemoryOutbox();
  const loop = new DeliveryLoop({
    outbox,
    deliver,
    logger: pino({ level: 'silent' }),
    policy: { baseMs: 100, maxMs: 1_000, maxAttempts: 20, jitter: 0.2, ...policy },
    now: () => clock.at,
    random: () => 0.5, // jitter factor 1: waits are exactly the capped exponential
  });
  return { clock, outbox, loop };
}

const unavailable = (): RetryableError => new RetryableError('NODE_UNAVAILABLE', 'down');

describe('the delivery loop', () => {
  it('delivers each pair’s messages in order, one per round, then forgets the sender', async () => {
    const seen: string[] = [];
    const { outbox, loop } = setUp((batch) => {
      const m = firstOf(batch);
      seen.push(`${m.to.key}#${m.seq}`);
      return takeAll(batch);
    });
    outbox.queue('profile/c1', 3);
    loop.notice(SENDER);
    for (let round = 0; round < 3; round += 1) expect(await loop.tick()).to.equal(1);
    expect(seen).to.deep.equal(['c1#1', 'c1#2', 'c1#3']);
    expect(await loop.tick()).to.equal(0);
    expect(loop.senders, 'nothing left to deliver').to.equal(0);
    expect(loop.totals).to.deep.include({ delivered: 3, retried: 0, parked: 0 });
  });

  it('retries after a capped exponential back-off, attempting nothing before it is due', async () => {
    let failures = 5;
    const attemptsAt: number[] = [];
    const { clock, outbox, loop } = setUp((batch) => {
      attemptsAt.push(clock.at);
      return failures-- > 0 ? Promise.reject(unavailable()) : takeAll(batch);
    });
    outbox.queue('profile/c1', 1);
    loop.notice(SENDER);
    await loop.tick();
    for (const wait of [100, 200, 400, 800, 1_000]) {
      expect(loop.nextDueIn()).to.equal(wait);
      clock.at += wait - 1;
      expect(await loop.tick(), `nothing at ${wait - 1} ms of ${wait}`).to.equal(0);
      clock.at += 1;
      expect(await loop.tick()).to.equal(1);
    }
    expect(attemptsAt).to.deep.equal([0, 100, 300, 700, 1_500, 2_500]);
    expect(outbox.pending.get('profile/c1')).to.deep.equal([]);
    expect(loop.totals).to.deep.include({ delivered: 1, retried: 5 });
  });

  it('spreads waits by the jitter', () => {
    const low = new DeliveryLoop({
      outbox: new MemoryOutbox(),
      deliver: takeAll,
      logger: pino({ level: 'silent' }),
      policy: { baseMs: 100, maxMs: 1_000, jitter: 0.2 },
      random: () => 0,
    });
    expect(low.backoffMs(1)).to.equal(80);
    expect(low.backoffMs(10), 'capped, then jittered').to.equal(800);
  });

  it('parks a message still undelivered after maxAttempts, and goes on with the next', async () => {
    const { clock, outbox, loop } = setUp(
      (batch) => (firstOf(batch).seq === 1 ? Promise.reject(unavailable()) : takeAll(batch)),
      {
        maxAttempts: 3,
      },
    );
    outbox.queue('profile/c1', 2);
    loop.notice(SENDER);
    for (let i = 0; i < 3; i += 1) {
      await loop.tick();
      clock.at += 10_000;
    }
    expect(outbox.dead).to.deep.equal([
      { partner: 'profile/c1', seq: 1, reason: 'MAX_ATTEMPTS (last: NODE_UNAVAILABLE)', attempts: 3 },
    ]);
    await loop.tick();
    expect(outbox.pending.get('profile/c1'), 'message 2 went through').to.deep.equal([]);
  });

  it('parks at once a message the receiver refuses for good', async () => {
    const { outbox, loop } = setUp(() =>
      Promise.reject(new IsxError('UNKNOWN_MESSAGE_KIND', 'no such kind')),
    );
    outbox.queue('profile/c1', 1);
    loop.notice(SENDER);
    await loop.tick();
    expect(outbox.dead.map((d) => [d.seq, d.reason, d.attempts])).to.deep.equal([
      [1, 'UNKNOWN_MESSAGE_KIND', 1],
    ]);
  });

  it('sends a message again when its acknowledgement could not be recorded, and keeps going', async () => {
    const seen: number[] = [];
    const { clock, outbox, loop } = setUp((batch) => {
      seen.push(firstOf(batch).seq);
      return takeAll(batch);
    });
    const acknowledge = outbox.acknowledge.bind(outbox);
    let refuse = 1;
    outbox.acknowledge = (sender, partner, seq) =>
      refuse-- > 0
        ? Promise.reject(new RetryableError('SHARD_MOVING', 'moving'))
        : acknowledge(sender, partner, seq);
    outbox.queue('profile/c1', 2);
    loop.notice(SENDER);
    await loop.tick();
    expect(loop.nextDueIn(), 'backed off').to.be.greaterThan(0);
    clock.at += 10_000;
    await loop.tick();
    await loop.tick();
    expect(seen, 'message 1 went twice: the receiver takes the repeat without effect').to.deep.equal([
      1, 1, 2,
    ]);
    expect(outbox.pending.get('profile/c1')).to.deep.equal([]);
  });

  it('does not let a failing receiver hold up another', async () => {
    const delivered: string[] = [];
    const { outbox, loop } = setUp((batch) => {
      const m = firstOf(batch);
      if (m.to.key === 'down') return Promise.reject(unavailable());
      delivered.push(`${m.to.key}#${m.seq}`);
      return takeAll(batch);
    });
    outbox.queue('profile/down', 2);
    outbox.queue('profile/up', 2);
    loop.notice(SENDER);
    await loop.tick();
    await loop.tick();
    expect(delivered).to.deep.equal(['up#1', 'up#2']);
    expect(outbox.pending.get('profile/down')?.map((m) => m.seq)).to.deep.equal([1, 2]);
  });

  it('sends a backlog a window at a time, in order, and acknowledges through what the receiver holds', async () => {
    const windows: number[][] = [];
    const { outbox, loop } = setUp((batch) => {
      windows.push(batch.messages.map((m) => m.seq));
      return takeAll(batch);
    });
    outbox.window = 3;
    outbox.queue('profile/c1', 7);
    loop.notice(SENDER);
    for (let round = 0; round < 3; round += 1) expect(await loop.tick()).to.equal(1);
    expect(windows).to.deep.equal([[1, 2, 3], [4, 5, 6], [7]]);
    expect(outbox.pending.get('profile/c1')).to.deep.equal([]);
    expect(loop.totals).to.deep.include({ delivered: 7, retried: 0 });
  });

  it('parks a refused message that followed others in a window, once the receiver took those before it', async () => {
    // The receiver applies messages 1 and 2, stops short of 3 (a payload it refuses), and
    // refuses 3 for good when it comes first.
    const { outbox, loop } = setUp((batch) => {
      const seqs = batch.messages.map((m) => m.seq);
      if (seqs[0] === 3) return Promise.reject(new IsxError('VALIDATION_FAILED', 'bad payload'));
      return Promise.resolve({ through: Math.min(2, seqs[seqs.length - 1]!) });
    });
    outbox.window = 4;
    outbox.queue('profile/c1', 3);
    loop.notice(SENDER);
    await loop.tick();
    expect(outbox.pending.get('profile/c1')?.map((m) => m.seq)).to.deep.equal([3]);
    await loop.tick();
    expect(outbox.dead.map((d) => [d.seq, d.reason])).to.deep.equal([[3, 'VALIDATION_FAILED']]);
    expect(outbox.pending.get('profile/c1')).to.deep.equal([]);
  });

  it('keeps a sender noticed again while a round read its record as empty, and delivers what it queued', async () => {
    const delivered: number[] = [];
    const { outbox, loop } = setUp((batch) => {
      delivered.push(...batch.messages.map((m) => m.seq));
      return takeAll(batch);
    });
    const heads = outbox.heads.bind(outbox);
    let racing = true;
    outbox.heads = async () => {
      const read = await heads();
      if (racing) {
        // A write commits a message and notices its sender after the round read the record.
        racing = false;
        outbox.queue('profile/c1', 1);
        loop.notice(SENDER);
      }
      return read;
    };
    loop.notice(SENDER);
    expect(await loop.tick()).to.equal(0);
    expect(loop.senders, 'the sender is still known').to.equal(1);
    expect(await loop.tick()).to.equal(1);
    expect(delivered).to.deep.equal([1]);
  });

  it('knows how many messages its senders still had to deliver when it last read their records', async () => {
    const { outbox, loop } = setUp(takeAll);
    outbox.queue('profile/c1', 5);
    outbox.queue('profile/c2', 2);
    loop.notice(SENDER);
    expect(loop.queuedMessages, 'nothing read yet').to.equal(0);
    await loop.tick();
    expect(loop.queuedMessages, 'as read before the round delivered one to each').to.equal(7);
    await loop.tick();
    expect(loop.queuedMessages).to.equal(5);
    for (let round = 0; round < 5; round += 1) await loop.tick();
    expect(loop.senders).to.equal(0);
    expect(loop.queuedMessages, 'a sender with nothing left is forgotten').to.equal(0);
  });
});

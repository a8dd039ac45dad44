/**
 * The dashboard's parts without a browser: the request window's seconds and percentiles, the
 * event journal's wording and capacity, the feed's snapshots (sent at once, on events, never
 * overlapping, stopped with no one watching) and where the page puts a partition key.
 */
import { expect } from 'chai';
import { pino } from 'pino';
import {
  dashboardSnapshotSchema,
  ShardMap,
  type ClusterView,
  type DashboardSnapshot,
  type DeadLettersAnswer,
} from '@isx/core';
import { DashboardFeed } from '../src/dashboard/dashboard-feed.js';
import { EventJournal } from '../src/dashboard/event-journal.js';
import { RequestWindow } from '../src/dashboard/request-window.js';
import { keyPosition } from '../dashboard-page/key-position.js';
import { config, LOWER, UPPER } from './support/replica-sets.js';

function map(primaryOfSecond = 'n2', epoch = 1): ShardMap {
  return new ShardMap(
    config({
      note: [
        { id: 'note-1', range: LOWER, node: 'n1', backups: ['n2', 'n3'], epoch: 1 },
        { id: 'note-2', range: UPPER, node: primaryOfSecond, backups: ['n1', 'n3'], epoch },
      ],
    }),
    5,
  );
}

describe('RequestWindow', () => {
  it('keeps one bucket per second for a minute, with counts, errors and percentiles', () => {
    let now = 1_000_000;
    const window = new RequestWindow({ now: () => now });
    for (let i = 1; i <= 100; i += 1) window.record(i, i <= 2 ? 503 : 200);
    now += 1_000;
    window.record(7, 0);
    const seconds = window.seconds();
    expect(seconds).to.have.length(60);
    expect(seconds.at(-2)).to.deep.equal({ at: 1_000_000, requests: 100, errors: 2, p50Ms: 50, p99Ms: 99 });
    expect(seconds.at(-1)).to.deep.equal({ at: 1_001_000, requests: 1, errors: 1, p50Ms: 7, p99Ms: 7 });
    expect(seconds[0]).to.deep.equal({
      at: 1_001_000 - 59_000,
      requests: 0,
      errors: 0,
      p50Ms: null,
      p99Ms: null,
    });
  });

  it('forgets seconds older than the window', () => {
    let now = 5_000;
    const window = new RequestWindow({ now: () => now, seconds: 3 });
    window.record(1, 200);
    now += 3_000;
    expect(window.seconds().map((s) => s.requests)).to.deep.equal([0, 0, 0]);
  });

  it('samples at most 512 latencies a second and still counts every request', () => {
    const window = new RequestWindow({ now: () => 0, random: () => 0 });
    for (let i = 0; i < 2_000; i += 1) window.record(i < 512 ? 1 : 1_000, 200);
    const [second] = window.seconds().slice(-1);
    expect(second!.requests).to.equal(2_000);
    // With random() = 0 each later request replaces slot 0, so one sample is slow.
    expect(second!.p99Ms).to.equal(1);
    expect(second!.p50Ms).to.equal(1);
  });
});

describe('EventJournal', () => {
  it('words liveness changes, failovers with the new primary and epoch, and moves', () => {
    let current = map();
    const journal = new EventJournal({ map: () => current, now: () => new Date('2026-12-03T10:00:00Z') });
    journal.livenessChanged({ nodeId: 'n2', from: 'suspect', to: 'dead' });
    current = map('n3', 2);
    journal.failedOver('note-2');
    journal.moveStarted('add-replica', { shardId: 'note-2', to: 'n4' });
    journal.moveFinished('move-replica', 'failed', { shardId: 'note-1', from: 'n1', to: 'n4' });
    journal.moveFinished('split', 'done', { shardId: 'note-1', to: 'note-3' });
    expect(journal.events.map((e) => [e.kind, e.text])).to.deep.equal([
      ['liveness', 'n2: suspect → dead'],
      ['failover', 'note-2 failed over: n3 is its primary now, epoch 2'],
      ['move-started', 'add-replica of note-2 to n4 started'],
      ['move-failed', 'move-replica of note-1 from n1 to n4 failed'],
      ['move-done', 'split of note-1 (new: note-3) done'],
    ]);
    expect(journal.events[1]).to.include({ shardId: 'note-2', nodeId: 'n3', at: '2026-12-03T10:00:00.000Z' });
  });

  it('keeps the most recent events up to its capacity and calls onEvent for each', () => {
    let told = 0;
    const journal = new EventJournal({ map: () => map(), capacity: 3, onEvent: () => (told += 1) });
    for (let i = 0; i < 5; i += 1) journal.splitAutomatically(`note-${i}`);
    expect(journal.events.map((e) => e.shardId)).to.deep.equal(['note-2', 'note-3', 'note-4']);
    expect(told).to.equal(5);
  });
});

describe('DashboardFeed', () => {
  const view: ClusterView = { version: 5, mode: 'dynamic', nodes: [], types: {} };

  function feed(
    options: { deadLetters?: () => Promise<DeadLettersAnswer>; view?: () => Promise<ClusterView> } = {},
  ): { feed: DashboardFeed; journal: EventJournal } {
    const journal = new EventJournal({ map: () => map() });
    return {
      journal,
      feed: new DashboardFeed({
        routerId: 'r1',
        view: options.view ?? (() => view),
        map: () => map(),
        requests: new RequestWindow(),
        journal,
        deadLetters: options.deadLetters,
        logger: pino({ level: 'silent' }),
        intervalMs: 60_000,
      }),
    };
  }

  function watcher(): {
    sent: DashboardSnapshot[];
    ended: number;
    send(s: DashboardSnapshot): void;
    end(): void;
  } {
    return {
      sent: [],
      ended: 0,
      send(snapshot) {
        this.sent.push(snapshot);
      },
      end() {
        this.ended += 1;
      },
    };
  }

  const settle = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 20));

  it('sends a snapshot that parses with the schema as soon as someone watches', async () => {
    const { feed: subject } = feed();
    const w = watcher();
    const stop = subject.watch(w);
    await settle();
    expect(w.sent).to.have.length(1);
    expect(dashboardSnapshotSchema.parse(w.sent[0])).to.include({ routerId: 'r1' });
    stop();
    subject.close();
  });

  it('coalesces nudges that arrive while a snapshot is being built', async () => {
    let views = 0;
    let release: () => void = () => {};
    const { feed: subject } = feed({
      view: async () => {
        views += 1;
        if (views === 1) await new Promise<void>((resolve) => (release = resolve));
        return view;
      },
    });
    const w = watcher();
    subject.watch(w);
    subject.nudge();
    subject.nudge();
    subject.nudge();
    release();
    await settle();
    expect(views, 'one snapshot for the first watch, one for all the nudges').to.equal(2);
    expect(w.sent).to.have.length(2);
    subject.close();
  });

  it('sends nothing once nobody watches, and ends every stream when closed', async () => {
    const { feed: subject, journal } = feed();
    const gone = watcher();
    const stays = watcher();
    const stop = subject.watch(gone);
    subject.watch(stays);
    await settle();
    const sentBefore = gone.sent.length;
    stop();
    journal.livenessChanged({ nodeId: 'n1', from: 'alive', to: 'suspect' });
    subject.nudge();
    await settle();
    expect(gone.sent).to.have.length(sentBefore);
    expect(stays.sent.at(-1)!.events.map((e) => e.text)).to.deep.equal(['n1: alive → suspect']);
    subject.close();
    expect([gone.ended, stays.ended]).to.deep.equal([0, 1]);
  });

  it('counts dead letters by the shard of their sender, asked in the background', async () => {
    const letters: DeadLettersAnswer = {
      deadLetters: [
        {
          sender: { type: 'note', key: 'a' },
          to: { type: 'note', key: 'z' },
          seq: 1,
          kind: 'k',
          payload: {},
          reason: 'x',
          parkedAt: 'now',
        },
      ] as unknown as DeadLettersAnswer['deadLetters'],
      unanswered: ['n3'],
    };
    const { feed: subject } = feed({ deadLetters: () => Promise.resolve(letters) });
    const w = watcher();
    subject.watch(w);
    await settle();
    subject.nudge();
    await settle();
    const shardOfA = map().locate('note', 'a').shard.id;
    expect(w.sent.at(-1)!.deadLetters).to.deep.equal({
      total: 1,
      byShard: { [shardOfA]: 1 },
      unanswered: ['n3'],
    });
    subject.close();
  });
});

describe('keyPosition (the dashboard page)', () => {
  it('places hash keys exactly and the ends of the key space at 0 and 1', () => {
    expect(keyPosition('', 'hash')).to.equal(0);
    expect(keyPosition(null, 'hash')).to.equal(1);
    expect(keyPosition('80000000', 'hash')).to.equal(0.5);
    expect(keyPosition('4', 'hash')).to.equal(0.25);
  });

  it('orders lexical keys as the ranges do', () => {
    const keys = ['', 'a', 'am', 'b', 'zz'];
    const positions = keys.map((k) => keyPosition(k, 'lexical'));
    expect([...positions].sort((a, b) => a - b)).to.deep.equal(positions);
    expect(new Set(positions).size).to.equal(keys.length);
  });
});

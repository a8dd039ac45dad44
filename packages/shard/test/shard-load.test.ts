/**
 * The node's load accounting for automatic splits: the meter's rates and split points on an
 * injected clock, record counts over a real Level store, and the entity host telling the
 * tracker of each operation and each record it creates.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { EntityHost } from '../src/entity-host.js';
import { EntityStore } from '../src/entity-store.js';
import { StaticOwnership } from '../src/ownership.js';
import { LoadMeter, loadSplitPoint } from '../src/load/load-meter.js';
import { RecordCounts } from '../src/load/record-counts.js';
import { ShardLoadTracker } from '../src/load/shard-load-tracker.js';
import { fixedClock, note, twoNodeMap } from './entity-host-fixture.js';

describe('LoadMeter', () => {
  it('reports each shard’s operations per second over the time since the last report', () => {
    let now = 1_000;
    const meter = new LoadMeter({ now: () => now });
    for (let i = 0; i < 30; i += 1) meter.record('s1', 'k');
    meter.record('s2', 'k');
    now += 2_000;
    const first = meter.take();
    expect(first.get('s1')?.opsPerSec).to.equal(15);
    expect(first.get('s2')?.opsPerSec).to.equal(0.5);
    now += 1_000;
    expect(meter.take().size, 'a new window starts empty').to.equal(0);
  });

  it('finds a point that halves the load of evenly spread keys', () => {
    const sample = Array.from({ length: 100 }, (_, i) => `k${String(i).padStart(3, '0')}`);
    expect(loadSplitPoint(sample)).to.equal('k050');
  });

  it('finds no point when one key takes most operations, or too few were sampled', () => {
    expect(loadSplitPoint(Array.from({ length: 100 }, () => 'hot'))).to.equal(undefined);
    const skewed = [
      ...Array.from({ length: 90 }, () => 'hot'),
      ...Array.from({ length: 10 }, (_, i) => `z${i}`),
    ];
    expect(loadSplitPoint(skewed), 'the best point leaves 10% on one side').to.equal(undefined);
    expect(loadSplitPoint(['a', 'b', 'c'])).to.equal(undefined);
  });

  it('splits next to a key that holds a big share when that divides the rest', () => {
    // 40% on "m", 30% below it, 30% above: splitting at "m" leaves 30% / 70%.
    const sample = [
      ...Array.from({ length: 30 }, (_, i) => `a${String(i).padStart(2, '0')}`),
      ...Array.from({ length: 40 }, () => 'm'),
      ...Array.from({ length: 30 }, (_, i) => `z${String(i).padStart(2, '0')}`),
    ];
    expect(loadSplitPoint(sample)).to.be.oneOf(['m', 'z00']);
  });

  it('keeps a bounded sample that still represents every operation of a long window', () => {
    let seed = 7;
    const random = (): number => (seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31;
    const meter = new LoadMeter({ now: () => 0, random });
    // The first 1,000 operations go to "a…" keys, the next 9,000 to "b…" keys.
    for (let i = 0; i < 10_000; i += 1) meter.record('s', i < 1_000 ? `a${i}` : `b${i}`);
    const at = meter.take().get('s')?.loadSplitAt;
    expect(at, 'the later, larger part of the window dominates the sample').to.match(/^b/);
  });
});

describe('RecordCounts and the tracker', () => {
  let directory: string;
  let store: EntityStore;

  beforeEach(async () => {
    directory = await mkdtemp(join(tmpdir(), 'isx-load-'));
    store = await EntityStore.open(directory, { sync: false });
  });

  afterEach(async () => {
    await store.close();
    await rm(directory, { recursive: true, force: true });
  });

  function hostWith(load: ShardLoadTracker): EntityHost {
    return new EntityHost({
      store,
      entities: [note],
      ownership: new StaticOwnership(twoNodeMap(), 'node-a'),
      clock: fixedClock,
      load,
    });
  }

  it('counts a shard’s records by a scan, then keeps up with the writes that create one', async () => {
    const seeding = hostWith(new ShardLoadTracker(store));
    for (const key of ['apple', 'banana', 'cherry']) await seeding.put('note', key, { text: key });
    await seeding.delete('note', 'cherry');

    const counts = new RecordCounts(store);
    const shard = { id: 'note-a-m', type: 'note', range: { start: 'a', end: 'n' } };
    counts.follow([shard]);
    expect(counts.count('note-a-m'), 'unknown until the scan ends').to.equal(undefined);
    counts.created('note-a-m');
    await counts.settled();
    expect(counts.count('note-a-m'), 'three records (one a tombstone) and one created meanwhile').to.equal(4);
    counts.created('note-a-m');
    expect(counts.count('note-a-m')).to.equal(5);
    counts.follow([{ ...shard, range: { start: 'a', end: 'c' } }]);
    await counts.settled();
    expect(counts.count('note-a-m'), 'a new range is scanned again').to.equal(2);
    counts.follow([]);
    expect(counts.count('note-a-m'), 'a shard no longer led is forgotten').to.equal(undefined);
  });

  it('reports the led shards’ records and operations from what the host served', async () => {
    const tracker = new ShardLoadTracker(store, { now: () => 0 });
    const host = hostWith(tracker);
    const map = twoNodeMap();
    tracker.report(map, 'node-a');
    await tracker.settled();
    await host.put('note', 'apple', { text: 'one' });
    await host.put('note', 'apple', { text: 'two' });
    await host.put('note', 'berry', { text: 'three' });
    await host.get('note', 'apple');
    await host.delete('note', 'berry');
    await host.put('note', 'berry', { text: 'again' });
    const [load, ...others] = tracker.report(map, 'node-a');
    expect(others, 'node-a leads one shard').to.have.length(0);
    expect(load?.shardId).to.equal('note-a-m');
    expect(load?.records, 'two keys; the re-created one was already a tombstone').to.equal(2);
    expect(load?.opsPerSec, 'six operations in a window of (at least) a millisecond').to.be.greaterThan(0);
    const refused = await host.get('note', 'zebra').then(
      () => 'served',
      () => 'refused',
    );
    expect(refused).to.equal('refused');
    expect(tracker.report(map, 'node-a')[0]?.opsPerSec, 'a refused request is not load').to.equal(0);
  });

  it('adds each led shard’s outbox depth and its backups’ lag from the readings it is given', async () => {
    const tracker = new ShardLoadTracker(
      store,
      { now: () => 0 },
      {
        queued: () => [
          { sender: { type: 'note', key: 'apple' }, queued: 3 },
          { sender: { type: 'note', key: 'banana' }, queued: 2 },
          { sender: { type: 'note', key: 'zebra' }, queued: 7 },
          { sender: { type: 'gone', key: 'x' }, queued: 9 },
        ],
        backupLag: () => [
          { shardId: 'note-a-m', backup: 'node-b', entries: 1 },
          { shardId: 'note-a-m', backup: 'node-c', entries: 0 },
        ],
      },
    );
    const map = twoNodeMap();
    tracker.report(map, 'node-a');
    await tracker.settled();
    const [load] = tracker.report(map, 'node-a');
    expect(load?.shardId).to.equal('note-a-m');
    expect(load?.outboxDepth, 'apple and banana; zebra is the other shard’s, gone no type').to.equal(5);
    expect(load?.backupLag).to.deep.equal({ 'node-b': 1, 'node-c': 0 });
  });
});

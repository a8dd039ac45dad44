import { expect } from 'chai';
import type { StoreOp } from '../src/entity-store.js';
import { EntryRounds } from '../src/replication/entry-rounds.js';

/** An entry committer that records each entry and settles it only when the test says so. */
class FakeEntries {
  readonly entries: string[][] = [];
  readonly #settlers: Array<{ resolve(): void; reject(error: Error): void }> = [];
  #inFlight = 0;
  maxInFlight = 0;

  readonly commit = (ops: StoreOp[]): Promise<void> => {
    this.entries.push(ops.map((op) => ('name' in op ? op.name : op.key)));
    this.#inFlight += 1;
    this.maxInFlight = Math.max(this.maxInFlight, this.#inFlight);
    return new Promise<void>((resolve, reject) =>
      this.#settlers.push({
        resolve: () => {
          this.#inFlight -= 1;
          resolve();
        },
        reject: (error) => {
          this.#inFlight -= 1;
          reject(error);
        },
      }),
    );
  };

  get pending(): number {
    return this.#settlers.length;
  }

  resolveNext(): void {
    this.#next().resolve();
  }

  rejectNext(error: Error): void {
    this.#next().reject(error);
  }

  #next(): { resolve(): void; reject(error: Error): void } {
    const settler = this.#settlers.shift();
    if (!settler) throw new Error('no entry is in flight');
    return settler;
  }
}

const op = (name: string): StoreOp => ({ kind: 'put-meta', name, value: name });

/** Lets the queue's promise callbacks run, and a round that was scheduled start. */
const ticks = async (n = 10): Promise<void> => {
  for (let i = 0; i < n; i += 1) await Promise.resolve();
  await new Promise((resolve) => setImmediate(resolve));
  for (let i = 0; i < n; i += 1) await Promise.resolve();
};

/** One shard's queue: every write goes to shard `s1`, in one group. */
function shardQueue(commit: (ops: StoreOp[]) => Promise<void>): { write(ops: StoreOp[]): Promise<void> } {
  const rounds = new EntryRounds<StoreOp>(
    (_shardId, ops) => commit(ops),
    () => 'backups',
  );
  return { write: (ops) => rounds.write('s1', ops) };
}

/** Tracks whether a promise has settled, and how. */
function watch(promise: Promise<void>): { state: 'pending' | 'resolved' | 'rejected'; error?: unknown } {
  const seen: { state: 'pending' | 'resolved' | 'rejected'; error?: unknown } = { state: 'pending' };
  promise.then(
    () => (seen.state = 'resolved'),
    (error: unknown) => {
      seen.state = 'rejected';
      seen.error = error;
    },
  );
  return seen;
}

describe('entry rounds as the queue of a shard log (one entry in flight)', function () {
  it('commits a lone submit as its own entry and resolves once that entry is done', async function () {
    const fake = new FakeEntries();
    const queue = shardQueue(fake.commit);
    const done = watch(queue.write([op('a')]));
    await ticks();
    expect(fake.entries).to.deep.equal([['a']]);
    expect(done.state).to.equal('pending');
    fake.resolveNext();
    await ticks();
    expect(done.state).to.equal('resolved');
  });

  it('puts the submits that arrive while an entry is in flight together into the next entry, in order', async function () {
    const fake = new FakeEntries();
    const queue = shardQueue(fake.commit);
    const first = watch(queue.write([op('a')]));
    await ticks();
    const waiting = [
      watch(queue.write([op('b'), op('c')])),
      watch(queue.write([op('d')])),
      watch(queue.write([op('e')])),
    ];
    await ticks();
    expect(fake.entries).to.deep.equal([['a']]);
    fake.resolveNext();
    await ticks();
    expect(first.state).to.equal('resolved');
    expect(fake.entries).to.deep.equal([['a'], ['b', 'c', 'd', 'e']]);
    expect(waiting.map((w) => w.state)).to.deep.equal(['pending', 'pending', 'pending']);
    fake.resolveNext();
    await ticks();
    expect(waiting.map((w) => w.state)).to.deep.equal(['resolved', 'resolved', 'resolved']);
  });

  it('never has more than one entry in flight, however many submits arrive', async function () {
    const fake = new FakeEntries();
    const queue = shardQueue(fake.commit);
    const all: Array<Promise<void>> = [];
    for (let round = 0; round < 5; round += 1) {
      for (let i = 0; i < 4; i += 1) all.push(queue.write([op(`r${round}-${i}`)]));
      await ticks();
      expect(fake.pending).to.equal(1);
      fake.resolveNext();
      await ticks();
    }
    while (fake.pending > 0) {
      fake.resolveNext();
      await ticks();
    }
    await Promise.all(all);
    expect(fake.maxInFlight).to.equal(1);
    expect(fake.entries.flat()).to.have.length(20);
    expect(fake.entries.flat()).to.deep.equal([...fake.entries.flat()].sort());
  });

  it('rejects exactly the submitters of a failing entry, with its error, and runs the later entries', async function () {
    const fake = new FakeEntries();
    const queue = shardQueue(fake.commit);
    const first = watch(queue.write([op('a')]));
    await ticks();
    const failing = [watch(queue.write([op('b')])), watch(queue.write([op('c')]))];
    fake.resolveNext();
    await ticks();
    const later = watch(queue.write([op('d')]));
    await ticks();
    expect(fake.entries).to.deep.equal([['a'], ['b', 'c']]);
    const boom = new Error('the backups did not take it');
    fake.rejectNext(boom);
    await ticks();
    expect(first.state).to.equal('resolved');
    expect(failing.map((w) => w.state)).to.deep.equal(['rejected', 'rejected']);
    expect(failing.map((w) => w.error)).to.deep.equal([boom, boom]);
    expect(later.state).to.equal('pending');
    expect(fake.entries).to.deep.equal([['a'], ['b', 'c'], ['d']]);
    fake.resolveNext();
    await ticks();
    expect(later.state).to.equal('resolved');
  });

  it('rejects the submitters when the entry committer throws before its first await, and goes on', async function () {
    let calls = 0;
    const queue = shardQueue((ops) => {
      calls += 1;
      if (calls === 1) throw new Error('synchronous failure');
      return Promise.resolve(void ops);
    });
    const error = await queue.write([op('a')]).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect((error as Error).message).to.equal('synchronous failure');
    await queue.write([op('b')]);
    expect(calls).to.equal(2);
  });

  it('starts a fresh entry for a submit after the queue went idle', async function () {
    const fake = new FakeEntries();
    const queue = shardQueue(fake.commit);
    const first = queue.write([op('a')]);
    await ticks();
    fake.resolveNext();
    await first;
    await ticks();
    const second = queue.write([op('b')]);
    await ticks();
    expect(fake.entries).to.deep.equal([['a'], ['b']]);
    fake.resolveNext();
    await second;
  });
});

describe('entry rounds across shards', function () {
  /** Records each entry as `shard:ops` and settles entries only when the test says so. */
  function fakeShards(): {
    started: string[];
    inFlight: Map<string, number>;
    maxPerShard: number;
    settle(shardId: string): void;
    write: (shardId: string, ops: StoreOp[]) => Promise<void>;
  } {
    const settlers = new Map<string, Array<() => void>>();
    const fake = {
      started: [] as string[],
      inFlight: new Map<string, number>(),
      maxPerShard: 0,
      settle(shardId: string): void {
        const next = settlers.get(shardId)?.shift();
        if (!next) throw new Error(`no entry of ${shardId} is in flight`);
        next();
      },
      write: (shardId: string, ops: StoreOp[]): Promise<void> => {
        fake.started.push(`${shardId}:${ops.map((o) => ('name' in o ? o.name : o.key)).join(',')}`);
        const count = (fake.inFlight.get(shardId) ?? 0) + 1;
        fake.inFlight.set(shardId, count);
        fake.maxPerShard = Math.max(fake.maxPerShard, count);
        return new Promise<void>((resolve) => {
          const list = settlers.get(shardId) ?? [];
          list.push(() => {
            fake.inFlight.set(shardId, (fake.inFlight.get(shardId) ?? 1) - 1);
            resolve();
          });
          settlers.set(shardId, list);
        });
      },
    };
    return fake;
  }

  it('starts the entries of shards with the same backups together, and the next round once all settled', async function () {
    const fake = fakeShards();
    const rounds = new EntryRounds<StoreOp>(fake.write, () => 'b1,b2');
    const done = [rounds.write('s1', [op('a')]), rounds.write('s2', [op('b')])];
    await ticks();
    expect(fake.started).to.deep.equal(['s1:a', 's2:b']);
    done.push(rounds.write('s1', [op('c')]), rounds.write('s2', [op('d')]));
    fake.settle('s1');
    await ticks();
    // s1 is free, but its group waits for s2: the next entries start together.
    expect(fake.started).to.deep.equal(['s1:a', 's2:b']);
    fake.settle('s2');
    await ticks();
    expect(fake.started).to.deep.equal(['s1:a', 's2:b', 's1:c', 's2:d']);
    fake.settle('s1');
    fake.settle('s2');
    await Promise.all(done);
  });

  it('does not hold a shard back for a group with other backups', async function () {
    const fake = fakeShards();
    const rounds = new EntryRounds<StoreOp>(fake.write, (shardId) => (shardId === 's3' ? 'b3' : 'b1,b2'));
    const first = rounds.write('s1', [op('a')]);
    await ticks();
    const other = rounds.write('s3', [op('x')]);
    await ticks();
    expect(fake.started).to.deep.equal(['s1:a', 's3:x']);
    fake.settle('s3');
    await other;
    fake.settle('s1');
    await first;
  });

  it('never has two entries of one shard in flight, even when its backups change meanwhile', async function () {
    const fake = fakeShards();
    let group = 'b1,b2';
    const rounds = new EntryRounds<StoreOp>(fake.write, () => group);
    const first = rounds.write('s1', [op('a')]);
    await ticks();
    group = 'b1';
    const second = rounds.write('s1', [op('b')]);
    await ticks();
    expect(fake.started).to.deep.equal(['s1:a']);
    fake.settle('s1');
    await first;
    await ticks();
    expect(fake.started).to.deep.equal(['s1:a', 's1:b']);
    fake.settle('s1');
    await second;
    expect(fake.maxPerShard).to.equal(1);
  });
});

describe('entry rounds and request ids', function () {
  it('tells the entry writer the request ids of the writes in each entry, skipping writes without one', async () => {
    const seen: string[][] = [];
    const rounds = new EntryRounds<string>(
      (_shardId, _ops, requestIds) => {
        seen.push(requestIds);
        return Promise.resolve();
      },
      () => 'group',
    );
    // The three issued together share the first entry; a later one gets its own.
    await Promise.all([
      rounds.write('s1', ['a'], 'req-a'),
      rounds.write('s1', ['b'], 'req-b'),
      rounds.write('s1', ['c']),
    ]);
    await rounds.write('s1', ['d'], 'req-d');
    expect(seen).to.deep.equal([['req-a', 'req-b'], ['req-d']]);
  });
});

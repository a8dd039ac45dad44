import { expect } from 'chai';
import type { StoreOp } from '../src/entity-store.js';
import { GroupCommit } from '../src/internal/group-commit.js';

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

/** Lets the queue's promise callbacks run. */
const ticks = async (n = 5): Promise<void> => {
  for (let i = 0; i < n; i += 1) await Promise.resolve();
};

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

describe('group commit as the queue of a shard log (one entry in flight)', function () {
  it('commits a lone submit as its own entry and resolves once that entry is done', async function () {
    const fake = new FakeEntries();
    const queue = new GroupCommit<StoreOp>(fake.commit);
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
    const queue = new GroupCommit<StoreOp>(fake.commit);
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
    const queue = new GroupCommit<StoreOp>(fake.commit);
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
    const queue = new GroupCommit<StoreOp>(fake.commit);
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
    const queue = new GroupCommit<StoreOp>((ops) => {
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
    const queue = new GroupCommit<StoreOp>(fake.commit);
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

import { expect } from 'chai';
import { GroupCommit } from '../src/internal/group-commit.js';

/** A batch writer that records every batch and settles each one only when the test says so. */
class FakeBatchWriter {
  readonly batches: string[][] = [];
  readonly #settlers: Array<{ resolve(): void; reject(error: unknown): void }> = [];

  readonly write = (ops: string[]): Promise<void> => {
    this.batches.push(ops);
    return new Promise<void>((resolve, reject) => this.#settlers.push({ resolve, reject }));
  };

  get inFlight(): number {
    return this.#settlers.length;
  }

  /** Settles the oldest batch still in flight. */
  resolveNext(): void {
    this.#next().resolve();
  }

  rejectNext(error: unknown): void {
    this.#next().reject(error);
  }

  #next(): { resolve(): void; reject(error: unknown): void } {
    const settler = this.#settlers.shift();
    if (!settler) throw new Error('no batch is in flight');
    return settler;
  }
}

/** Lets every pending microtask and promise callback run. */
const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

type State = 'pending' | 'resolved' | 'rejected';

function track(promise: Promise<void>): { state: State; error: unknown } {
  const tracked: { state: State; error: unknown } = { state: 'pending', error: undefined };
  promise.then(
    () => (tracked.state = 'resolved'),
    (error: unknown) => {
      tracked.state = 'rejected';
      tracked.error = error;
    },
  );
  return tracked;
}

describe('GroupCommit', () => {
  it('writes a lone write as its own batch and resolves once the batch is written', async () => {
    const writer = new FakeBatchWriter();
    const commit = new GroupCommit<string>(writer.write);
    const write = track(commit.write(['a1', 'a2']));
    await settle();
    expect(writer.batches).to.deep.equal([['a1', 'a2']]);
    expect(write.state).to.equal('pending');
    writer.resolveNext();
    await settle();
    expect(write.state).to.equal('resolved');
    expect(commit.batches).to.equal(1);
    expect(commit.writes).to.equal(1);
  });

  it('starts the first batch only after the current turn, so writes issued together share it', async () => {
    const writer = new FakeBatchWriter();
    const commit = new GroupCommit<string>(writer.write);
    const first = track(commit.write(['a']));
    await Promise.resolve();
    const second = track(commit.write(['b']));
    expect(writer.batches).to.deep.equal([]);
    await settle();
    expect(writer.batches).to.deep.equal([['a', 'b']]);
    writer.resolveNext();
    await settle();
    expect([first.state, second.state]).to.deep.equal(['resolved', 'resolved']);
    expect(commit.batches).to.equal(1);
  });

  it('puts the writes issued in one tick while a batch is in flight into one shared batch', async () => {
    const writer = new FakeBatchWriter();
    const commit = new GroupCommit<string>(writer.write);
    const first = track(commit.write(['a']));
    await settle();
    expect(writer.batches).to.deep.equal([['a']]);
    const second = track(commit.write(['b']));
    const third = track(commit.write(['c1', 'c2']));
    const fourth = track(commit.write([]));
    await settle();
    expect(writer.batches).to.have.length(1);
    writer.resolveNext();
    await settle();
    expect(first.state).to.equal('resolved');
    expect(writer.batches).to.deep.equal([['a'], ['b', 'c1', 'c2']]);
    expect([second.state, third.state, fourth.state]).to.deep.equal(['pending', 'pending', 'pending']);
    writer.resolveNext();
    await settle();
    expect([second.state, third.state, fourth.state]).to.deep.equal(['resolved', 'resolved', 'resolved']);
    expect(commit.batches).to.equal(2);
    expect(commit.writes).to.equal(4);
  });

  it('groups many concurrent writes into far fewer batches, keeping their order', async () => {
    const writer = new FakeBatchWriter();
    const commit = new GroupCommit<number>((ops) => {
      writer.batches.push(ops.map(String));
      return Promise.resolve();
    });
    await Promise.all(Array.from({ length: 100 }, (_, i) => commit.write([i])));
    expect(writer.batches.flat()).to.deep.equal(Array.from({ length: 100 }, (_, i) => String(i)));
    expect(writer.batches.length).to.be.at.most(2);
    expect(commit.writes).to.equal(100);
  });

  it('rejects every caller in a failing batch with its error', async () => {
    const writer = new FakeBatchWriter();
    const commit = new GroupCommit<string>(writer.write);
    const first = track(commit.write(['a']));
    await settle();
    const second = track(commit.write(['b']));
    const third = track(commit.write(['c']));
    writer.resolveNext();
    await settle();
    expect(writer.batches).to.deep.equal([['a'], ['b', 'c']]);
    const failure = new Error('disk full');
    writer.rejectNext(failure);
    await settle();
    expect(first.state).to.equal('resolved');
    expect([second.state, third.state]).to.deep.equal(['rejected', 'rejected']);
    expect(second.error).to.equal(failure);
    expect(third.error).to.equal(failure);
    expect(commit.batches).to.equal(1);
  });

  it('keeps working for later batches after one fails', async () => {
    const writer = new FakeBatchWriter();
    const commit = new GroupCommit<string>(writer.write);
    const failed = track(commit.write(['a']));
    await settle();
    writer.rejectNext(new Error('transient'));
    await settle();
    expect(failed.state).to.equal('rejected');

    const later = track(commit.write(['b']));
    const alongside = track(commit.write(['c']));
    await settle();
    while (writer.inFlight > 0) {
      writer.resolveNext();
      await settle();
    }
    expect(writer.batches.flat()).to.deep.equal(['a', 'b', 'c']);
    expect([later.state, alongside.state]).to.deep.equal(['resolved', 'resolved']);
    expect(commit.writes).to.equal(2);
  });

  it('fails only the batch that failed, not the writes waiting behind it', async () => {
    const writer = new FakeBatchWriter();
    const commit = new GroupCommit<string>(writer.write);
    const inFlight = track(commit.write(['a']));
    await settle();
    const waiting = track(commit.write(['b']));
    writer.rejectNext(new Error('boom'));
    await settle();
    expect(inFlight.state).to.equal('rejected');
    expect(waiting.state).to.equal('pending');
    expect(writer.batches).to.deep.equal([['a'], ['b']]);
    writer.resolveNext();
    await settle();
    expect(waiting.state).to.equal('resolved');
  });

  it('rejects the callers when the writer throws synchronously', async () => {
    const commit = new GroupCommit<string>(() => {
      throw new Error('sync failure');
    });
    const results = await Promise.allSettled([commit.write(['a']), commit.write(['b'])]);
    expect(results.map((r) => r.status)).to.deep.equal(['rejected', 'rejected']);
  });

  it('tells its observer of each batch written, with its operations and writers, and not of a failed one', async () => {
    const writer = new FakeBatchWriter();
    const seen: Array<[number, number]> = [];
    const commit = new GroupCommit<string>(writer.write, (ops, writers) => seen.push([ops, writers]));
    const first = track(commit.write(['a']));
    await settle();
    const grouped = [commit.write(['b1', 'b2']), commit.write(['c']), commit.write([])];
    writer.resolveNext();
    await settle();
    expect(first.state).to.equal('resolved');
    expect(seen).to.deep.equal([[1, 1]]);
    writer.resolveNext();
    await Promise.all(grouped);
    expect(seen).to.deep.equal([
      [1, 1],
      [3, 3],
    ]);
    const failed = track(commit.write(['d']));
    await settle();
    writer.rejectNext(new Error('disk full'));
    await settle();
    expect(failed.state).to.equal('rejected');
    expect(seen, 'a failed batch wrote nothing').to.have.length(2);
  });

  it('never fails a write, nor stops, because its observer throws', async () => {
    const commit = new GroupCommit<string>(
      () => Promise.resolve(),
      () => {
        throw new Error('observer bug');
      },
    );
    await commit.write(['a']);
    await Promise.all([commit.write(['b']), commit.write(['c'])]);
    expect(commit.batches).to.be.at.least(2);
  });
});

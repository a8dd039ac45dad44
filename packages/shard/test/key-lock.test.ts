import { expect } from 'chai';
import { KeyLock } from '../src/internal/key-lock.js';

/** A promise the test resolves by hand. */
function deferred(): { promise: Promise<void>; resolve(): void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('KeyLock', () => {
  it('runs tasks on the same key one at a time, in the order they arrived', async () => {
    const lock = new KeyLock();
    const events: string[] = [];
    const gates = [deferred(), deferred(), deferred()];
    const runs = gates.map((gate, i) =>
      lock.run('campaign/a', async () => {
        events.push(`start ${i}`);
        await gate.promise;
        events.push(`end ${i}`);
        return i;
      }),
    );
    await settle();
    expect(events).to.deep.equal(['start 0']);
    gates[2]!.resolve();
    gates[1]!.resolve();
    await settle();
    expect(events).to.deep.equal(['start 0']);
    gates[0]!.resolve();
    expect(await Promise.all(runs)).to.deep.equal([0, 1, 2]);
    expect(events).to.deep.equal(['start 0', 'end 0', 'start 1', 'end 1', 'start 2', 'end 2']);
  });

  it('runs tasks on different keys at the same time', async () => {
    const lock = new KeyLock();
    const events: string[] = [];
    const gateA = deferred();
    const gateB = deferred();
    const a = lock.run('campaign/a', async () => {
      events.push('start a');
      await gateA.promise;
    });
    const b = lock.run('campaign/b', async () => {
      events.push('start b');
      await gateB.promise;
    });
    await settle();
    expect(events).to.deep.equal(['start a', 'start b']);
    expect(lock.size).to.equal(2);
    gateB.resolve();
    await b;
    gateA.resolve();
    await a;
  });

  it('releases the lock when a task throws, and passes the error to its caller', async () => {
    const lock = new KeyLock();
    const failing = lock.run('k', () => Promise.reject(new Error('task failed')));
    const next = lock.run('k', () => Promise.resolve('ran'));
    const [first, second] = await Promise.allSettled([failing, next]);
    expect(first.status).to.equal('rejected');
    expect((first as PromiseRejectedResult).reason).to.have.property('message', 'task failed');
    expect(second).to.deep.equal({ status: 'fulfilled', value: 'ran' });
  });

  it('releases the lock when a task throws before its first await', async () => {
    const lock = new KeyLock();
    const failing = lock.run('k', () => {
      throw new Error('sync');
    });
    await failing.catch(() => undefined);
    expect(await lock.run('k', () => Promise.resolve(1))).to.equal(1);
  });

  it('forgets a key once nothing runs or waits on it', async () => {
    const lock = new KeyLock();
    await Promise.all([lock.run('a', () => Promise.resolve()), lock.run('a', () => Promise.resolve())]);
    await lock.run('b', () => Promise.reject(new Error('x'))).catch(() => undefined);
    expect(lock.size).to.equal(0);
  });

  it('never lets two read-modify-write tasks on one key interleave', async () => {
    const lock = new KeyLock();
    let counter = 0;
    await Promise.all(
      Array.from({ length: 50 }, () =>
        lock.run('counter', async () => {
          const read = counter;
          await settle();
          counter = read + 1;
        }),
      ),
    );
    expect(counter).to.equal(50);
  });
});

import { expect } from 'chai';
import { isValidKey } from '@isx/core';
import { IdGenerator } from '@isx/router';

describe('router-made keys', function () {
  it('strictly increase within one millisecond and across milliseconds, and are valid keys', function () {
    let t = 1_795_000_000_000;
    const ids = new IdGenerator('r1', { now: () => t, monotonic: () => t });
    const keys: string[] = [];
    for (let i = 0; i < 5_000; i += 1) {
      if (i % 1000 === 0) t += 1;
      keys.push(ids.next());
    }
    expect([...keys].sort()).to.deep.equal(keys);
    expect(new Set(keys).size).to.equal(keys.length);
    expect(keys.every(isValidKey)).to.equal(true);
  });

  it('keep increasing when the wall clock steps back', function () {
    let t = 1_795_000_000_000;
    const ids = new IdGenerator('r1', { now: () => t, monotonic: () => t });
    const first = ids.next();
    t -= 60_000;
    const second = ids.next();
    expect(second > first).to.equal(true);
  });

  it('differ between routers at the same instant through the router id', function () {
    const clock = { now: () => 1_795_000_000_000, monotonic: () => 0 };
    expect(new IdGenerator('r1', clock).next()).not.to.equal(new IdGenerator('r2', clock).next());
    expect(new IdGenerator('r1', clock).next()).to.match(/-r1$/);
  });
});

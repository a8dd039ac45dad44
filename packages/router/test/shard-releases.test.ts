/** Requests held for a fenced shard wake when the step lifts its fence, or after their back-off. */
import { expect } from 'chai';
import { ShardReleases } from '../src/shard-releases.js';

describe('ShardReleases', () => {
  it('wakes every request waiting on a shard when it is released, and only those', async () => {
    const releases = new ShardReleases();
    const woken: string[] = [];
    const a1 = releases.wait('a', 60_000).then(() => woken.push('a1'));
    const a2 = releases.wait('a', 60_000).then(() => woken.push('a2'));
    void releases.wait('b', 30).then(() => woken.push('b'));
    expect(releases.waiting).to.equal(3);
    releases.release('a');
    await Promise.all([a1, a2]);
    expect(woken).to.deep.equal(['a1', 'a2']);
    expect(releases.waiting).to.equal(1);
    releases.release('c');
    await new Promise((resolve) => setTimeout(resolve, 60));
    expect(woken, 'b woke after its own wait').to.deep.equal(['a1', 'a2', 'b']);
    expect(releases.waiting).to.equal(0);
  });

  it('lets a wait that timed out be released later without effect', async () => {
    const releases = new ShardReleases();
    await releases.wait('a', 5);
    releases.release('a');
    expect(releases.waiting).to.equal(0);
  });
});

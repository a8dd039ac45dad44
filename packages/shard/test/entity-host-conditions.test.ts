import { parseIfMatch } from '@isx/core';
import { expect } from 'chai';
import { openHostWorld, rejection, rejections, storedNote, type HostWorld } from './entity-host-fixture.js';

describe('EntityHost conditional writes', () => {
  let world: HostWorld;

  beforeEach(async () => {
    world = await openHostWorld();
  });

  afterEach(async () => {
    await world.close();
  });

  it('writes when If-Match names the current version', async () => {
    const { host } = world;
    await host.put('note', 'alpha', { text: 'one' });
    expect(
      (await host.put('note', 'alpha', { text: 'two' }, { ifMatch: parseIfMatch('"1"') })).version,
    ).to.equal(2);
    expect(
      (await host.patch('note', 'alpha', { text: 'three' }, { ifMatch: parseIfMatch('2') })).version,
    ).to.equal(3);
    expect((await host.delete('note', 'alpha', { ifMatch: parseIfMatch('"3"') })).version).to.equal(4);
  });

  it('refuses a stale If-Match with PRECONDITION_FAILED and the current version, writing nothing', async () => {
    const { host, store } = world;
    await host.put('note', 'alpha', { text: 'one' });
    await host.put('note', 'alpha', { text: 'two' });
    const before = await storedNote(store, 'alpha');
    const errors = await rejections([
      host.put('note', 'alpha', { text: 'x' }, { ifMatch: parseIfMatch('"1"') }),
      host.patch('note', 'alpha', { text: 'x' }, { ifMatch: parseIfMatch('"1"') }),
      host.delete('note', 'alpha', { ifMatch: parseIfMatch('"1"') }),
    ]);
    for (const err of errors) {
      expect(err.code).to.equal('PRECONDITION_FAILED');
      expect(err.status).to.equal(412);
      expect(err.details.currentVersion).to.equal(2);
    }
    expect(await storedNote(store, 'alpha')).to.deep.equal(before);
  });

  it('refuses If-Match on an entity that does not exist', async () => {
    const err = await rejection(
      world.host.put('note', 'alpha', { text: 'x' }, { ifMatch: parseIfMatch('*') }),
    );
    expect(err.code).to.equal('PRECONDITION_FAILED');
    expect(await storedNote(world.store, 'alpha')).to.equal(undefined);
  });

  it('treats a deleted entity as absent for If-Match, even with the tombstone version', async () => {
    const { host } = world;
    await host.put('note', 'alpha', { text: 'one' });
    await host.delete('note', 'alpha');
    for (const header of ['*', '"2"']) {
      const err = await rejection(
        host.put('note', 'alpha', { text: 'x' }, { ifMatch: parseIfMatch(header) }),
      );
      expect(err.code, header).to.equal('PRECONDITION_FAILED');
    }
  });

  it('passes If-Match: * when the entity exists', async () => {
    const { host } = world;
    await host.put('note', 'alpha', { text: 'one' });
    expect(
      (await host.put('note', 'alpha', { text: 'two' }, { ifMatch: parseIfMatch('*') })).version,
    ).to.equal(2);
  });

  it('creates with If-None-Match: * only when the entity does not exist', async () => {
    const { host, store } = world;
    expect((await host.put('note', 'alpha', { text: 'one' }, { ifNoneMatchAny: true })).version).to.equal(1);
    const err = await rejection(host.put('note', 'alpha', { text: 'two' }, { ifNoneMatchAny: true }));
    expect(err.code).to.equal('PRECONDITION_FAILED');
    expect(err.status).to.equal(412);
    expect(err.details.currentVersion).to.equal(1);
    expect((await storedNote(store, 'alpha'))?.data?.text).to.equal('one');
  });

  it('lets If-None-Match: * re-create a deleted entity, continuing its version', async () => {
    const { host } = world;
    await host.put('note', 'alpha', { text: 'one' });
    await host.delete('note', 'alpha');
    expect((await host.put('note', 'alpha', { text: 'again' }, { ifNoneMatchAny: true })).version).to.equal(
      3,
    );
  });

  it('lets exactly one of many concurrent puts with the same If-Match succeed', async () => {
    const { host } = world;
    await host.put('note', 'alpha', { text: 'one' });
    const attempts = Array.from({ length: 20 }, (_, i) =>
      host.put('note', 'alpha', { text: `writer ${i}` }, { ifMatch: parseIfMatch('"1"') }),
    );
    const results = await Promise.allSettled(attempts);
    const fulfilled = results.filter((r) => r.status === 'fulfilled');
    const rejected = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    expect(fulfilled).to.have.length(1);
    expect(fulfilled[0]!.value).to.deep.equal({ key: 'alpha', version: 2 });
    for (const r of rejected) expect((r.reason as { code: string }).code).to.equal('PRECONDITION_FAILED');
    const winner = results.indexOf(fulfilled[0]!);
    expect(await host.get('note', 'alpha')).to.deep.include({ version: 2 });
    expect((await host.get('note', 'alpha')).data.text).to.equal(`writer ${winner}`);
  });

  it('lets exactly one of many concurrent creates with If-None-Match: * succeed', async () => {
    const { host } = world;
    const results = await Promise.allSettled(
      Array.from({ length: 20 }, (_, i) =>
        host.put('note', 'alpha', { text: `w${i}` }, { ifNoneMatchAny: true }),
      ),
    );
    expect(results.filter((r) => r.status === 'fulfilled')).to.have.length(1);
    expect((await host.get('note', 'alpha')).version).to.equal(1);
  });

  it('gives unconditional concurrent writes of one key distinct, consecutive versions', async () => {
    const { host } = world;
    const results = await Promise.all(
      Array.from({ length: 10 }, (_, i) => host.put('note', 'alpha', { text: `w${i}` })),
    );
    expect(results.map((r) => r.version).sort((a, b) => a - b)).to.deep.equal([
      1, 2, 3, 4, 5, 6, 7, 8, 9, 10,
    ]);
  });
});

import { expect } from 'chai';
import { openHostWorld, rejection, rejections, storedNote, type HostWorld } from './entity-host-fixture.js';

describe('EntityHost', () => {
  let world: HostWorld;

  beforeEach(async () => {
    world = await openHostWorld();
  });

  afterEach(async () => {
    await world.close();
  });

  it('creates an entity at version 1 and reads back the state that build made', async () => {
    const { host } = world;
    expect(await host.put('note', 'alpha', { text: 'hello' })).to.deep.equal({ key: 'alpha', version: 1 });
    expect(await host.get('note', 'alpha')).to.deep.equal({
      key: 'alpha',
      version: 1,
      data: { id: 'alpha', text: 'hello', updatedAt: '2024-05-01T12:00:00.000Z' },
    });
  });

  it('counts versions 1, 2, 3 across put, patch and delete', async () => {
    const { host } = world;
    expect((await host.put('note', 'alpha', { text: 'one' })).version).to.equal(1);
    expect((await host.patch('note', 'alpha', { text: 'two' })).version).to.equal(2);
    expect((await host.get('note', 'alpha')).data.text).to.equal('two');
    expect(await host.delete('note', 'alpha')).to.deep.equal({ key: 'alpha', version: 3 });
    const missing = await rejection(host.get('note', 'alpha'));
    expect(missing.code).to.equal('NOT_FOUND');
    expect(missing.status).to.equal(404);
  });

  it('replaces the whole state on put', async () => {
    const { host } = world;
    await host.put('note', 'alpha', { text: 'one', tags: ['x'] });
    await host.put('note', 'alpha', { text: 'two' });
    const record = await host.get('note', 'alpha');
    expect(record.version).to.equal(2);
    expect(record.data).to.not.have.property('tags');
  });

  it('merges a patch: null removes a field and nested objects merge', async () => {
    const { host } = world;
    await host.put('note', 'alpha', { text: 'one', tags: ['x'], meta: { pinned: true, colour: 'red' } });
    await host.patch('note', 'alpha', { tags: null, meta: { colour: 'blue' } });
    expect((await host.get('note', 'alpha')).data).to.deep.equal({
      id: 'alpha',
      text: 'one',
      meta: { pinned: true, colour: 'blue' },
      updatedAt: '2024-05-01T12:00:00.000Z',
    });
  });

  it('continues the version when a deleted key is created again, never reusing one', async () => {
    const { host, store } = world;
    await host.put('note', 'alpha', { text: 'one' });
    await host.delete('note', 'alpha');
    expect((await storedNote(store, 'alpha'))?.version).to.equal(2);
    expect((await host.put('note', 'alpha', { text: 'again' })).version).to.equal(3);
    expect((await host.get('note', 'alpha')).version).to.equal(3);
  });

  it('refuses to patch or delete an entity that does not exist, or was deleted', async () => {
    const { host } = world;
    expect((await rejection(host.patch('note', 'ghost', { text: 'x' }))).code).to.equal('NOT_FOUND');
    expect((await rejection(host.delete('note', 'ghost'))).code).to.equal('NOT_FOUND');
    await host.put('note', 'alpha', { text: 'one' });
    await host.delete('note', 'alpha');
    expect((await rejection(host.patch('note', 'alpha', { text: 'x' }))).code).to.equal('NOT_FOUND');
    expect((await rejection(host.delete('note', 'alpha'))).code).to.equal('NOT_FOUND');
  });

  it('answers WRONG_SHARD with the owner for a key that the other node owns', async () => {
    const { host, store } = world;
    const errors = await rejections([
      host.get('note', 'zebra'),
      host.put('note', 'zebra', { text: 'x' }),
      host.patch('note', 'zebra', { text: 'x' }),
      host.delete('note', 'zebra'),
    ]);
    for (const err of errors) {
      expect(err.code).to.equal('WRONG_SHARD');
      expect(err.status).to.equal(421);
      expect(err.details.owner).to.equal('node-b');
      expect(err.details.ownerUrl).to.equal('http://127.0.0.1:4102');
      expect(err.details.shard).to.equal('note-n-z');
      expect(err.details.mapVersion).to.equal(3);
    }
    expect(await storedNote(store, 'zebra')).to.equal(undefined);
  });

  it('refuses a type it does not serve with UNKNOWN_TYPE', async () => {
    const err = await rejection(world.host.put('campaign', 'alpha', { text: 'x' }));
    expect(err.code).to.equal('UNKNOWN_TYPE');
    expect(err.status).to.equal(404);
  });

  it('refuses a key outside the type key space with KEY_NOT_COVERED', async () => {
    const err = await rejection(world.host.put('note', 'Alpha', { text: 'x' }));
    expect(err.code).to.equal('KEY_NOT_COVERED');
  });

  it('accepts a body whose key field equals the key, and refuses one that differs with KEY_MISMATCH', async () => {
    const { host, store } = world;
    expect((await host.put('note', 'alpha', { id: 'alpha', text: 'one' })).version).to.equal(1);
    const err = await rejection(host.put('note', 'alpha', { id: 'beta', text: 'two' }));
    expect(err.code).to.equal('KEY_MISMATCH');
    expect(err.status).to.equal(400);
    expect(err.details).to.deep.equal({ field: 'id', key: 'alpha' });
    const patched = await rejection(host.patch('note', 'alpha', { id: 'beta' }));
    expect(patched.code).to.equal('KEY_MISMATCH');
    expect((await storedNote(store, 'alpha'))?.version).to.equal(1);
  });

  it('ignores server fields that a client sends back', async () => {
    const { host } = world;
    await host.put('note', 'alpha', { text: 'one', updatedAt: '1999-01-01T00:00:00.000Z' });
    expect((await host.get('note', 'alpha')).data.updatedAt).to.equal('2024-05-01T12:00:00.000Z');
  });

  it('refuses an invalid put with VALIDATION_FAILED and leaves the stored state unchanged', async () => {
    const { host, store } = world;
    await host.put('note', 'alpha', { text: 'one' });
    const before = await storedNote(store, 'alpha');
    for (const body of [{ text: 5 }, { text: '' }, { text: 'x', extra: true }, {}]) {
      const err = await rejection(host.put('note', 'alpha', body));
      expect(err.code, JSON.stringify(body)).to.equal('VALIDATION_FAILED');
      expect(err.status).to.equal(400);
    }
    expect(await storedNote(store, 'alpha')).to.deep.equal(before);
    expect(await host.get('note', 'alpha')).to.deep.equal({ key: 'alpha', version: 1, data: before!.data });
  });

  it('refuses a patch whose result is invalid with VALIDATION_FAILED and leaves the stored state unchanged', async () => {
    const { host, store } = world;
    await host.put('note', 'alpha', { text: 'one', tags: ['x'] });
    const before = await storedNote(store, 'alpha');
    for (const patch of [{ text: null }, { tags: 'not-a-list' }, { meta: { pinned: 'yes' } }, { extra: 1 }]) {
      const err = await rejection(host.patch('note', 'alpha', patch));
      expect(err.code, JSON.stringify(patch)).to.equal('VALIDATION_FAILED');
    }
    expect(await storedNote(store, 'alpha')).to.deep.equal(before);
  });

  it('never creates an entity from an invalid first put', async () => {
    const { host, store } = world;
    expect((await rejection(host.put('note', 'alpha', { text: 42 }))).code).to.equal('VALIDATION_FAILED');
    expect(await storedNote(store, 'alpha')).to.equal(undefined);
  });

  it('keeps entities and versions across a close and reopen of its store', async () => {
    await world.host.put('note', 'alpha', { text: 'durable' });
    await world.host.put('note', 'gone', { text: 'x' });
    await world.host.delete('note', 'gone');
    await world.reopen();
    expect(await world.host.get('note', 'alpha')).to.deep.include({ key: 'alpha', version: 1 });
    expect((await world.host.get('note', 'alpha')).data.text).to.equal('durable');
    expect((await world.host.put('note', 'gone', { text: 'back' })).version).to.equal(3);
  });
});

import { expect } from 'chai';
import { EntityCache } from '../src/internal/entity-cache.js';

describe('EntityCache', () => {
  it('serves what was written, and forgets a deleted record', () => {
    const cache = new EntityCache(1024);
    cache.written('a', '{"version":1}');
    expect(cache.get('a')).to.equal('{"version":1}');
    cache.written('a', undefined);
    expect(cache.get('a')).to.equal(undefined);
    expect(cache.stats).to.include({ hits: 1, misses: 1, records: 0, bytes: 0 });
  });

  it('remembers a read from Level that no write overtook', () => {
    const cache = new EntityCache(1024);
    cache.readStarted('a');
    cache.readFinished('a', '{"version":3}');
    expect(cache.get('a')).to.equal('{"version":3}');
  });

  it('does not remember a read that a committed write overtook', () => {
    const cache = new EntityCache(1024);
    cache.readStarted('a');
    cache.written('a', '{"version":2}');
    // The read was served before the write landed and finishes after it.
    cache.readFinished('a', '{"version":1}');
    expect(cache.get('a')).to.equal('{"version":2}');
    cache.written('a', undefined);
    cache.readStarted('a');
    cache.readFinished('a', '{"version":2}');
    expect(cache.get('a'), 'a later read is remembered again').to.equal('{"version":2}');
  });

  it('does not remember a read overtaken by a delete', () => {
    const cache = new EntityCache(1024);
    cache.readStarted('a');
    cache.readStarted('a');
    cache.written('a', undefined);
    cache.readFinished('a', '{"version":1}');
    cache.readFinished('a', '{"version":1}');
    expect(cache.get('a')).to.equal(undefined);
  });

  it('drops the least recently used records past its byte budget', () => {
    const cache = new EntityCache(30);
    cache.written('a', '0123456789'); // 11 bytes with its key
    cache.written('b', '0123456789');
    expect(cache.get('a')).to.not.equal(undefined); // a is now the most recently used
    cache.written('c', '0123456789'); // 33 bytes: b goes
    expect(cache.get('b')).to.equal(undefined);
    expect(cache.get('a')).to.equal('0123456789');
    expect(cache.get('c')).to.equal('0123456789');
    expect(cache.stats.bytes).to.equal(22);
  });

  it('keeps nothing when its budget is 0', () => {
    const cache = new EntityCache(0);
    cache.written('a', '{}');
    cache.readStarted('b');
    cache.readFinished('b', '{}');
    expect(cache.stats.records).to.equal(0);
  });
});

import { expect } from 'chai';
import { PeerRoutes } from '@isx/shard';

describe('peer routes', function () {
  it('dials a routed peer at its route, keeping path and query', function () {
    const peers = PeerRoutes.parse(['http://127.0.0.1:7001=http://127.0.0.1:9101']);
    expect(peers.resolve('http://127.0.0.1:7001/internal/shards/export?type=campaign&start=')).to.equal(
      'http://127.0.0.1:9101/internal/shards/export?type=campaign&start=',
    );
  });

  it('dials a peer without a route at its advertised URL', function () {
    const peers = PeerRoutes.parse(['http://127.0.0.1:7001=http://127.0.0.1:9101']);
    expect(peers.resolve('http://127.0.0.1:7002/x')).to.equal('http://127.0.0.1:7002/x');
  });

  it('refuses a route without an equals sign', function () {
    expect(() => PeerRoutes.parse(['http://127.0.0.1:7001'])).to.throw(/ADVERTISED=DIAL/);
  });
});

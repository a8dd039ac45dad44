/**
 * How the router holds a request whose shard is not on its node yet (421 WRONG_SHARD, or 503
 * SHARD_MOVING while a move fences it) and resends it, with undici's MockAgent standing in for
 * node-1 (the router's client is undici's, which nock cannot see).
 *
 * A keyed request goes through a real router (on 127.0.0.1) to `http://node-1.test:4101`,
 * which only the test's MockAgent answers. Each test checks that the resent request carries
 * the same body, that the caller gets the answer to the resent request, and that once the hold
 * time has run out the node's answer is relayed: the router must never hold a request for ever.
 */
import { expect } from 'chai';
import { expectEnvelope, send, startFixtureRouter } from './support/router-fixture.js';
import { NODE_TIMEOUT_MS, useMockedNodeRouter } from './support/mocked-node-router.js';

/** A request body as the MockAgent is handed it, as text: the router sends a Buffer, or none. */
function bodyText(body: unknown): string {
  if (body === undefined || body === null) return '';
  if (!Buffer.isBuffer(body)) throw new TypeError(`The router sent a body of type ${typeof body}.`);
  return body.toString('utf8');
}

describe('router: relaying what a node answers', () => {
  const fixture = useMockedNodeRouter();

  describe('a node that says the shard is not there yet', () => {
    const wrongShard = JSON.stringify({
      error: {
        code: 'WRONG_SHARD',
        message: 'Shard campaign-all is not on node-1.',
        details: { shard: 'campaign-all' },
      },
    });
    const shardMoving = JSON.stringify({
      error: { code: 'SHARD_MOVING', message: 'Shard campaign-all is moving.', retryable: true },
    });

    it('holds a GET answered 421 WRONG_SHARD and relays the answer to the resent request', async () => {
      // The MockAgent answers with the first of the matching interceptors not used up yet.
      fixture.node1
        .intercept({ path: '/campaign/spring-sale', method: 'GET' })
        .reply(421, wrongShard, { headers: { 'content-type': 'application/json' } });
      fixture.node1
        .intercept({ path: '/campaign/spring-sale', method: 'GET' })
        .reply(200, { key: 'spring-sale', version: 2, data: {} }, { headers: { 'x-isx-node': 'node-1' } });

      const response = await send(fixture.router.url, 'GET', '/campaign/spring-sale');

      expect(response.status, response.text).to.equal(200);
      expect(response.json).to.deep.equal({ key: 'spring-sale', version: 2, data: {} });
      fixture.agent.assertNoPendingInterceptors();
    });

    it('resends a PUT answered 503 SHARD_MOVING with the same body, and relays the answer', async () => {
      const body = '{ "title": "moved",\n "budget": 7 }';
      const received: string[] = [];
      fixture.node1.intercept({ path: '/campaign/spring-sale', method: 'PUT' }).reply(
        503,
        (request) => {
          received.push(bodyText(request.body));
          return shardMoving;
        },
        { headers: { 'content-type': 'application/json', 'retry-after': '0' } },
      );
      fixture.node1.intercept({ path: '/campaign/spring-sale', method: 'PUT' }).reply(200, (request) => {
        received.push(bodyText(request.body));
        return { key: 'spring-sale', version: 3 };
      });

      const response = await send(fixture.router.url, 'PUT', '/campaign/spring-sale', {
        headers: { 'content-type': 'application/json' },
        body,
      });

      expect(response.status, response.text).to.equal(200);
      expect(response.json).to.deep.equal({ key: 'spring-sale', version: 3 });
      expect(received).to.deep.equal([body, body]);
      fixture.agent.assertNoPendingInterceptors();
    });

    it('relays the 421 WRONG_SHARD envelope once the hold time has run out', async () => {
      const held = (
        await startFixtureRouter({
          nodeTimeoutMs: NODE_TIMEOUT_MS,
          holdMs: 300,
          nodeDispatcher: fixture.agent,
        })
      ).router;
      let attempts = 0;
      fixture.node1
        .intercept({ path: '/campaign/stuck', method: 'GET' })
        .reply(
          421,
          () => {
            attempts += 1;
            return wrongShard;
          },
          { headers: { 'content-type': 'application/json' } },
        )
        .persist();

      try {
        const started = Date.now();
        const response = await send(held.url, 'GET', '/campaign/stuck');
        const elapsed = Date.now() - started;

        expectEnvelope(response, 421, 'WRONG_SHARD');
        expect(response.text).to.equal(wrongShard);
        expect(attempts).to.be.at.least(2);
        expect(elapsed).to.be.at.least(280).and.below(3000);
      } finally {
        await held.close();
      }
    });
  });
});

/**
 * How the router answers when a node fails: a 5xx answer, a refused connection or a
 * connection lost mid-request, with undici's MockAgent standing in for node-1 (the router's
 * client is undici's, which nock cannot see).
 *
 * A keyed request goes through a real router (on 127.0.0.1) to `http://node-1.test:4101`,
 * which only the test's MockAgent answers; `node-2` is a loopback port nothing listens on, to
 * which the MockAgent lets the router through so that it is refused for real. Each test checks
 * the status, the envelope, whether the caller is told it may retry, and that nothing of a
 * node's failure text or any stack trace reaches the caller, which must never happen.
 * Timeouts need a real socket and are tested in `loopback-node.test.ts`.
 */
import { expect } from 'chai';
import { expectEnvelope, expectNoStack, send } from './support/router-fixture.js';
import { useMockedNodeRouter } from './support/mocked-node-router.js';

/** The error a reset socket raises, as undici's client rejects a request with it. */
function connectionReset(): Error {
  return Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });
}

describe('router: relaying what a node answers', () => {
  const fixture = useMockedNodeRouter();

  describe('a node that does not answer', () => {
    it('answers 502 NODE_CONNECTION_LOST when the node resets the connection of a GET', async () => {
      // A read whose connection is lost is sent once more (see loopback-node.test.ts), so this
      // node resets every connection it is sent.
      fixture.node1
        .intercept({ path: '/campaign/reset', method: 'GET' })
        .replyWithError(connectionReset())
        .persist();

      const response = await send(fixture.router.url, 'GET', '/campaign/reset');

      const error = expectEnvelope(response, 502, 'NODE_CONNECTION_LOST');
      expect(error.message).to.contain('node-1');
      expect(error.details).to.include({ node: 'node-1', shard: 'campaign-all', cause: 'ECONNRESET' });
      expect(response.headers['retry-after']).to.equal(undefined);
      fixture.agent.assertNoPendingInterceptors();
    });

    it('answers 502 NODE_CONNECTION_LOST, not 503, when the node resets the connection of a PUT', async () => {
      fixture.node1.intercept({ path: '/campaign/reset', method: 'PUT' }).replyWithError(connectionReset());

      const response = await send(fixture.router.url, 'PUT', '/campaign/reset', {
        headers: { 'content-type': 'application/json' },
        body: '{"title":"x"}',
      });

      const error = expectEnvelope(response, 502, 'NODE_CONNECTION_LOST');
      expect(error.details).to.include({ node: 'node-1', cause: 'ECONNRESET' });
      fixture.agent.assertNoPendingInterceptors();
    });

    it('answers 503 NODE_UNAVAILABLE with the node in details and a Retry-After when the connection is refused', async () => {
      const response = await send(fixture.router.url, 'GET', '/contact/zeta');

      const error = expectEnvelope(response, 503, 'NODE_UNAVAILABLE');
      expect(error.details).to.include({
        node: 'node-2',
        nodeUrl: fixture.deadNodeUrl,
        shard: 'contact-n-z',
        cause: 'ECONNREFUSED',
      });
      expect(error.message).to.contain('node-2');
      expect(response.json.error).to.have.property('retryable', true);
      expect(response.headers['retry-after']).to.match(/^[1-9]\d*$/);
    });

    it('answers 503 NODE_UNAVAILABLE to a PUT whose node refuses the connection', async () => {
      const response = await send(fixture.router.url, 'PUT', '/contact/nora', {
        headers: { 'content-type': 'application/json' },
        body: '{"name":"Nora"}',
      });

      const error = expectEnvelope(response, 503, 'NODE_UNAVAILABLE');
      expect(error.details).to.include({ node: 'node-2', shard: 'contact-n-z' });
      expect(response.headers['retry-after']).to.match(/^[1-9]\d*$/);
    });
  });

  describe('a node that fails with 5xx', () => {
    const failures: Array<{ what: string; status: number; contentType: string; body: string; leak: string }> =
      [
        {
          what: 'an HTML error page',
          status: 500,
          contentType: 'text/html',
          body: '<html><body><h1>Internal Server Error</h1><p>secret-html-marker</p></body></html>',
          leak: 'secret-html-marker',
        },
        {
          what: 'a plain-text stack trace',
          status: 500,
          contentType: 'text/plain',
          body: 'TypeError: secret-stack-marker\n    at Store.write (/srv/isx/packages/shard/dist/store.js:88:13)\n    at process.processTicksAndRejections (node:internal/process/task_queues:95:5)',
          leak: 'secret-stack-marker',
        },
        {
          what: 'JSON that is not an error envelope',
          status: 500,
          contentType: 'application/json',
          body: JSON.stringify({
            message: 'secret-json-marker',
            stack: 'Error: boom\n    at x (/srv/a.js:1:1)',
          }),
          leak: 'secret-json-marker',
        },
        {
          what: 'an envelope whose code is not UPPER_SNAKE',
          status: 500,
          contentType: 'application/json',
          body: JSON.stringify({ error: { code: 'boom', message: 'secret-code-marker' } }),
          leak: 'secret-code-marker',
        },
        {
          what: 'a 503 in plain text',
          status: 503,
          contentType: 'text/plain',
          body: 'Service Unavailable: secret-503-marker',
          leak: 'secret-503-marker',
        },
      ];

    for (const failure of failures) {
      it(`answers 502 NODE_ERROR and hides the body when the node answers ${failure.status} with ${failure.what}`, async () => {
        fixture.node1
          .intercept({ path: '/campaign/broken', method: 'GET' })
          .reply(failure.status, failure.body, { headers: { 'content-type': failure.contentType } });

        const response = await send(fixture.router.url, 'GET', '/campaign/broken');

        const error = expectEnvelope(response, 502, 'NODE_ERROR');
        expect(error.details).to.include({
          node: 'node-1',
          shard: 'campaign-all',
          nodeStatus: failure.status,
        });
        expect(error.message).to.contain('node-1');
        expect(response.text).not.to.contain(failure.leak);
        expect(response.text).not.to.contain('<html');
        fixture.agent.assertNoPendingInterceptors();
      });
    }

    it('answers 502 NODE_ERROR naming the status when the node answers 500 with no body at all', async () => {
      fixture.node1.intercept({ path: '/campaign/broken', method: 'GET' }).reply(500);

      const response = await send(fixture.router.url, 'GET', '/campaign/broken');

      const error = expectEnvelope(response, 502, 'NODE_ERROR');
      expect(error.message).to.contain('500');
      expect(error.details).to.include({ node: 'node-1', nodeStatus: 500 });
      fixture.agent.assertNoPendingInterceptors();
    });

    it('answers 502 NODE_ERROR without the body when a PUT fails with a stack trace', async () => {
      fixture.node1
        .intercept({ path: '/campaign/broken', method: 'PUT' })
        .reply(500, 'Error: secret-put-marker\n    at Object.<anonymous> (/srv/node.js:3:9)', {
          headers: { 'content-type': 'text/plain' },
        });

      const response = await send(fixture.router.url, 'PUT', '/campaign/broken', {
        headers: { 'content-type': 'application/json' },
        body: '{"title":"x"}',
      });

      expectEnvelope(response, 502, 'NODE_ERROR');
      expect(response.text).not.to.contain('secret-put-marker');
      fixture.agent.assertNoPendingInterceptors();
    });

    it('passes a 503 with a valid error envelope through with status 503 and the node Retry-After', async () => {
      const body = {
        error: {
          code: 'SHUTTING_DOWN',
          message: 'Node node-1 is shutting down.',
          details: { node: 'node-1' },
          retryable: true,
        },
      };
      fixture.node1
        .intercept({ path: '/campaign/spring-sale', method: 'GET' })
        .reply(503, JSON.stringify(body), {
          headers: { 'content-type': 'application/json', 'retry-after': '2' },
        });

      const response = await send(fixture.router.url, 'GET', '/campaign/spring-sale');

      const error = expectEnvelope(response, 503, 'SHUTTING_DOWN');
      expect(response.json).to.deep.equal(body);
      expect(error.details).to.deep.equal({ node: 'node-1' });
      expect(response.headers['retry-after']).to.equal('2');
      expect(response.headers['x-isx-shard']).to.equal('campaign-all');
      expect(response.headers['content-length']).to.equal(String(Buffer.byteLength(response.text)));
      fixture.agent.assertNoPendingInterceptors();
    });

    it('keeps a 5xx envelope but drops the properties an envelope does not have, such as a stack', async () => {
      fixture.node1.intercept({ path: '/campaign/spring-sale', method: 'GET' }).reply(
        500,
        JSON.stringify({
          error: {
            code: 'INTERNAL',
            message: 'The node failed unexpectedly.',
            stack: 'Error: secret-stack-marker\n    at f (/srv/node.js:1:1)',
          },
          stack: 'Error: secret-stack-marker\n    at g (/srv/node.js:2:2)',
        }),
        { headers: { 'content-type': 'application/json' } },
      );

      const response = await send(fixture.router.url, 'GET', '/campaign/spring-sale');

      expectEnvelope(response, 500, 'INTERNAL');
      expect(response.json).to.deep.equal({
        error: { code: 'INTERNAL', message: 'The node failed unexpectedly.' },
      });
      expect(response.text).not.to.contain('secret-stack-marker');
      expectNoStack(response);
      fixture.agent.assertNoPendingInterceptors();
    });
  });
});

/**
 * How the router relays what a node answers, with nock standing in for node-1.
 *
 * A keyed request goes through a real router (on 127.0.0.1) to `http://node-1.test:4101`,
 * which only nock answers; `node-2` is a loopback port nothing listens on. Each test checks
 * the status, the envelope and that nothing of a node's failure text or any stack trace
 * reaches the caller.
 */
import { expect } from 'chai';
import nock from 'nock';
import type { RunningRouter } from '@isx/router';
import {
  expectEnvelope,
  expectNoStack,
  NODE_1,
  send,
  startFixtureRouter,
  type RouterFixture,
} from './support/router-fixture.js';

const NODE_TIMEOUT_MS = 200;

/**
 * The error a reset socket raises. It must be an Error: nock 14 hands a plain object to its
 * interceptor, which ignores anything but an Error and leaves the request hanging.
 */
function connectionReset(): Error {
  return Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });
}

/** A pattern that matches exactly `text`, so nock compares the raw body and not parsed JSON. */
function exactly(text: string): RegExp {
  const escaped = text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return new RegExp(`^${escaped}$`, 'u');
}

describe('router: relaying what a node answers', () => {
  let fixture: RouterFixture;
  let router: RunningRouter;

  beforeEach(async () => {
    nock.disableNetConnect();
    nock.enableNetConnect('127.0.0.1');
    fixture = await startFixtureRouter({ nodeTimeoutMs: NODE_TIMEOUT_MS });
    router = fixture.router;
  });

  afterEach(async () => {
    await router.close();
    nock.cleanAll();
    nock.enableNetConnect();
  });

  describe('answers below 500', () => {
    it('streams a 200 through with its body, status and node headers, and names the shard', async () => {
      const entity = { key: 'spring-sale', version: 3, data: { title: 'Spring sale', budget: 1200 } };
      const scope = nock(NODE_1)
        .get('/campaign/spring-sale')
        .reply(200, entity, { 'x-isx-node': 'node-1', etag: '"3"', 'content-type': 'application/json' });

      const response = await send(router.url, 'GET', '/campaign/spring-sale');

      expect(response.status).to.equal(200);
      expect(response.json).to.deep.equal(entity);
      expect(response.headers['x-isx-node']).to.equal('node-1');
      expect(response.headers.etag).to.equal('"3"');
      expect(response.headers['content-type']).to.equal('application/json');
      expect(response.headers['x-isx-shard']).to.equal('campaign-all');
      scope.done();
    });

    it('names in x-isx-shard the shard that owns the key, not just any shard of the node', async () => {
      const scope = nock(NODE_1).get('/contact/bob').reply(200, { key: 'bob', version: 1, data: {} });

      const response = await send(router.url, 'GET', '/contact/bob');

      expect(response.status).to.equal(200);
      expect(response.headers['x-isx-shard']).to.equal('contact-a-m');
      scope.done();
    });

    it('forwards the query string and the caller headers, and adds x-forwarded-for', async () => {
      const scope = nock(NODE_1)
        .get('/campaign/spring-sale')
        .query({ view: 'full' })
        .matchHeader('x-request-id', 'req-42')
        .matchHeader('x-forwarded-for', /^(?:::ffff:)?127\.0\.0\.1$/)
        .reply(200, { key: 'spring-sale', version: 1, data: {} });

      const response = await send(router.url, 'GET', '/campaign/spring-sale?view=full', {
        headers: { 'x-request-id': 'req-42' },
      });

      expect(response.status, response.text).to.equal(200);
      scope.done();
    });

    it('passes a 404 envelope from the node through unchanged', async () => {
      const envelope = JSON.stringify({
        error: { code: 'NOT_FOUND', message: 'There is no campaign "gone".', details: { key: 'gone' } },
      });
      const scope = nock(NODE_1)
        .get('/campaign/gone')
        .reply(404, envelope, { 'content-type': 'application/json; charset=utf-8', 'x-isx-node': 'node-1' });

      const response = await send(router.url, 'GET', '/campaign/gone');

      expect(response.status).to.equal(404);
      expect(response.text).to.equal(envelope);
      expect(response.headers['x-isx-node']).to.equal('node-1');
      expect(response.headers['x-isx-shard']).to.equal('campaign-all');
      scope.done();
    });

    it('passes a 412 envelope from a conditional PUT through unchanged, with the If-Match the caller sent', async () => {
      const envelope = JSON.stringify({
        error: {
          code: 'PRECONDITION_FAILED',
          message: 'The campaign "spring-sale" is at version 4, not 3.',
          details: { expected: '3', actual: '4' },
        },
      });
      const scope = nock(NODE_1)
        .put('/campaign/spring-sale')
        .matchHeader('if-match', '3')
        .reply(412, envelope, { 'content-type': 'application/json; charset=utf-8', etag: '"4"' });

      const response = await send(router.url, 'PUT', '/campaign/spring-sale', {
        headers: { 'content-type': 'application/json', 'if-match': '3' },
        body: JSON.stringify({ title: 'Spring sale' }),
      });

      expect(response.status).to.equal(412);
      expect(response.text).to.equal(envelope);
      expect(response.headers.etag).to.equal('"4"');
      scope.done();
    });
  });

  describe('a request body', () => {
    const body = '{ "title" : "Été ☀️ sale",\n  "budget":1200.50,  "tags":["a" ,"b"] }\n';

    it('reaches the node byte for byte as the caller sent it, with its Content-Type', async () => {
      let received: string | undefined;
      const scope = nock(NODE_1)
        .put('/campaign/summer', exactly(body))
        .matchHeader('content-type', 'application/json; charset=utf-8')
        .matchHeader('content-length', String(Buffer.byteLength(body)))
        .reply(200, { key: 'summer', version: 1 });
      scope.on('request', (_request, _interceptor, rawBody: string) => (received = rawBody));

      const response = await send(router.url, 'PUT', '/campaign/summer', {
        headers: { 'content-type': 'application/json; charset=utf-8' },
        body,
      });

      expect(response.status, response.text).to.equal(200);
      expect(response.json).to.deep.equal({ key: 'summer', version: 1 });
      expect(received).to.equal(body);
      scope.done();
    });

    it('reaches the node unchanged when the caller sends a large body chunked in several writes', async () => {
      const large = JSON.stringify({ title: 'bulk', notes: 'ä€😀 '.repeat(40_000) });
      let received: string | undefined;
      const scope = nock(NODE_1)
        .put('/campaign/bulk')
        .matchHeader('content-length', String(Buffer.byteLength(large)))
        .reply(200, { key: 'bulk', version: 1 });
      scope.on('request', (_request, _interceptor, rawBody: string) => (received = rawBody));

      const response = await send(router.url, 'PUT', '/campaign/bulk', {
        headers: { 'content-type': 'application/json' },
        body: large,
        chunks: 7,
      });

      expect(response.status, response.text).to.equal(200);
      expect(received).to.have.lengthOf(large.length);
      expect(received === large, 'the node received the body byte for byte').to.equal(true);
      scope.done();
    });
  });

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
      const scope = nock(NODE_1)
        .get('/campaign/spring-sale')
        .reply(421, wrongShard, { 'content-type': 'application/json' })
        .get('/campaign/spring-sale')
        .reply(200, { key: 'spring-sale', version: 2, data: {} }, { 'x-isx-node': 'node-1' });

      const response = await send(router.url, 'GET', '/campaign/spring-sale');

      expect(response.status, response.text).to.equal(200);
      expect(response.json).to.deep.equal({ key: 'spring-sale', version: 2, data: {} });
      scope.done();
    });

    it('resends a PUT answered 503 SHARD_MOVING with the same body, and relays the answer', async () => {
      const body = '{ "title": "moved",\n "budget": 7 }';
      const received: string[] = [];
      const scope = nock(NODE_1)
        .put('/campaign/spring-sale')
        .reply(503, shardMoving, { 'content-type': 'application/json', 'retry-after': '0' })
        .put('/campaign/spring-sale')
        .reply(200, { key: 'spring-sale', version: 3 });
      scope.on('request', (_request, _interceptor, rawBody: string) => received.push(rawBody));

      const response = await send(router.url, 'PUT', '/campaign/spring-sale', {
        headers: { 'content-type': 'application/json' },
        body,
      });

      expect(response.status, response.text).to.equal(200);
      expect(response.json).to.deep.equal({ key: 'spring-sale', version: 3 });
      expect(received).to.deep.equal([body, body]);
      scope.done();
    });

    it('relays the 421 WRONG_SHARD envelope once the hold time has run out', async () => {
      const held = (await startFixtureRouter({ nodeTimeoutMs: NODE_TIMEOUT_MS, holdMs: 300 })).router;
      let attempts = 0;
      nock(NODE_1)
        .persist()
        .get('/campaign/stuck')
        .reply(
          421,
          () => {
            attempts += 1;
            return wrongShard;
          },
          { 'content-type': 'application/json' },
        );

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

  describe('a node that does not answer', () => {
    it('answers 502 NODE_CONNECTION_LOST when the node resets the connection of a GET', async () => {
      const scope = nock(NODE_1).get('/campaign/reset').replyWithError(connectionReset());

      const response = await send(router.url, 'GET', '/campaign/reset');

      const error = expectEnvelope(response, 502, 'NODE_CONNECTION_LOST');
      expect(error.message).to.contain('node-1');
      expect(error.details).to.include({ node: 'node-1', shard: 'campaign-all', cause: 'ECONNRESET' });
      expect(response.headers['retry-after']).to.equal(undefined);
      scope.done();
    });

    it('answers 502 NODE_CONNECTION_LOST, not 503, when the node resets the connection of a PUT', async () => {
      const scope = nock(NODE_1).put('/campaign/reset').replyWithError(connectionReset());

      const response = await send(router.url, 'PUT', '/campaign/reset', {
        headers: { 'content-type': 'application/json' },
        body: '{"title":"x"}',
      });

      const error = expectEnvelope(response, 502, 'NODE_CONNECTION_LOST');
      expect(error.details).to.include({ node: 'node-1', cause: 'ECONNRESET' });
      scope.done();
    });

    it('answers 503 NODE_UNAVAILABLE with the node in details and a Retry-After when the connection is refused', async () => {
      const response = await send(router.url, 'GET', '/contact/zeta');

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
      const response = await send(router.url, 'PUT', '/contact/nora', {
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
        const scope = nock(NODE_1)
          .get('/campaign/broken')
          .reply(failure.status, failure.body, { 'content-type': failure.contentType });

        const response = await send(router.url, 'GET', '/campaign/broken');

        const error = expectEnvelope(response, 502, 'NODE_ERROR');
        expect(error.details).to.include({
          node: 'node-1',
          shard: 'campaign-all',
          nodeStatus: failure.status,
        });
        expect(error.message).to.contain('node-1');
        expect(response.text).not.to.contain(failure.leak);
        expect(response.text).not.to.contain('<html');
        scope.done();
      });
    }

    it('answers 502 NODE_ERROR naming the status when the node answers 500 with no body at all', async () => {
      const scope = nock(NODE_1).get('/campaign/broken').reply(500);

      const response = await send(router.url, 'GET', '/campaign/broken');

      const error = expectEnvelope(response, 502, 'NODE_ERROR');
      expect(error.message).to.contain('500');
      expect(error.details).to.include({ node: 'node-1', nodeStatus: 500 });
      scope.done();
    });

    it('answers 502 NODE_ERROR without the body when a PUT fails with a stack trace', async () => {
      const scope = nock(NODE_1)
        .put('/campaign/broken')
        .reply(500, 'Error: secret-put-marker\n    at Object.<anonymous> (/srv/node.js:3:9)', {
          'content-type': 'text/plain',
        });

      const response = await send(router.url, 'PUT', '/campaign/broken', {
        headers: { 'content-type': 'application/json' },
        body: '{"title":"x"}',
      });

      expectEnvelope(response, 502, 'NODE_ERROR');
      expect(response.text).not.to.contain('secret-put-marker');
      scope.done();
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
      const scope = nock(NODE_1)
        .get('/campaign/spring-sale')
        .reply(503, JSON.stringify(body), { 'content-type': 'application/json', 'retry-after': '2' });

      const response = await send(router.url, 'GET', '/campaign/spring-sale');

      const error = expectEnvelope(response, 503, 'SHUTTING_DOWN');
      expect(response.json).to.deep.equal(body);
      expect(error.details).to.deep.equal({ node: 'node-1' });
      expect(response.headers['retry-after']).to.equal('2');
      expect(response.headers['x-isx-shard']).to.equal('campaign-all');
      expect(response.headers['content-length']).to.equal(String(Buffer.byteLength(response.text)));
      scope.done();
    });

    it('keeps a 5xx envelope but drops the properties an envelope does not have, such as a stack', async () => {
      const scope = nock(NODE_1)
        .get('/campaign/spring-sale')
        .reply(
          500,
          JSON.stringify({
            error: {
              code: 'INTERNAL',
              message: 'The node failed unexpectedly.',
              stack: 'Error: secret-stack-marker\n    at f (/srv/node.js:1:1)',
            },
            stack: 'Error: secret-stack-marker\n    at g (/srv/node.js:2:2)',
          }),
          { 'content-type': 'application/json' },
        );

      const response = await send(router.url, 'GET', '/campaign/spring-sale');

      expectEnvelope(response, 500, 'INTERNAL');
      expect(response.json).to.deep.equal({
        error: { code: 'INTERNAL', message: 'The node failed unexpectedly.' },
      });
      expect(response.text).not.to.contain('secret-stack-marker');
      expectNoStack(response);
      scope.done();
    });
  });
});

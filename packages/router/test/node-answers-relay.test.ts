/**
 * How the router relays a node's answers below 500 (2xx and 4xx), with nock standing in for
 * node-1.
 *
 * A keyed request goes through a real router (on 127.0.0.1) to `http://node-1.test:4101`,
 * which only nock answers. Each test checks that status, body and node headers come back as
 * the node sent them, that the request and its body reach the node as the caller sent them,
 * and that the router names the shard it chose. Failures and held requests are tested in
 * `node-answers-errors.test.ts` and `node-answers-hold.test.ts`; this file must never need a
 * node that is down.
 */
import { expect } from 'chai';
import nock from 'nock';
import { NODE_1, send } from './support/router-fixture.js';
import { useNockedRouter } from './support/nocked-router.js';

/** A pattern that matches exactly `text`, so nock compares the raw body and not parsed JSON. */
function exactly(text: string): RegExp {
  const escaped = text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return new RegExp(`^${escaped}$`, 'u');
}

describe('router: relaying what a node answers', () => {
  const fixture = useNockedRouter();

  describe('answers below 500', () => {
    it('streams a 200 through with its body, status and node headers, and names the shard', async () => {
      const entity = { key: 'spring-sale', version: 3, data: { title: 'Spring sale', budget: 1200 } };
      const scope = nock(NODE_1)
        .get('/campaign/spring-sale')
        .reply(200, entity, { 'x-isx-node': 'node-1', etag: '"3"', 'content-type': 'application/json' });

      const response = await send(fixture.router.url, 'GET', '/campaign/spring-sale');

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

      const response = await send(fixture.router.url, 'GET', '/contact/bob');

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

      const response = await send(fixture.router.url, 'GET', '/campaign/spring-sale?view=full', {
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

      const response = await send(fixture.router.url, 'GET', '/campaign/gone');

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

      const response = await send(fixture.router.url, 'PUT', '/campaign/spring-sale', {
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

      const response = await send(fixture.router.url, 'PUT', '/campaign/summer', {
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

      const response = await send(fixture.router.url, 'PUT', '/campaign/bulk', {
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
});

/**
 * How the router relays a node's answers below 500 (2xx and 4xx), with undici's MockAgent
 * standing in for node-1 (the router's client is undici's, which nock cannot see).
 *
 * A keyed request goes through a real router (on 127.0.0.1) to `http://node-1.test:4101`,
 * which only the test's MockAgent answers. Each test checks that status, body and node headers
 * come back as the node sent them, that the request and its body reach the node as the caller
 * sent them, and that the router names the shard it chose. A MockAgent sees a request before
 * undici frames it, so the body tests, which check the Content-Length the node receives, send
 * to a real node on loopback instead. Failures and held requests are tested in
 * `node-answers-errors.test.ts` and `node-answers-hold.test.ts`; this file must never need a
 * node that is down.
 */
import type { IncomingHttpHeaders } from 'node:http';
import { expect } from 'chai';
import type { RunningRouter } from '@isx/router';
import { send, useLoopbackNodeRouter } from './support/router-fixture.js';
import { NODE_TIMEOUT_MS, useMockedNodeRouter } from './support/mocked-node-router.js';

describe('router: relaying what a node answers', () => {
  const fixture = useMockedNodeRouter();

  describe('answers below 500', () => {
    it('streams a 200 through with its body, status and node headers, and names the shard', async () => {
      const entity = { key: 'spring-sale', version: 3, data: { title: 'Spring sale', budget: 1200 } };
      fixture.node1.intercept({ path: '/campaign/spring-sale', method: 'GET' }).reply(200, entity, {
        headers: { 'x-isx-node': 'node-1', etag: '"3"', 'content-type': 'application/json' },
      });

      const response = await send(fixture.router.url, 'GET', '/campaign/spring-sale');

      expect(response.status).to.equal(200);
      expect(response.json).to.deep.equal(entity);
      expect(response.headers['x-isx-node']).to.equal('node-1');
      expect(response.headers.etag).to.equal('"3"');
      expect(response.headers['content-type']).to.equal('application/json');
      expect(response.headers['x-isx-shard']).to.equal('campaign-all');
      fixture.agent.assertNoPendingInterceptors();
    });

    it('names in x-isx-shard the shard that owns the key, not just any shard of the node', async () => {
      fixture.node1
        .intercept({ path: '/contact/bob', method: 'GET' })
        .reply(200, { key: 'bob', version: 1, data: {} });

      const response = await send(fixture.router.url, 'GET', '/contact/bob');

      expect(response.status).to.equal(200);
      expect(response.headers['x-isx-shard']).to.equal('contact-a-m');
      fixture.agent.assertNoPendingInterceptors();
    });

    it('forwards the query string and the caller headers, and adds x-forwarded-for', async () => {
      fixture.node1
        .intercept({
          path: '/campaign/spring-sale',
          method: 'GET',
          query: { view: 'full' },
          headers: {
            'x-request-id': 'req-42',
            'x-forwarded-for': /^(?:::ffff:)?127\.0\.0\.1$/,
          },
        })
        .reply(200, { key: 'spring-sale', version: 1, data: {} });

      const response = await send(fixture.router.url, 'GET', '/campaign/spring-sale?view=full', {
        headers: { 'x-request-id': 'req-42' },
      });

      expect(response.status, response.text).to.equal(200);
      fixture.agent.assertNoPendingInterceptors();
    });

    it('passes a 404 envelope from the node through unchanged', async () => {
      const envelope = JSON.stringify({
        error: { code: 'NOT_FOUND', message: 'There is no campaign "gone".', details: { key: 'gone' } },
      });
      fixture.node1.intercept({ path: '/campaign/gone', method: 'GET' }).reply(404, envelope, {
        headers: { 'content-type': 'application/json; charset=utf-8', 'x-isx-node': 'node-1' },
      });

      const response = await send(fixture.router.url, 'GET', '/campaign/gone');

      expect(response.status).to.equal(404);
      expect(response.text).to.equal(envelope);
      expect(response.headers['x-isx-node']).to.equal('node-1');
      expect(response.headers['x-isx-shard']).to.equal('campaign-all');
      fixture.agent.assertNoPendingInterceptors();
    });

    it('passes a 412 envelope from a conditional PUT through unchanged, with the If-Match the caller sent', async () => {
      const envelope = JSON.stringify({
        error: {
          code: 'PRECONDITION_FAILED',
          message: 'The campaign "spring-sale" is at version 4, not 3.',
          details: { expected: '3', actual: '4' },
        },
      });
      fixture.node1
        .intercept({ path: '/campaign/spring-sale', method: 'PUT', headers: { 'if-match': '3' } })
        .reply(412, envelope, {
          headers: { 'content-type': 'application/json; charset=utf-8', etag: '"4"' },
        });

      const response = await send(fixture.router.url, 'PUT', '/campaign/spring-sale', {
        headers: { 'content-type': 'application/json', 'if-match': '3' },
        body: JSON.stringify({ title: 'Spring sale' }),
      });

      expect(response.status).to.equal(412);
      expect(response.text).to.equal(envelope);
      expect(response.headers.etag).to.equal('"4"');
      fixture.agent.assertNoPendingInterceptors();
    });
  });

  describe('a request body', () => {
    // The node here is a real one on loopback (node-3, type `ledger`), behind a router of its
    // own on undici's default pool: a MockAgent cannot see the Content-Length undici sends.
    const body = '{ "title" : "Été ☀️ sale",\n  "budget":1200.50,  "tags":["a" ,"b"] }\n';
    const loopback = useLoopbackNodeRouter(NODE_TIMEOUT_MS);
    /** The headers and the body of each request the node received, in order. */
    let received: Array<{ headers: IncomingHttpHeaders; body: string }>;

    /** Starts the node, which answers `{ key, version: 1 }`, and a router in front of it. */
    function start(): Promise<RunningRouter> {
      received = [];
      return loopback.start((request, response) => {
        const chunks: Buffer[] = [];
        request.on('data', (chunk: Buffer) => chunks.push(chunk));
        request.on('end', () => {
          received.push({ headers: request.headers, body: Buffer.concat(chunks).toString('utf8') });
          const key = (request.url ?? '').split('/')[2];
          response.writeHead(200, { 'content-type': 'application/json' });
          response.end(JSON.stringify({ key, version: 1 }));
        });
      });
    }

    it('reaches the node byte for byte as the caller sent it, with its Content-Type', async () => {
      const url = (await start()).url;

      const response = await send(url, 'PUT', '/ledger/summer', {
        headers: { 'content-type': 'application/json; charset=utf-8' },
        body,
      });

      expect(response.status, response.text).to.equal(200);
      expect(response.json).to.deep.equal({ key: 'summer', version: 1 });
      expect(loopback.node.received).to.deep.equal(['PUT /ledger/summer']);
      expect(received[0]!.headers['content-type']).to.equal('application/json; charset=utf-8');
      expect(received[0]!.headers['content-length']).to.equal(String(Buffer.byteLength(body)));
      expect(received[0]!.body).to.equal(body);
    });

    it('reaches the node unchanged when the caller sends a large body chunked in several writes', async () => {
      const large = JSON.stringify({ title: 'bulk', notes: 'ä€😀 '.repeat(40_000) });
      const url = (await start()).url;

      const response = await send(url, 'PUT', '/ledger/bulk', {
        headers: { 'content-type': 'application/json' },
        body: large,
        chunks: 7,
      });

      expect(response.status, response.text).to.equal(200);
      expect(loopback.node.received).to.deep.equal(['PUT /ledger/bulk']);
      expect(received[0]!.headers['content-length']).to.equal(String(Buffer.byteLength(large)));
      const receivedBody = received[0]!.body;
      expect(receivedBody).to.have.lengthOf(large.length);
      expect(receivedBody === large, 'the node received the body byte for byte').to.equal(true);
    });
  });
});

/**
 * What the router answers by itself, without a round trip to any node: an unknown type, an
 * invalid key, a key outside the type's key space, a body over 1 MiB, a route that does not
 * exist. undici's MockAgent, which the router sends its node requests through (its client is
 * undici's, which nock cannot see), stands in for node-1 with a catch-all interceptor per
 * method, so a request that reached it would use one up; any other request the router sends
 * is caught as a "no match" on its way to the network.
 */
import { expect } from 'chai';
import type { RunningRouter } from '@isx/router';
import { MockAgent, type MockPool } from 'undici';
import {
  expectEnvelope,
  NODE_1,
  send,
  startFixtureRouter,
  type RawResponse,
} from './support/router-fixture.js';
import { LOOPBACK_HOST } from './support/mocked-node-router.js';

const METHODS = ['GET', 'HEAD', 'PUT', 'POST', 'PATCH', 'DELETE'];
const MAX_BODY_BYTES = 1024 * 1024;

describe('router: answering by itself without contacting a node', () => {
  let router: RunningRouter;
  let agent: MockAgent;
  let node1: MockPool;
  /**
   * The hosts of the requests the router sent that no interceptor matched (the MockAgent asks
   * its net-connect matcher about those only, and tells it the host alone).
   */
  let strayRequests: string[];
  const recordStray = (host: string): boolean => {
    strayRequests.push(host);
    return LOOPBACK_HOST.test(host);
  };

  beforeEach(async () => {
    strayRequests = [];
    agent = new MockAgent();
    agent.disableNetConnect();
    agent.enableNetConnect(recordStray);
    router = (await startFixtureRouter({ nodeDispatcher: agent })).router;
    node1 = agent.get<MockPool>(NODE_1);
    for (const method of METHODS) {
      node1.intercept({ path: () => true, method }).reply(200, { reached: 'node-1' });
    }
  });

  afterEach(async () => {
    try {
      await router.close();
    } finally {
      await agent.close();
    }
  });

  /** The catch-all interceptors of node-1 that no request has used. */
  function unusedOnNode1(): unknown[] {
    return agent.pendingInterceptors().filter((interceptor) => interceptor.origin === NODE_1);
  }

  /** Asserts that no node saw a request. */
  function expectNoNodeContacted(response: RawResponse): void {
    expect(unusedOnNode1(), `node-1 was contacted; the router answered ${response.text}`).to.have.lengthOf(
      METHODS.length,
    );
    expect(() => agent.assertNoPendingInterceptors()).to.throw();
    expect(strayRequests).to.deep.equal([]);
  }

  describe('the watch on the nodes', () => {
    it('notices when a request does reach node-1', async () => {
      const response = await send(router.url, 'GET', '/campaign/spring-sale');

      expect(response.json).to.deep.equal({ reached: 'node-1' });
      expect(unusedOnNode1()).to.have.lengthOf(METHODS.length - 1);
    });

    it('notices when a request goes to a node the MockAgent does not stand in for', async () => {
      await send(router.url, 'GET', '/contact/zeta');

      expect(strayRequests).to.have.lengthOf(1);
    });
  });

  describe('an unknown type', () => {
    for (const method of ['GET', 'PUT', 'DELETE']) {
      it(`answers ${method} /planet/earth with 404 UNKNOWN_TYPE naming the type`, async () => {
        const response = await send(router.url, method, '/planet/earth', {
          ...(method === 'PUT' ? { headers: { 'content-type': 'application/json' }, body: '{"a":1}' } : {}),
        });

        const error = expectEnvelope(response, 404, 'UNKNOWN_TYPE');
        expect(error.details).to.deep.equal({ type: 'planet' });
        expect(error.message).to.contain('"planet"').and.contain('campaign');
        expectNoNodeContacted(response);
      });
    }

    it('answers POST /planet with 404 UNKNOWN_TYPE rather than 405', async () => {
      const response = await send(router.url, 'POST', '/planet', {
        headers: { 'content-type': 'application/json' },
        body: '{"a":1}',
      });

      expectEnvelope(response, 404, 'UNKNOWN_TYPE');
      expectNoNodeContacted(response);
    });

    it('answers GET /planet (no key) with 404 UNKNOWN_TYPE rather than 405', async () => {
      expectEnvelope(await send(router.url, 'GET', '/planet'), 404, 'UNKNOWN_TYPE');
    });

    it('refuses a write to an unknown type before reading its body, so a body over the limit is still a 404', async () => {
      const response = await send(router.url, 'PUT', '/planet/earth', {
        headers: { 'content-type': 'application/json' },
        body: `{"a":"${'x'.repeat(1_100_000)}"}`,
      });

      expectEnvelope(response, 404, 'UNKNOWN_TYPE');
    });
  });

  describe('an invalid key', () => {
    const invalidKeys: Array<{ what: string; path: string }> = [
      { what: 'an encoded space', path: '/campaign/spring%20sale' },
      { what: '257 characters', path: `/campaign/${'a'.repeat(257)}` },
      { what: 'a truncated percent-encoding', path: '/campaign/caf%C3%A' },
      { what: 'a percent sign that encodes nothing', path: '/campaign/100%zz' },
      { what: 'an encoded slash', path: '/campaign/a%2Fb' },
      { what: 'a character outside the key alphabet', path: '/campaign/caf%C3%A9' },
    ];

    for (const { what, path } of invalidKeys) {
      it(`answers 400 INVALID_KEY to a key with ${what}`, async () => {
        const response = await send(router.url, 'GET', path);

        expectEnvelope(response, 400, 'INVALID_KEY');
        expectNoNodeContacted(response);
      });
    }

    it('says how long a key of 257 characters was', async () => {
      const response = await send(router.url, 'GET', `/campaign/${'k'.repeat(257)}`);

      const error = expectEnvelope(response, 400, 'INVALID_KEY');
      expect(error.message).to.contain('257');
      expectNoNodeContacted(response);
    });

    it('answers 400 INVALID_KEY to a PUT with a body, without forwarding the body', async () => {
      const response = await send(router.url, 'PUT', '/campaign/spring%20sale', {
        headers: { 'content-type': 'application/json' },
        body: '{"title":"Spring sale"}',
      });

      expectEnvelope(response, 400, 'INVALID_KEY');
      expectNoNodeContacted(response);
    });

    it('forwards a key of exactly 256 characters', async () => {
      const key = 'a'.repeat(256);
      const response = await send(router.url, 'GET', `/campaign/${key}`);

      expect(response.status, response.text).to.equal(200);
      expect(unusedOnNode1()).to.have.lengthOf(METHODS.length - 1);
    });
  });

  describe('a key outside the key space of a lexical type', () => {
    for (const key of ['Zed', '~tilde', '0-first']) {
      it(`answers 400 KEY_NOT_COVERED to contact "${key}", with the key space in details`, async () => {
        const response = await send(router.url, 'GET', `/contact/${key}`);

        const error = expectEnvelope(response, 400, 'KEY_NOT_COVERED');
        expect(error.details).to.deep.include({ type: 'contact', key });
        expect(error.details?.keySpace).to.deep.equal({ start: 'a', end: '{' });
        expectNoNodeContacted(response);
      });
    }

    it('answers 400 KEY_NOT_COVERED to a PUT outside the key space', async () => {
      const response = await send(router.url, 'PUT', '/contact/Zed', {
        headers: { 'content-type': 'application/json' },
        body: '{"name":"Zed"}',
      });

      expectEnvelope(response, 400, 'KEY_NOT_COVERED');
      expectNoNodeContacted(response);
    });
  });

  describe('a body over 1 MiB', () => {
    it('answers 413 PAYLOAD_TOO_LARGE to a declared Content-Length of 1 MiB + 1 and closes the connection', async () => {
      const response = await send(router.url, 'PUT', '/campaign/huge', {
        headers: { 'content-type': 'application/json', 'content-length': String(MAX_BODY_BYTES + 1) },
      });

      const error = expectEnvelope(response, 413, 'PAYLOAD_TOO_LARGE');
      expect(error.details).to.deep.equal({ limitBytes: MAX_BODY_BYTES });
      expect(response.headers.connection).to.equal('close');
      expectNoNodeContacted(response);
    });

    it('answers 413 PAYLOAD_TOO_LARGE to a chunked body that grows past 1 MiB', async () => {
      const response = await send(router.url, 'PUT', '/campaign/huge', {
        headers: { 'content-type': 'application/json' },
        body: Buffer.alloc(MAX_BODY_BYTES + 1, 'x'),
        chunks: 4,
      });

      expectEnvelope(response, 413, 'PAYLOAD_TOO_LARGE');
      expectNoNodeContacted(response);
    });

    it('forwards a body of exactly 1 MiB', async () => {
      const body = `"${'x'.repeat(MAX_BODY_BYTES - 2)}"`;
      const response = await send(router.url, 'PUT', '/campaign/full', {
        headers: { 'content-type': 'application/json' },
        body,
      });

      expect(response.status, response.text).to.equal(200);
      expect(unusedOnNode1()).to.have.lengthOf(METHODS.length - 1);
    });
  });

  describe('a route that does not exist', () => {
    for (const [method, path] of [
      ['GET', '/cluster/nope'],
      ['DELETE', '/cluster/shards'],
      ['GET', '/healthz/deep'],
    ] as const) {
      it(`answers ${method} ${path} with a 404 ROUTE_NOT_FOUND envelope`, async () => {
        const response = await send(router.url, method, path);

        const error = expectEnvelope(response, 404, 'ROUTE_NOT_FOUND');
        expect(error.message).to.contain(path);
        expectNoNodeContacted(response);
      });
    }

    for (const path of ['/', '/campaign/spring-sale/extra/segments']) {
      it(`answers GET ${path} with a 404 ROUTE_NOT_FOUND envelope`, async () => {
        const response = await send(router.url, 'GET', path);

        expectEnvelope(response, 404, 'ROUTE_NOT_FOUND');
        expectNoNodeContacted(response);
      });
    }

    it('answers POST to a known type with 405 METHOD_NOT_ALLOWED when the map is fixed', async () => {
      const response = await send(router.url, 'POST', '/campaign', {
        headers: { 'content-type': 'application/json' },
        body: '{"title":"x"}',
      });

      expectEnvelope(response, 405, 'METHOD_NOT_ALLOWED');
      expectNoNodeContacted(response);
    });
  });
});

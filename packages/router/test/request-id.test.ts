/**
 * The router's request ids: the caller's `x-request-id` when it is a sane one, else a new one,
 * sent on to the node and echoed in every answer, the router's own errors included. undici's
 * MockAgent stands in for node-1 and checks what reaches it.
 */
import { expect } from 'chai';
import { requestIdSchema } from '@isx/core';
import { send } from './support/router-fixture.js';
import { useMockedNodeRouter } from './support/mocked-node-router.js';

describe('router: request ids', () => {
  const fixture = useMockedNodeRouter();

  it('sends the caller id on to the node and echoes it', async () => {
    fixture.node1
      .intercept({
        path: '/campaign/spring-sale',
        method: 'GET',
        headers: { 'x-request-id': 'test-abc-123' },
      })
      .reply(200, { key: 'spring-sale', version: 1, data: {} });

    const response = await send(fixture.router.url, 'GET', '/campaign/spring-sale', {
      headers: { 'x-request-id': 'test-abc-123' },
    });

    expect(response.status, response.text).to.equal(200);
    expect(response.headers['x-request-id']).to.equal('test-abc-123');
    fixture.agent.assertNoPendingInterceptors();
  });

  for (const [what, header] of [
    ['none', undefined],
    ['one of 300 characters', 'x'.repeat(300)],
    ['one with spaces', 'has some spaces'],
  ] as const) {
    it(`makes a new id when the caller sends ${what}, and the node gets that one`, async () => {
      let forwarded: unknown;
      fixture.node1
        .intercept({
          path: '/campaign/spring-sale',
          method: 'GET',
          headers: (headers) => {
            forwarded = headers['x-request-id'];
            return true;
          },
        })
        .reply(200, { key: 'spring-sale', version: 1, data: {} });

      const response = await send(fixture.router.url, 'GET', '/campaign/spring-sale', {
        headers: header === undefined ? {} : { 'x-request-id': header },
      });

      expect(response.status, response.text).to.equal(200);
      const id = response.headers['x-request-id'];
      expect(requestIdSchema.safeParse(id).success, String(id)).to.equal(true);
      expect(id).to.not.equal(header);
      expect(forwarded).to.equal(id);
    });
  }

  it('echoes the id on an error the router answers itself', async () => {
    const unknownType = await send(fixture.router.url, 'GET', '/nosuchtype/x', {
      headers: { 'x-request-id': 'err-1' },
    });
    expect(unknownType.status).to.equal(404);
    expect(unknownType.headers['x-request-id']).to.equal('err-1');

    // node-2 refuses connections: the router's own 503 carries the id too.
    const unavailable = await send(fixture.router.url, 'GET', '/contact/zeta', {
      headers: { 'x-request-id': 'err-2' },
    });
    expect(unavailable.status).to.equal(503);
    expect(unavailable.headers['x-request-id']).to.equal('err-2');
  });
});

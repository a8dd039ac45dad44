/**
 * How failures reach the caller: error envelopes rebuilt with their codes, transport
 * failures with the router's meanings, and bodies that break the contract. Above all, a
 * request whose outcome is uncertain is never sent a second time.
 */
import { expect } from 'chai';
import nock from 'nock';
import { IsxClient } from '@isx/client';
import {
  answer,
  envelope,
  FakeClock,
  isolateNetwork,
  layout,
  NODE_2,
  ROUTER,
  routerServesMaps,
  type RequestLog,
  rejection,
} from './support/fake-cluster.js';

const pendingOn = (host: string) => nock.pendingMocks().filter((mock) => mock.includes(host));
const STACK = /\n\s+at |node:internal|\.(?:ts|js):\d+:\d+/;

describe('client: errors', () => {
  isolateNetwork();
  let log: RequestLog;
  let client: IsxClient;

  beforeEach(() => {
    log = [];
    const clock = new FakeClock();
    client = new IsxClient({ routerUrl: ROUTER, timeoutMs: 100, clock, sleep: clock.sleep });
    routerServesMaps(log, layout(1));
  });
  afterEach(async () => {
    await client.close();
  });

  const campaigns = () => client.entity('campaign');

  describe('error envelopes', () => {
    it('turns a 404 envelope into NOT_FOUND, not retryable, sent once', async () => {
      nock(NODE_2)
        .get('/campaign/omega')
        .reply(answer(log, NODE_2, 404, envelope('NOT_FOUND', 'There is no campaign "omega".')));

      const error = await rejection(campaigns().get('omega'));

      expect(error).to.include({ code: 'NOT_FOUND', status: 404, retryable: false });
      expect(error.message).to.equal('There is no campaign "omega".');
      expect(log).to.deep.equal(['router GET /cluster', 'node-2 GET /campaign/omega']);
    });

    it('turns a 412 envelope into PRECONDITION_FAILED with the details the node gave', async () => {
      nock(NODE_2)
        .put('/campaign/omega')
        .reply(
          answer(
            log,
            NODE_2,
            412,
            envelope('PRECONDITION_FAILED', 'If-Match does not match: the current version is 4.', {
              currentVersion: 4,
            }),
          ),
        );

      const error = await rejection(campaigns().put('omega', { name: 'x' }, { ifMatch: 3 }));

      expect(error).to.include({ code: 'PRECONDITION_FAILED', status: 412 });
      expect(error.details).to.deep.equal({ currentVersion: 4 });
    });

    it('turns a 400 VALIDATION_FAILED envelope into that code', async () => {
      nock(NODE_2)
        .put('/campaign/omega')
        .reply(
          answer(log, NODE_2, 400, envelope('VALIDATION_FAILED', 'The body is not valid (name: Required).')),
        );

      const error = await rejection(campaigns().put('omega', {}));

      expect(error.code).to.equal('VALIDATION_FAILED');
    });

    it('rebuilds a router 503 NODE_UNAVAILABLE as a RetryableError and leaves resending to the caller', async () => {
      nock(NODE_2)
        .get('/campaign/omega')
        .reply(answer(log, NODE_2, 503, envelope('NODE_UNAVAILABLE', 'Node node-9 is not reachable.')));

      const error = await rejection(campaigns().get('omega'));

      expect(error).to.include({
        code: 'NODE_UNAVAILABLE',
        status: 503,
        retryable: true,
        name: 'RetryableError',
      });
      expect(log.filter((line) => line.startsWith('node-2'))).to.have.length(1);
    });
  });

  describe('transport failures', () => {
    it('reports a node that does not answer in time as NODE_TIMEOUT and does not resend the write', async () => {
      nock(NODE_2)
        .put('/campaign/omega')
        .times(2)
        .delay(400)
        .reply(answer(log, NODE_2, 200, { key: 'omega', version: 1 }));

      const error = await rejection(campaigns().put('omega', { name: 'x' }));

      expect(error).to.include({ code: 'NODE_TIMEOUT', retryable: false });
      expect(error.message).to.match(/within 100 ms; the request may or may not have been applied/);
      expect(error.details).to.deep.include({ peer: 'node', node: 'node-2', shard: 'campaign-n-z' });
      expect(pendingOn('node-2.test'), 'the second answer is never asked for').to.have.length(1);
    });

    it('reports a reset connection as NODE_CONNECTION_LOST and does not resend the write', async () => {
      nock(NODE_2)
        .patch('/campaign/omega')
        .times(2)
        .replyWithError(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }));

      const error = await rejection(campaigns().patch('omega', { name: 'x' }));

      expect(error).to.include({ code: 'NODE_CONNECTION_LOST', retryable: false });
      expect(error.message).to.match(/may or may not have been applied/);
      expect(pendingOn('node-2.test'), 'the second answer is never asked for').to.have.length(1);
    });

    it('reports a router that refuses the connection as a retryable NODE_UNAVAILABLE', async () => {
      const offline = new IsxClient({ routerUrl: 'http://127.0.0.1:1', routingCache: false });
      try {
        const error = await rejection(offline.entity('campaign').get('omega'));

        expect(error).to.include({ code: 'NODE_UNAVAILABLE', retryable: true });
        expect(error.message).to.match(/^The router \(http:\/\/127\.0\.0\.1:1\) is not reachable/);
      } finally {
        await offline.close();
      }
    });
  });

  describe('answers that break the contract', () => {
    it('names the node, the operation and the broken fields when a 200 is not an entity record', async () => {
      nock(NODE_2)
        .get('/campaign/omega')
        .reply(answer(log, NODE_2, 200, { key: 'omega', version: 0, data: 'not an object' }));

      const error = await rejection(campaigns().get('omega'));

      expect(error.code).to.equal('NODE_ERROR');
      expect(error.message).to.match(
        /^Node node-2 \(http:\/\/node-2\.test:4102\) answered GET \/campaign\/omega with 200 and a body that is not an entity record/,
      );
      const issues = (error.details as { issues: Array<{ path: string }> }).issues.map((i) => i.path);
      expect(issues).to.have.members(['version', 'data']);
    });

    it('says a write may have been applied when its 200 answer is not JSON', async () => {
      nock(NODE_2)
        .put('/campaign/omega')
        .reply(answer(log, NODE_2, 200, '<html>ok</html>'));

      const error = await rejection(campaigns().put('omega', { name: 'x' }));

      expect(error.code).to.equal('NODE_ERROR');
      expect(error.message).to.match(/not JSON; the request may or may not have been applied\.$/);
    });

    it('turns a 500 without an envelope into NODE_ERROR and keeps its text out of the message', async () => {
      nock(NODE_2)
        .get('/campaign/omega')
        .reply(answer(log, NODE_2, 500, 'Error: boom\n    at handler (/srv/app.js:10:5)'));

      const error = await rejection(campaigns().get('omega'));

      expect(error).to.include({ code: 'NODE_ERROR', status: 502 });
      expect(error.message).to.match(/with status 500 and no error envelope/);
      expect(error.message).not.to.match(STACK);
    });
  });
});

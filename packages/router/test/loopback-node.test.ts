/**
 * How the router handles a node that times out or drops a pooled connection, with a real
 * `node:http` node on a free loopback port: timeouts, resets and reused connections happen in
 * undici's socket handling, which only a real server exercises (a `MockAgent` never connects).
 * nock is switched off around these tests, in case a suite loaded before them turned it on.
 */
import { expect } from 'chai';
import { spawn, type ChildProcess } from 'node:child_process';
import { connect, type Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import nock from 'nock';
import { expectEnvelope, send, startFixtureRouter, useLoopbackNodeRouter } from './support/router-fixture.js';

const NODE_TIMEOUT_MS = 200;

describe('router: a real node on loopback', () => {
  const loopback = useLoopbackNodeRouter(NODE_TIMEOUT_MS);
  let nockWasActive = false;

  before(() => {
    nockWasActive = nock.isActive();
    if (nockWasActive) nock.restore();
  });

  after(() => {
    if (nockWasActive) nock.activate();
  });

  describe('that cannot be connected to', () => {
    // A listener whose process is stopped and whose accept queue is full: the kernel drops
    // further SYNs, so a connect hangs, as it does to a host behind a partition.
    let stopped: ChildProcess | undefined;
    const fillers: Socket[] = [];

    async function unconnectableUrl(): Promise<string> {
      stopped = spawn(
        process.execPath,
        [
          '-e',
          `require('net').createServer().listen({ port: 0, host: '127.0.0.1', backlog: 1 }, function () {
             console.log('PORT=' + this.address().port); process.kill(process.pid, 'SIGSTOP'); })`,
        ],
        { stdio: ['ignore', 'pipe', 'inherit'], env: { PATH: process.env.PATH } },
      );
      let output = '';
      for await (const chunk of stopped.stdout! as AsyncIterable<Buffer>) {
        output += chunk.toString();
        if (/PORT=\d+\n/.test(output)) break;
      }
      const port = Number(/PORT=(\d+)/.exec(output)?.[1]);
      if (!Number.isInteger(port)) throw new Error(`the stopped listener printed ${JSON.stringify(output)}`);
      await sleep(100);
      for (let i = 0; i < 4; i += 1) {
        const socket = connect({ port, host: '127.0.0.1' });
        socket.on('error', () => {});
        fillers.push(socket);
      }
      await sleep(100);
      return `http://127.0.0.1:${port}`;
    }

    afterEach(() => {
      for (const socket of fillers.splice(0)) socket.destroy();
      stopped?.kill('SIGKILL');
    });

    it('answers 503 NODE_UNAVAILABLE, retryable, once the node timeout passes without a connection', async () => {
      const node3Url = await unconnectableUrl();
      const router = loopback.adopt(
        (await startFixtureRouter({ nodeTimeoutMs: NODE_TIMEOUT_MS, node3Url, holdMs: 0 })).router,
      );

      const started = Date.now();
      const response = await send(router.url, 'PUT', '/ledger/far', {
        headers: { 'content-type': 'application/json' },
        body: '{"amount":10}',
      });

      const error = expectEnvelope(response, 503, 'NODE_UNAVAILABLE');
      expect(error.message).to.contain('did not accept a connection');
      expect(Date.now() - started).to.be.below(NODE_TIMEOUT_MS * 25);
    });
  });

  describe('that does not answer in time', () => {
    const neverAnswer = (request: { resume(): void }): void => {
      request.resume();
    };

    it('answers 504 NODE_TIMEOUT naming the node when a GET takes longer than the timeout', async () => {
      const url = (await loopback.start(neverAnswer)).url;

      const started = Date.now();
      const response = await send(url, 'GET', '/ledger/slow');
      const elapsed = Date.now() - started;

      const error = expectEnvelope(response, 504, 'NODE_TIMEOUT');
      expect(error.message).to.contain('node-3');
      expect(error.details).to.deep.equal({ node: 'node-3', shard: 'ledger-all' });
      expect(loopback.node.received).to.deep.equal(['GET /ledger/slow']);
      expect(elapsed)
        .to.be.at.least(NODE_TIMEOUT_MS - 20)
        .and.below(NODE_TIMEOUT_MS * 10);
    });

    it('answers 504 NODE_TIMEOUT to a PUT and does not send it again', async () => {
      const url = (await loopback.start(neverAnswer)).url;

      const response = await send(url, 'PUT', '/ledger/slow', {
        headers: { 'content-type': 'application/json' },
        body: '{"amount":10}',
      });

      const error = expectEnvelope(response, 504, 'NODE_TIMEOUT');
      expect(error.details).to.include({ node: 'node-3' });
      expect(loopback.node.received).to.deep.equal(['PUT /ledger/slow']);
    });

    it('relays an answer that comes within the timeout', async () => {
      const url = (
        await loopback.start((request, response) => {
          request.resume();
          setTimeout(() => response.end('{"key":"ok","version":1,"data":{}}'), NODE_TIMEOUT_MS / 4);
        })
      ).url;

      const response = await send(url, 'GET', '/ledger/ok');

      expect(response.status, response.text).to.equal(200);
      expect(response.json).to.deep.equal({ key: 'ok', version: 1, data: {} });
    });
  });

  describe('that closes a pooled keep-alive connection', () => {
    /** Answers the first request, then drops the connection of the next without answering. */
    const answerThenDropOnce = (
      request: { resume(): void; socket: { destroy(): void } },
      response: { end(body: string): void },
      index: number,
    ): void => {
      request.resume();
      if (index === 1) request.socket.destroy();
      else response.end(JSON.stringify({ key: 'k', version: 1, data: { index } }));
    };

    it('sends a GET once more on a fresh connection and relays that answer', async () => {
      const url = (await loopback.start(answerThenDropOnce)).url;

      const first = await send(url, 'GET', '/ledger/a');
      const second = await send(url, 'GET', '/ledger/b');

      expect(first.status, first.text).to.equal(200);
      expect(second.status, second.text).to.equal(200);
      expect(second.json).to.deep.equal({ key: 'k', version: 1, data: { index: 2 } });
      expect(loopback.node.received).to.deep.equal(['GET /ledger/a', 'GET /ledger/b', 'GET /ledger/b']);
      expect(loopback.node.connections).to.equal(2);
    });

    it('does not send a PUT again, and answers 502 NODE_CONNECTION_LOST', async () => {
      const url = (await loopback.start(answerThenDropOnce)).url;

      await send(url, 'GET', '/ledger/a');
      const response = await send(url, 'PUT', '/ledger/b', {
        headers: { 'content-type': 'application/json' },
        body: '{"amount":10}',
      });

      const error = expectEnvelope(response, 502, 'NODE_CONNECTION_LOST');
      expect(error.details).to.include({ node: 'node-3', shard: 'ledger-all' });
      expect(loopback.node.received).to.deep.equal(['GET /ledger/a', 'PUT /ledger/b']);
    });

    it('sends a GET again only once, and answers 502 NODE_CONNECTION_LOST when the fresh connection drops too', async () => {
      const url = (
        await loopback.start((request, response, index) => {
          request.resume();
          if (index >= 1) request.socket.destroy();
          else response.end('{"key":"k","version":1,"data":{}}');
        })
      ).url;

      await send(url, 'GET', '/ledger/a');
      const response = await send(url, 'GET', '/ledger/b');

      expectEnvelope(response, 502, 'NODE_CONNECTION_LOST');
      expect(loopback.node.received).to.deep.equal(['GET /ledger/a', 'GET /ledger/b', 'GET /ledger/b']);
    });
  });
});

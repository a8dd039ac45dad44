/**
 * A real router over a fixed shard map, for unit tests that stand undici's MockAgent in for its
 * nodes (the router's client is undici's, which nock cannot see).
 *
 * `node-1` lives at a made-up host that only the test's MockAgent, passed as `nodeDispatcher`,
 * answers; `node-2` is a loopback port that nothing listens on, so requests routed there are
 * refused for real. The router itself listens on 127.0.0.1, and loopback is the only host a
 * test's MockAgent lets through to the network.
 */
import { once } from 'node:events';
import { createServer, request, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect } from 'chai';
import { parseClusterConfig, ShardMap } from '@isx/core';
import { startRouter, type RunningRouter } from '@isx/router';
import { pino } from 'pino';
import type { Dispatcher } from 'undici';

export const NODE_1 = 'http://node-1.test:4101';

export interface RouterFixture {
  router: RunningRouter;
  /** The URL of node-2, where nothing listens. */
  deadNodeUrl: string;
}

export interface FixtureOptions {
  nodeTimeoutMs?: number;
  /** The URL of node-3, which serves the type `ledger`; by default a port nothing listens on. */
  node3Url?: string;
  /** How long the router holds a request whose shard is moving. */
  holdMs?: number;
  /** What the router sends node requests through: a test's MockAgent (default: undici's own pool). */
  nodeDispatcher?: Dispatcher;
}

/** A loopback port that was free a moment ago and that nothing listens on now. */
export async function unusedPort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/**
 * Starts a router with three types:
 * - `campaign` (hash) with one shard `campaign-all` on node-1;
 * - `contact` (lexical, key space `[a, {)`) split into `contact-a-m` on node-1 and
 *   `contact-n-z` on node-2;
 * - `ledger` (hash) with one shard `ledger-all` on node-3.
 */
export async function startFixtureRouter(options: FixtureOptions = {}): Promise<RouterFixture> {
  const deadNodeUrl = `http://127.0.0.1:${await unusedPort()}`;
  const node3Url = options.node3Url ?? `http://127.0.0.1:${await unusedPort()}`;
  const config = parseClusterConfig({
    nodes: { 'node-1': { url: NODE_1 }, 'node-2': { url: deadNodeUrl }, 'node-3': { url: node3Url } },
    types: {
      campaign: {
        partitioner: 'hash',
        shards: [{ id: 'campaign-all', range: { start: '', end: null }, node: 'node-1' }],
      },
      contact: {
        partitioner: 'lexical',
        keySpace: { start: 'a', end: '{' },
        shards: [
          { id: 'contact-a-m', range: { start: 'a', end: 'n' }, node: 'node-1' },
          { id: 'contact-n-z', range: { start: 'n', end: '{' }, node: 'node-2' },
        ],
      },
      ledger: {
        partitioner: 'hash',
        shards: [{ id: 'ledger-all', range: { start: '', end: null }, node: 'node-3' }],
      },
    },
  });
  const router = await startRouter({
    map: new ShardMap(config),
    port: 0,
    nodeTimeoutMs: options.nodeTimeoutMs ?? 200,
    ...(options.holdMs === undefined ? {} : { holdMs: options.holdMs }),
    ...(options.nodeDispatcher === undefined ? {} : { nodeDispatcher: options.nodeDispatcher }),
    logger: pino({ level: 'silent' }),
  });
  return { router, deadNodeUrl };
}

export interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  json: Record<string, unknown>;
}

export interface RawRequest {
  headers?: Record<string, string>;
  /** Sent as is, in `chunks` writes when given more than one. */
  body?: string | Buffer;
  /** Send the body in this many writes with chunked transfer encoding and no Content-Length. */
  chunks?: number;
}

/** One request on a fresh connection, with the response text kept whole. */
export function send(
  baseUrl: string,
  method: string,
  path: string,
  options: RawRequest = {},
): Promise<RawResponse> {
  const headers: Record<string, string> = { ...options.headers };
  const payload = options.body === undefined ? undefined : Buffer.from(options.body);
  if (payload && options.chunks === undefined) headers['content-length'] ??= String(payload.length);
  return new Promise((resolve, reject) => {
    const outgoing = request(`${baseUrl}${path}`, { method, headers, agent: false }, (response) => {
      const parts: Buffer[] = [];
      response.on('data', (chunk: Buffer) => parts.push(chunk));
      response.on('end', () => {
        const text = Buffer.concat(parts).toString('utf8');
        let json: Record<string, unknown> = {};
        try {
          json = JSON.parse(text) as Record<string, unknown>;
        } catch {
          // left empty: the assertions on json say what was wrong
        }
        resolve({ status: response.statusCode ?? 0, headers: response.headers, text, json });
      });
      response.on('error', reject);
    });
    outgoing.on('error', reject);
    if (payload && options.chunks !== undefined && options.chunks > 1) {
      const step = Math.ceil(payload.length / options.chunks);
      for (let i = 0; i < payload.length; i += step) outgoing.write(payload.subarray(i, i + step));
    } else if (payload) {
      outgoing.write(payload);
    }
    outgoing.end();
  });
}

const STACK_PATTERNS = [/\n\s+at /, /\bat .+:\d+:\d+/, /node:internal/, /\.(?:ts|js):\d+:\d+/];

/** Asserts the body carries nothing that looks like a stack trace. */
export function expectNoStack(response: RawResponse): void {
  for (const pattern of STACK_PATTERNS) expect(response.text).not.to.match(pattern);
}

export interface EnvelopeError {
  code: string;
  message: string;
  details?: Record<string, unknown>;
}

/** Asserts an error envelope with this status and code, and no stack; returns its `error`. */
export function expectEnvelope(response: RawResponse, status: number, code: string): EnvelopeError {
  expect(response.status, response.text).to.equal(status);
  expect(response.headers['content-type']).to.match(/^application\/json/);
  const error = response.json.error as EnvelopeError | undefined;
  expect(error, `an error envelope in ${response.text}`).to.be.an('object');
  expect(error!.code).to.equal(code);
  expect(error!.message).to.be.a('string').and.not.equal('');
  expectNoStack(response);
  return error!;
}

export interface LoopbackNode {
  url: string;
  /** The method and path of every request the node received, in order. */
  received: string[];
  /** How many TCP connections the node accepted. */
  connections: number;
  close(): Promise<void>;
}

/**
 * A real node on a free loopback port, scripted by `handle` (called with the request's index,
 * from 0). For what a MockAgent cannot act out: it answers without a connection, so the
 * router's timeouts never run and no keep-alive connection is reused or dropped, and it sees a
 * request before undici frames it, so not the Content-Length the node receives.
 */
export async function startLoopbackNode(
  handle: (request: IncomingMessage, response: ServerResponse, index: number) => void,
): Promise<LoopbackNode> {
  const node: Omit<LoopbackNode, 'close'> = { url: '', received: [], connections: 0 };
  const server = createServer((request, response) => {
    node.received.push(`${request.method} ${request.url}`);
    handle(request, response, node.received.length - 1);
  });
  server.on('connection', () => (node.connections += 1));
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  node.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return Object.assign(node, {
    close() {
      server.closeAllConnections();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  });
}

/** A loopback node (node-3, type `ledger`) with a fixture router in front, as `useLoopbackNodeRouter` gives. */
export interface LoopbackNodeRouter {
  /** Starts the node with `handle` and a router in front of it; resolves to the router. */
  start(handle: Parameters<typeof startLoopbackNode>[0]): Promise<RunningRouter>;
  /** The node the running test started. */
  readonly node: LoopbackNode;
  /** Has a router the test started by itself closed after it too; returns it. */
  adopt(router: RunningRouter): RunningRouter;
}

/**
 * Mocha hooks for tests against a real node on loopback: each test starts its node and router
 * with `start`, and both are closed after it.
 */
export function useLoopbackNodeRouter(nodeTimeoutMs: number): LoopbackNodeRouter {
  let node: LoopbackNode | undefined;
  let router: RunningRouter | undefined;
  afterEach(async () => {
    await router?.close();
    await node?.close();
    router = undefined;
    node = undefined;
  });
  return {
    async start(handle) {
      node = await startLoopbackNode(handle);
      router = (await startFixtureRouter({ nodeTimeoutMs, node3Url: node.url })).router;
      return router;
    },
    get node() {
      if (!node) throw new Error('no loopback node was started in this test');
      return node;
    },
    adopt(started) {
      router = started;
      return started;
    },
  };
}

/**
 * nock standing in for a router and two nodes, for tests about how the client handles what
 * they answer.
 *
 * The router lives at `http://router.test:4000`, node-1 at `http://node-1.test:4101` and
 * node-2 at `http://node-2.test:4102`; only nock answers them. One type, `campaign`, is
 * lexical: keys below `n` belong to one node and the rest to the other, as each test says.
 * Every answer is written to a shared log, so a test can assert the exact requests made.
 * Time is a fake clock whose `sleep` advances it without waiting.
 */
import { expect } from 'chai';
import { createServer } from 'node:http';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import nock from 'nock';
import type { ClusterView } from '@isx/core';

export const ROUTER = 'http://router.test:4000';
export const NODE_1 = 'http://node-1.test:4101';
export const NODE_2 = 'http://node-2.test:4102';

/** The requests made, as `host METHOD /path`, in the order they were answered. */
export type RequestLog = string[];

/** The node URLs of the low (`[a, n)`) and high (`[n, {)`) shards of `campaign`. */
export interface Layout {
  version: number;
  low: { node: string; url: string };
  high: { node: string; url: string };
}

/** The usual layout: node-1 holds a–m, node-2 holds n–z. */
export function layout(version: number, overrides: Partial<Omit<Layout, 'version'>> = {}): Layout {
  return {
    version,
    low: { node: 'node-1', url: NODE_1 },
    high: { node: 'node-2', url: NODE_2 },
    ...overrides,
  };
}

/** The body of `GET /cluster` for a layout. */
export function clusterView(spec: Layout): ClusterView {
  const shards = [
    { id: 'campaign-a-m', range: { start: 'a', end: 'n' }, node: spec.low.node },
    { id: 'campaign-n-z', range: { start: 'n', end: '{' }, node: spec.high.node },
  ];
  const urls: Record<string, string> = { [spec.low.node]: spec.low.url, [spec.high.node]: spec.high.url };
  const nodes = Object.fromEntries(Object.entries(urls).map(([id, url]) => [id, { url }]));
  const type = { partitioner: 'lexical' as const, keySpace: { start: 'a', end: '{' }, shards };
  return {
    version: spec.version,
    mode: 'manual',
    nodes: Object.entries(urls).map(([id, url]) => ({
      id,
      url,
      status: 'up' as const,
      shards: shards.filter((s) => s.node === id).length,
    })),
    types: { campaign: type },
    map: { version: spec.version, config: { nodes, types: { campaign: type } } },
  };
}

/** Logs a request and answers with `status` and `body` (a string is sent as is). */
export function answer(log: RequestLog, host: string, status: number, body: unknown) {
  return function (this: nock.ReplyFnContext, uri: string): nock.ReplyFnResult {
    log.push(`${label(host)} ${this.req.method} ${uri}`);
    const text = typeof body === 'string' ? body : JSON.stringify(body);
    return [status, text, { 'content-type': 'application/json; charset=utf-8' }];
  };
}

/** The router's `GET /cluster`, answering the given layouts in turn (the last one repeats). */
export function routerServesMaps(log: RequestLog, ...layouts: Layout[]): nock.Scope {
  const scope = nock(ROUTER);
  let served = 0;
  scope
    .get('/cluster')
    .times(1000)
    .reply(function () {
      const spec = layouts[Math.min(served, layouts.length - 1)]!;
      served += 1;
      log.push(`router GET /cluster`);
      return [200, clusterView(spec), { 'content-type': 'application/json' }];
    });
  return scope;
}

/** The error envelope of every process. */
export function envelope(code: string, message: string, details?: unknown): unknown {
  return { error: details === undefined ? { code, message } : { code, message, details } };
}

/** A clock tests move by hand; `sleep` advances it and records how long was asked. */
export class FakeClock {
  time = 1_000_000;
  readonly sleeps: number[] = [];

  now(): number {
    return this.time;
  }

  readonly sleep = (ms: number): Promise<void> => {
    this.sleeps.push(ms);
    this.time += ms;
    return Promise.resolve();
  };
}

/** A loopback URL where nothing listens, so a connection to it is refused for real. */
export async function refusingUrl(): Promise<string> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `http://127.0.0.1:${port}`;
}

function label(host: string): string {
  if (host === ROUTER) return 'router';
  if (host === NODE_1) return 'node-1';
  if (host === NODE_2) return 'node-2';
  return host;
}

/** Blocks every host but loopback, and clears interceptors after a test. */
export function isolateNetwork(): void {
  beforeEach(() => {
    nock.disableNetConnect();
    nock.enableNetConnect('127.0.0.1');
  });
  afterEach(() => {
    nock.cleanAll();
    nock.enableNetConnect();
  });
}

/** Awaits a call that must fail and returns what it failed with; fails the test if it succeeded. */
export async function rejection(promise: Promise<unknown>): Promise<Record<string, unknown>> {
  try {
    await promise;
  } catch (error) {
    return error as Record<string, unknown>;
  }
  expect.fail('expected the call to fail');
}

/**
 * Mocha hooks for tests where undici's MockAgent answers for node-1 in front of a real fixture
 * router.
 *
 * The router sends to its nodes with undici's own client, which nock cannot see, so each test
 * gets a fresh MockAgent that the router uses as its `nodeDispatcher`. The agent's network is
 * shut to everything but loopback (node-2, a port nothing listens on, must be refused for
 * real), so a request the router forwards to node-1 can only be answered by the test's
 * interceptors. After each test the router and the agent are closed, which drops every
 * interceptor; nothing global is changed, so no test can leave the network shut or an
 * interceptor behind for the tests that follow.
 */
import { MockAgent, type MockPool } from 'undici';
import { NODE_1, startFixtureRouter, type RouterFixture } from './router-fixture.js';

/** How long the router waits for a node in these tests. */
export const NODE_TIMEOUT_MS = 200;

/** The hosts a test's MockAgent lets through to the network: loopback, with any port. */
export const LOOPBACK_HOST = /^127\.0\.0\.1(?::\d+)?$/;

export interface MockedNodeRouter extends RouterFixture {
  /** What the router sends its node requests through; it answers for node-1. */
  agent: MockAgent;
  /** Where a test registers node-1's answers (`node1.intercept(...).reply(...)`). */
  node1: MockPool;
}

/** A MockAgent with the network shut to everything but loopback. */
export function loopbackOnlyAgent(): MockAgent {
  const agent = new MockAgent();
  agent.disableNetConnect();
  agent.enableNetConnect(LOOPBACK_HOST);
  return agent;
}

/**
 * Registers the hooks in the enclosing `describe` and returns the fixture of the running test.
 * Read its properties inside a test or hook only: a new router and agent start for every test.
 */
export function useMockedNodeRouter(): Readonly<MockedNodeRouter> {
  let current: MockedNodeRouter | undefined;
  let agent: MockAgent | undefined;

  beforeEach(async () => {
    agent = loopbackOnlyAgent();
    const fixture = await startFixtureRouter({ nodeTimeoutMs: NODE_TIMEOUT_MS, nodeDispatcher: agent });
    current = { ...fixture, agent, node1: agent.get<MockPool>(NODE_1) };
  });

  afterEach(async () => {
    try {
      await current?.router.close();
    } finally {
      current = undefined;
      await agent?.close();
      agent = undefined;
    }
  });

  function running(): MockedNodeRouter {
    if (!current) throw new Error('The mocked node router only runs inside a test or its hooks.');
    return current;
  }

  return {
    get router() {
      return running().router;
    },
    get deadNodeUrl() {
      return running().deadNodeUrl;
    },
    get agent() {
      return running().agent;
    },
    get node1() {
      return running().node1;
    },
  };
}

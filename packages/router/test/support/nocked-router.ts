/**
 * Mocha hooks for tests where nock answers for node-1 in front of a real fixture router.
 *
 * Before each test the network is shut to everything but 127.0.0.1 (the router itself), so a
 * request the router forwards to node-1 can only be answered by the test's interceptors; after
 * each test the router is closed, every interceptor is dropped and the network is opened again.
 * It must never leave the network shut or an interceptor behind for the tests that follow.
 */
import nock from 'nock';
import { startFixtureRouter, type RouterFixture } from './router-fixture.js';

/** How long the router waits for a node in these tests. */
export const NODE_TIMEOUT_MS = 200;

/**
 * Registers the hooks in the enclosing `describe` and returns the fixture of the running test.
 * Read its properties inside a test or hook only: a new router starts for every test.
 */
export function useNockedRouter(): Readonly<RouterFixture> {
  let current: RouterFixture | undefined;

  beforeEach(async () => {
    nock.disableNetConnect();
    nock.enableNetConnect('127.0.0.1');
    current = await startFixtureRouter({ nodeTimeoutMs: NODE_TIMEOUT_MS });
  });

  afterEach(async () => {
    await running().router.close();
    current = undefined;
    nock.cleanAll();
    nock.enableNetConnect();
  });

  function running(): RouterFixture {
    if (!current) throw new Error('The nocked router only runs inside a test or its hooks.');
    return current;
  }

  return {
    get router() {
      return running().router;
    },
    get deadNodeUrl() {
      return running().deadNodeUrl;
    },
  };
}

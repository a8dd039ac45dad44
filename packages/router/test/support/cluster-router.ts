/**
 * A real router over a real `ClusterManager` (a dynamic cluster, phase 2) with a clock the test
 * moves by hand, for tests of what the router knows of its nodes. No node runs: a node is
 * registered over HTTP with a loopback URL nothing listens on, so whatever the router asks of
 * it (a map announcement, a fence for a move) is refused at once. Its store lives in a temporary
 * directory removed on `close`.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CLUSTER_TOKEN_HEADER, type ShardLoad } from '@isx/core';
import { ClusterManager, startRouter, type ClusterManagerOptions, type RunningRouter } from '@isx/router';
import { pino } from 'pino';
import { send, unusedPort, type RawResponse } from './router-fixture.js';

const TOKEN = 'metrics-test-token';

export interface ClusterRouter {
  readonly router: RunningRouter;
  readonly manager: ClusterManager;
  /** Moves the manager's clock (wall and monotonic) on by `ms`. */
  advance(ms: number): void;
  /** Registers a node serving `note`; resolves to the id the router gave it. */
  register(): Promise<string>;
  heartbeat(nodeId: string, load?: ShardLoad[]): Promise<RawResponse>;
  /** A request with the cluster token and a JSON body, as an operator's CLI sends it. */
  operate(method: string, path: string, body: unknown): Promise<RawResponse>;
  close(): Promise<void>;
}

/**
 * Starts it with a sweep every 10 ms of real time, suspect after 600 ms and dead after 1000 ms
 * of the test's clock, and no automatic balancing; `options` may change any of those.
 */
export async function startClusterRouter(
  options: Partial<Omit<ClusterManagerOptions, 'clock' | 'logger' | 'token' | 'dataDir'>> = {},
): Promise<ClusterRouter> {
  let now = 1_800_000_000_000;
  const dataDir = await mkdtemp(join(tmpdir(), 'isx-router-metrics-'));
  const logger = pino({ level: 'silent' });
  const manager = await ClusterManager.open({
    dataDir,
    token: TOKEN,
    shardsPerType: 2,
    heartbeatMs: 20,
    suspectAfterMs: 600,
    deadAfterMs: 1_000,
    autoBalance: false,
    ...options,
    clock: { now: () => now, monotonic: () => now },
    logger,
  });
  const router = await startRouter({ cluster: { manager, token: TOKEN }, port: 0, logger });
  const operate = (method: string, path: string, body: unknown): Promise<RawResponse> =>
    send(router.url, method, path, {
      headers: { [CLUSTER_TOKEN_HEADER]: TOKEN, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
  return {
    router,
    manager,
    advance(ms) {
      now += ms;
    },
    async register() {
      const url = `http://127.0.0.1:${await unusedPort()}`;
      const response = await operate('POST', '/internal/register', {
        service: 'notes',
        types: ['note'],
        url,
      });
      if (response.status !== 200) throw new Error(`registration answered ${response.text}`);
      return String(response.json.nodeId);
    },
    heartbeat(nodeId, load) {
      return operate('POST', '/internal/heartbeat', {
        nodeId,
        mapVersion: manager.map.version,
        ...(load ? { load } : {}),
      });
    },
    operate,
    async close() {
      try {
        await router.close();
      } finally {
        await rm(dataDir, { recursive: true, force: true });
      }
    },
  };
}

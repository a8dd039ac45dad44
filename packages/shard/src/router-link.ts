/**
 * The node's side of membership (DESIGN §5): register with the router, keep the node id it
 * is given in the data directory (a restarted node is the same node), send heartbeats, and
 * pull the shard map whenever a heartbeat reply shows a newer version.
 *
 * Registration retries until the router answers, so nodes may start before the router.
 * A heartbeat that fails is logged and tried again on the next tick; the router decides
 * what a silence means, never the node.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  type ReplicaFailedRequest,
  type ShardLoad,
  CLUSTER_TOKEN_HEADER,
  errorBodySchema,
  errorFromBody,
  heartbeatResponseSchema,
  isIsxError,
  IsxError,
  registerResponseSchema,
  ShardMap,
  shardMapWireSchema,
  type RegisterRequest,
} from '@isx/core';
import type { Logger } from 'pino';
import type { MapOwnership } from './ownership.js';

export interface RouterLinkOptions {
  routerUrl: string;
  token: string;
  service: string;
  types: string[];
  /** The URL other processes reach this node at. */
  advertisedUrl: string;
  dataDir: string;
  ownership: MapOwnership;
  logger: Logger;
  capacity?: number;
  /** The load of the shards the node leads, sent with a heartbeat every `LOAD_REPORT_MS`. */
  loadReport?: () => ShardLoad[];
}

/** Heartbeats sent and how the router took them, for metrics. */
export interface HeartbeatStats {
  /** Heartbeats the router answered (and whose newer map, if any, was then pulled). */
  readonly ok: number;
  /** Heartbeats unanswered, refused, or whose newer map could not be pulled. */
  readonly failed: number;
  /**
   * When (`performance.now()`) a heartbeat last succeeded, or the registration before the
   * first; the link's start if neither has.
   */
  readonly lastSucceededAt: number;
}

const NODE_ID_FILE = 'node-id';
/** How often the heartbeat carries the shards' load. */
const LOAD_REPORT_MS = 1_000;

export class RouterLink {
  readonly #options: RouterLinkOptions;
  #heartbeatMs = 200;
  #leaseFrom: number | undefined;
  #timer: NodeJS.Timeout | undefined;
  #stopped = false;
  #pulling: Promise<void> | undefined;
  #loadReportedAt = 0;
  readonly #heartbeats = { ok: 0, failed: 0, lastSucceededAt: performance.now() };

  constructor(options: RouterLinkOptions) {
    this.#options = options;
  }

  /** Heartbeats sent since start and when one last succeeded (for metrics). */
  get heartbeats(): HeartbeatStats {
    return { ...this.#heartbeats };
  }

  /** Registers (retrying until the router answers) and adopts the map it returns. */
  async register(): Promise<string> {
    const options = this.#options;
    const known = await readNodeId(options.dataDir);
    const body: RegisterRequest = {
      ...(known ? { nodeId: known } : {}),
      service: options.service,
      types: options.types,
      url: options.advertisedUrl,
      capacity: options.capacity ?? 1,
    };
    for (let attempt = 1; !this.#stopped; attempt += 1) {
      try {
        const answer = registerResponseSchema.parse(await this.#post('/internal/register', body));
        if (answer.nodeId !== known)
          await writeFile(join(options.dataDir, NODE_ID_FILE), `${answer.nodeId}\n`);
        options.ownership.assignNodeId(answer.nodeId);
        options.ownership.update(new ShardMap(answer.map.config, answer.map.version));
        this.#heartbeatMs = answer.heartbeatMs;
        this.#heartbeats.lastSucceededAt = performance.now();
        options.logger.info(
          { nodeId: answer.nodeId, mapVersion: answer.map.version, rejoined: known === answer.nodeId },
          'registered',
        );
        return answer.nodeId;
      } catch (error) {
        if (isIsxError(error) && error.status < 500) throw error;
        options.logger.warn({ attempt, err: describe(error) }, 'registration failed; retrying');
        await sleep(Math.min(2_000, 100 * attempt));
      }
    }
    throw new IsxError('SHUTTING_DOWN', 'Stopped before registering.');
  }

  /** Starts the heartbeat loop. */
  start(): void {
    const beat = async (): Promise<void> => {
      if (this.#stopped) return;
      await this.#heartbeat();
      if (!this.#stopped) this.#timer = setTimeout(() => void beat(), this.#heartbeatMs);
    };
    this.#timer = setTimeout(() => void beat(), this.#heartbeatMs);
  }

  /** Pulls the current map from the router now (one pull at a time). */
  pullMap(): Promise<void> {
    this.#pulling ??= (async () => {
      try {
        const wire = shardMapWireSchema.parse(await this.#get('/internal/map'));
        if (this.#options.ownership.update(new ShardMap(wire.config, wire.version))) {
          this.#options.logger.info({ mapVersion: wire.version }, 'adopted a new shard map');
        }
      } finally {
        this.#pulling = undefined;
      }
    })();
    return this.#pulling;
  }

  stop(): void {
    this.#stopped = true;
    clearTimeout(this.#timer);
  }

  /**
   * Whether this node may still act as a primary: the router answered a heartbeat sent less
   * than `leaseMs` ago. The router declares a node dead only `deadAfterMs` (> `leaseMs`) after
   * it last heard from it, so by then the node has stopped serving on its own.
   */
  leaseHeld(leaseMs: number): boolean {
    return this.#leaseFrom !== undefined && performance.now() - this.#leaseFrom < leaseMs;
  }

  /**
   * Asks the router to empty this node and waits until the map leaves it no copy; false if
   * that takes longer than `timeoutMs` or the router refuses (the node then stops as it is).
   */
  async drain(timeoutMs: number): Promise<boolean> {
    const { ownership, logger } = this.#options;
    const deadline = performance.now() + timeoutMs;
    try {
      await this.#post(`/cluster/nodes/${encodeURIComponent(ownership.nodeId)}/drain`, { draining: true });
    } catch (error) {
      logger.warn({ err: describe(error) }, 'the router did not start a drain');
      return false;
    }
    let reported = -1;
    while (performance.now() < deadline) {
      await this.pullMap().catch(() => undefined);
      const held = ownership.map?.replicasOf(ownership.nodeId).length ?? 0;
      if (held === 0) return true;
      if (held !== reported) logger.info({ copiesHeld: held }, 'draining');
      reported = held;
      await sleep(this.#heartbeatMs);
    }
    return false;
  }

  /** Tells the router a backup did not take an entry; adopts the map it answers with. */
  async reportReplicaFailure(report: ReplicaFailedRequest): Promise<void> {
    const wire = shardMapWireSchema.parse(await this.#post('/internal/replica-failed', report));
    this.#options.ownership.update(new ShardMap(wire.config, wire.version));
  }

  async #heartbeat(): Promise<void> {
    const { ownership, logger } = this.#options;
    const sentAt = performance.now();
    const reportLoad = this.#options.loadReport && sentAt - this.#loadReportedAt >= LOAD_REPORT_MS;
    if (reportLoad) this.#loadReportedAt = sentAt;
    try {
      const answer = heartbeatResponseSchema.parse(
        await this.#post('/internal/heartbeat', {
          nodeId: ownership.nodeId,
          mapVersion: ownership.map?.version ?? 0,
          ...(reportLoad ? { load: this.#options.loadReport!() } : {}),
        }),
      );
      if (answer.mapVersion > (ownership.map?.version ?? 0)) await this.pullMap();
      // Renewed only once the map is current, so a deposed primary cannot renew on an old map.
      if (answer.mapVersion <= (ownership.map?.version ?? 0)) this.#leaseFrom = sentAt;
      this.#heartbeats.ok += 1;
      this.#heartbeats.lastSucceededAt = performance.now();
    } catch (error) {
      this.#heartbeats.failed += 1;
      if (isIsxError(error) && error.code === 'UNKNOWN_NODE') {
        logger.warn('the router does not know this node; registering again');
        await this.register().catch(() => undefined);
        return;
      }
      logger.debug({ err: describe(error) }, 'heartbeat failed');
    }
  }

  async #post(path: string, body: unknown): Promise<unknown> {
    return this.#call(path, { method: 'POST', body: JSON.stringify(body) });
  }

  async #get(path: string): Promise<unknown> {
    return this.#call(path, { method: 'GET' });
  }

  async #call(path: string, init: { method: string; body?: string }): Promise<unknown> {
    const response = await fetch(`${this.#options.routerUrl}${path}`, {
      ...init,
      headers: { 'content-type': 'application/json', [CLUSTER_TOKEN_HEADER]: this.#options.token },
      signal: AbortSignal.timeout(Math.max(1_000, this.#heartbeatMs * 5)),
    });
    const body: unknown = await response.json();
    if (!response.ok) {
      const envelope = errorBodySchema.safeParse(body);
      throw envelope.success
        ? errorFromBody(envelope.data, response.status)
        : new IsxError('NODE_ERROR', `The router answered ${response.status}.`);
    }
    return body;
  }
}

async function readNodeId(dataDir: string): Promise<string | undefined> {
  try {
    return (await readFile(join(dataDir, NODE_ID_FILE), 'utf8')).trim() || undefined;
  } catch {
    return undefined;
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

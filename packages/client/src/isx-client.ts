/**
 * `IsxClient`: the entry point of an application that talks to an Infinite Scale cluster.
 *
 * It owns the pooled connections, the routing cache and the retry policy, and hands out one
 * typed `EntityClient` per entity type. It must never hide an uncertain outcome behind a
 * retry, and never make a request fail only because its routing cache could not load.
 */
import { setTimeout as delay } from 'node:timers/promises';
import {
  clusterViewSchema,
  IsxError,
  isValidTypeName,
  RetryableError,
  ShardMap,
  systemClock,
  type Clock,
} from '@isx/core';
import { createEntityClient, type EntityClient } from './entity-client.js';
import { Dispatcher } from './internal/dispatcher.js';
import { HttpTransport, type PeerTarget } from './internal/http-transport.js';
import { readAnswer } from './internal/read-answer.js';
import { RoutingCache } from './routing-cache.js';

/** How to reach a cluster and how hard to try. */
export interface IsxClientOptions {
  /** The router's base URL, e.g. `http://127.0.0.1:4000`. */
  routerUrl: string;
  /** Send keyed requests straight to the owning node using a cached shard map (default `true`). */
  routingCache?: boolean;
  /** Sends of one request in all, when nodes answer `WRONG_SHARD` or `SHARD_MOVING` (default 4). */
  maxAttempts?: number;
  /** How long a peer may take to answer before the request fails with `NODE_TIMEOUT` (default 10 000). */
  timeoutMs?: number;
  /** The time source of backoff and of map-reload throttling (default `Date.now`). */
  clock?: Pick<Clock, 'now'>;
  /** How the client waits between attempts; tests pass one that advances their clock. */
  sleep?: (ms: number) => Promise<void>;
}

/**
 * A client for the public entity API of a cluster.
 *
 * @example
 * const client = new IsxClient({ routerUrl: 'http://127.0.0.1:4000' });
 * const campaigns = client.entity<Campaign>('campaign');
 * const { version } = await campaigns.put('spring-sale', { name: 'Spring sale', status: 'draft', budgetCents: 500 });
 * await campaigns.patch('spring-sale', { status: 'active' }, { ifMatch: version });
 * await client.close();
 */
export class IsxClient {
  /** The router's base URL, without a trailing slash. */
  readonly routerUrl: string;
  readonly #transport: HttpTransport;
  readonly #cache: RoutingCache;
  readonly #dispatcher: Dispatcher;
  #closed = false;

  constructor(options: IsxClientOptions) {
    this.routerUrl = checkRouterUrl(options.routerUrl);
    const maxAttempts = checkInteger('maxAttempts', options.maxAttempts ?? 4, 1);
    const timeoutMs = checkInteger('timeoutMs', options.timeoutMs ?? 10_000, 1);
    const sleep = options.sleep ?? ((ms: number) => delay(ms));
    this.#transport = new HttpTransport(timeoutMs);
    this.#cache = new RoutingCache({
      loadMap: () => this.#loadMap(),
      clock: options.clock ?? systemClock,
      sleep,
    });
    this.#dispatcher = new Dispatcher({
      routerUrl: this.routerUrl,
      transport: this.#transport,
      cache: options.routingCache === false ? undefined : this.#cache,
      maxAttempts,
      sleep,
    });
  }

  /**
   * The typed operations on one entity type. `TData` is the shape of its data; the client
   * checks the envelope of every answer, and the node checks the data against its schema.
   *
   * @throws IsxError `INVALID_REQUEST` for a name that cannot be an entity type.
   */
  entity<TData extends object = Record<string, unknown>>(type: string): EntityClient<TData> {
    if (!isValidTypeName(type)) {
      throw new IsxError(
        'INVALID_REQUEST',
        `"${type}" cannot name an entity type: use lowercase letters, digits and "-".`,
      );
    }
    return createEntityClient<TData>(type, async (request) => {
      if (this.#closed) throw closedError();
      return this.#dispatcher.send(request);
    });
  }

  /** Loads the shard map from the router now and returns it, whether or not the cache is on. */
  async refreshMap(): Promise<ShardMap> {
    if (this.#closed) throw closedError();
    return this.#cache.reload();
  }

  /**
   * Waits for a map reload in flight, then closes the pooled connections. Requests still in
   * flight are cut off (`NODE_CONNECTION_LOST`); later ones reject with `SHUTTING_DOWN`.
   */
  async close(): Promise<void> {
    this.#closed = true;
    await this.#cache.close();
    this.#transport.close();
  }

  async #loadMap(): Promise<ShardMap> {
    const router: PeerTarget = { role: 'router', baseUrl: this.routerUrl };
    const answer = await this.#transport.send(router, { method: 'GET', path: '/cluster' });
    const view = readAnswer(answer, clusterViewSchema, 'a cluster view');
    if (!view.map) {
      throw new RetryableError('MAP_NOT_READY', `The router at ${this.routerUrl} serves no shard map yet.`);
    }
    return new ShardMap(view.map.config, view.map.version);
  }
}

function closedError(): IsxError {
  return new IsxError('SHUTTING_DOWN', 'This client has been closed.');
}

function checkRouterUrl(raw: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new IsxError('INVALID_CONFIG', `routerUrl must be an http(s) URL, got ${JSON.stringify(raw)}.`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new IsxError('INVALID_CONFIG', `routerUrl must be an http(s) URL, got ${JSON.stringify(raw)}.`);
  }
  return raw.replace(/\/+$/, '');
}

function checkInteger(name: string, value: number, min: number): number {
  if (!Number.isSafeInteger(value) || value < min) {
    throw new IsxError('INVALID_CONFIG', `${name} must be an integer ≥ ${min}, got ${String(value)}.`);
  }
  return value;
}

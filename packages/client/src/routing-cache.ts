/**
 * The client's copy of the shard map, so a keyed request can go straight to the node that
 * owns it instead of through the router.
 *
 * The map is loaded on first use and reloaded when a node says it is stale. Reloads are
 * shared: while one is in flight every caller waits for that one, and a new one starts at
 * most once per `minRefreshIntervalMs` (measured on the injected clock), so a burst of
 * `421`s costs the router one `GET /cluster`, not one per request. The cache is advice,
 * never authority: it must never fail a request because it could not load — a key it cannot
 * place simply goes to the router.
 */
import type { Clock, Placement, ShardMap } from '@isx/core';

export interface RoutingCacheOptions {
  /** Fetches the current map from the router; may throw. */
  loadMap: () => Promise<ShardMap>;
  clock: Pick<Clock, 'now'>;
  sleep: (ms: number) => Promise<void>;
  /** The least time between the starts of two automatic reloads (default 100 ms). */
  minRefreshIntervalMs?: number;
}

/** Where the cache sends a key, and the map version that said so. */
export interface CachedPlacement extends Placement {
  readonly mapVersion: number;
}

export class RoutingCache {
  readonly #loadMap: () => Promise<ShardMap>;
  readonly #clock: Pick<Clock, 'now'>;
  readonly #sleep: (ms: number) => Promise<void>;
  readonly #minIntervalMs: number;
  #map: ShardMap | undefined;
  #pending: Promise<void> | undefined;
  #lastLoadAt = Number.NEGATIVE_INFINITY;
  #closed = false;

  constructor(options: RoutingCacheOptions) {
    this.#loadMap = options.loadMap;
    this.#clock = options.clock;
    this.#sleep = options.sleep;
    this.#minIntervalMs = options.minRefreshIntervalMs ?? 100;
  }

  /** The version of the map held, or `undefined` before the first successful load. */
  get version(): number | undefined {
    return this.#map?.version;
  }

  /**
   * Where `(type, key)` lives according to the cache, loading the map on first use.
   * `undefined` when the cache cannot say (no map yet, a type or key it does not know, a
   * node without an address): the caller then asks the router, which always knows.
   */
  async placement(type: string, key: string): Promise<CachedPlacement | undefined> {
    if (this.#map === undefined) {
      // On the request path a failed first load is not waited out: the router serves meanwhile.
      if (this.#pending) await this.#pending;
      else if (this.#clock.now() - this.#lastLoadAt >= this.#minIntervalMs) await this.refresh();
    }
    const map = this.#map;
    if (map === undefined) return undefined;
    try {
      const placement = map.locate(type, key);
      return placement.nodeUrl === '' ? undefined : { ...placement, mapVersion: map.version };
    } catch {
      return undefined;
    }
  }

  /**
   * Reloads the map unless a newer one than `staleVersion` is already held. Joins a reload in
   * flight; otherwise waits until `minRefreshIntervalMs` has passed since the last one began.
   * Never rejects: a failed load leaves the old map in place.
   */
  refresh(staleVersion?: number): Promise<void> {
    if (this.#pending) return this.#pending;
    if (this.#closed) return Promise.resolve();
    if (staleVersion !== undefined && this.#map !== undefined && this.#map.version > staleVersion) {
      return Promise.resolve();
    }
    const waitMs = this.#lastLoadAt + this.#minIntervalMs - this.#clock.now();
    const run = async (): Promise<void> => {
      if (waitMs > 0) await this.#sleep(waitMs);
      await this.#load().catch(() => undefined);
    };
    const pending = run().finally(() => {
      if (this.#pending === pending) this.#pending = undefined;
    });
    this.#pending = pending;
    return pending;
  }

  /** Loads the map now (after any load in flight) and returns it; rejects when it cannot. */
  async reload(): Promise<ShardMap> {
    await this.#pending;
    const loading = this.#load();
    const pending = loading.then(
      () => undefined,
      () => undefined,
    );
    this.#pending = pending;
    void pending.finally(() => {
      if (this.#pending === pending) this.#pending = undefined;
    });
    return loading;
  }

  /** Waits for a load in flight and stops further automatic reloads. */
  async close(): Promise<void> {
    this.#closed = true;
    await this.#pending;
  }

  async #load(): Promise<ShardMap> {
    this.#lastLoadAt = this.#clock.now();
    const map = await this.#loadMap();
    this.#map = map;
    return map;
  }
}

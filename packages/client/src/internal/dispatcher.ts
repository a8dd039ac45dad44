/**
 * Sends one request to the process that should answer it, and follows the map when that
 * process says it is the wrong one.
 *
 * With a routing cache, a keyed request goes to the owning node; a node that refuses the
 * connection is bypassed for that attempt through the router (which knows the current map)
 * while the cache reloads. `421 WRONG_SHARD` and `503 SHARD_MOVING` mean nothing was applied,
 * so the request is sent again, after a map reload and (for a move) a short backoff, at most
 * `maxAttempts` times in all. It must never resend a request whose outcome is uncertain
 * (timeout, lost connection): those errors go to the caller as they are.
 */
import { isIsxError, type IsxError } from '@isx/core';
import { answerError } from '../http-errors.js';
import type { RoutingCache } from '../routing-cache.js';
import type { HttpTransport, PeerAnswer, PeerRequest, PeerTarget } from './http-transport.js';

const FOLLOWED_CODES: ReadonlySet<string> = new Set(['WRONG_SHARD', 'SHARD_MOVING']);
const BACKOFF_BASE_MS = 50;
const BACKOFF_MAX_MS = 1_000;

export interface DispatcherOptions {
  routerUrl: string;
  transport: HttpTransport;
  /** Absent when every request goes through the router. */
  cache: RoutingCache | undefined;
  maxAttempts: number;
  sleep: (ms: number) => Promise<void>;
}

/** A request plus the entity it is about, so it can be routed. */
export interface DispatchRequest extends PeerRequest {
  readonly type: string;
  /** Absent for requests only the router serves (`POST /:type`). */
  readonly key?: string;
}

/** Sends one request and resolves with its 2xx answer. */
export type SendRequest = (request: DispatchRequest) => Promise<PeerAnswer>;

export class Dispatcher {
  readonly #router: PeerTarget;
  readonly #transport: HttpTransport;
  readonly #cache: RoutingCache | undefined;
  readonly #maxAttempts: number;
  readonly #sleep: (ms: number) => Promise<void>;

  constructor(options: DispatcherOptions) {
    this.#router = { role: 'router', baseUrl: options.routerUrl };
    this.#transport = options.transport;
    this.#cache = options.cache;
    this.#maxAttempts = options.maxAttempts;
    this.#sleep = options.sleep;
  }

  /** Resolves with a 2xx answer; rejects with the typed error of the last attempt. */
  async send(request: DispatchRequest): Promise<PeerAnswer> {
    for (let attempt = 1; ; attempt += 1) {
      const outcome = await this.#attempt(request);
      if (outcome.answer) return outcome.answer;
      const error = outcome.error;
      if (!FOLLOWED_CODES.has(error.code) || attempt >= this.#maxAttempts) throw error;
      // The cache reload spaces out retries by itself; without one, wait before asking again.
      if (error.code === 'SHARD_MOVING' || !this.#cache) await this.#sleep(backoffMs(attempt));
      await this.#cache?.refresh(outcome.mapVersion);
    }
  }

  async #attempt(
    request: DispatchRequest,
  ): Promise<{ answer: PeerAnswer; error?: never; mapVersion?: never } | AttemptFailure> {
    const placement =
      request.key !== undefined ? await this.#cache?.placement(request.type, request.key) : undefined;
    let answer: PeerAnswer | undefined;
    try {
      if (placement) {
        const node: PeerTarget = {
          role: 'node',
          baseUrl: placement.nodeUrl,
          nodeId: placement.shard.node,
          shardId: placement.shard.id,
        };
        answer = await this.#transport.send(node, request).catch((error: unknown) => {
          if (!isIsxError(error) || error.code !== 'NODE_UNAVAILABLE') throw error;
          // Refused: the node applied nothing, so the router may take this very attempt.
          void this.#cache?.refresh(placement.mapVersion);
          return undefined;
        });
      }
      answer ??= await this.#transport.send(this.#router, request);
    } catch (error) {
      if (isIsxError(error)) return { error, mapVersion: placement?.mapVersion };
      throw error;
    }
    if (answer.status >= 200 && answer.status <= 299) return { answer };
    return { error: answerError(answer), mapVersion: placement?.mapVersion };
  }
}

interface AttemptFailure {
  answer?: never;
  error: IsxError;
  /** The map version the attempt was routed by; `undefined` when the router chose. */
  mapVersion: number | undefined;
}

function backoffMs(attempt: number): number {
  return Math.min(BACKOFF_BASE_MS * 2 ** (attempt - 1), BACKOFF_MAX_MS);
}

/**
 * The operator's calls the nemesis makes on a dynamic cluster's router, behind the cluster
 * token: drain a node (`POST /cluster/nodes/:id/drain`) and split a shard
 * (`POST /cluster/shards/:id/split`). Every answer is parsed with a schema, and a refusal
 * becomes an `AdminRefusal` carrying the router's code and message. A split the router turns
 * down because a step is under way on the shard is tried again for a while, as an operator
 * would; nothing else is retried, and nothing is done that the router did not agree to.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import {
  CLUSTER_TOKEN_HEADER,
  drainAnswerSchema,
  errorBodySchema,
  shardAssignmentSchema,
  type DrainAnswer,
  type ShardAssignment,
} from '@isx/core';

/** `POST /cluster/shards/:id/split` → 200: the two halves (each checked with core's schema). */
export interface SplitAnswer {
  readonly left: ShardAssignment;
  readonly right: ShardAssignment;
}

/** How long a split refused with `MOVE_IN_PROGRESS` is tried again. */
const SPLIT_RETRY_MS = 15_000;

/** The router refused an operator's call. */
export class AdminRefusal extends Error {
  readonly code: string;
  readonly status: number;

  constructor(call: string, status: number, code: string, message: string) {
    super(`${call} was refused: ${status} ${code}: ${message}`);
    this.name = 'AdminRefusal';
    this.code = code;
    this.status = status;
  }
}

export class ClusterAdmin {
  readonly #routerUrl: string;
  readonly #token: string;

  constructor(routerUrl: string, token: string) {
    this.#routerUrl = routerUrl;
    this.#token = token;
  }

  /** Starts emptying `nodeId`; answers how many copies it still holds. */
  async drain(nodeId: string): Promise<DrainAnswer> {
    return drainAnswerSchema.parse(
      await this.#post(`/cluster/nodes/${encodeURIComponent(nodeId)}/drain`, {}),
    );
  }

  /** Splits `shardId` at `at` (or its middle), waiting out a step under way on it. */
  async split(shardId: string, at?: string): Promise<SplitAnswer> {
    const deadline = performance.now() + SPLIT_RETRY_MS;
    for (;;) {
      try {
        const answer = await this.#post(
          `/cluster/shards/${encodeURIComponent(shardId)}/split`,
          at === undefined ? {} : { at },
        );
        const halves = (answer ?? {}) as { left?: unknown; right?: unknown };
        return {
          left: shardAssignmentSchema.parse(halves.left),
          right: shardAssignmentSchema.parse(halves.right),
        };
      } catch (error) {
        const busy = error instanceof AdminRefusal && error.code === 'MOVE_IN_PROGRESS';
        if (!busy || performance.now() > deadline) throw error;
        await sleep(200);
      }
    }
  }

  async #post(path: string, body: unknown): Promise<unknown> {
    const response = await fetch(`${this.#routerUrl}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', [CLUSTER_TOKEN_HEADER]: this.#token },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(10_000),
    });
    const answer: unknown = await response.json().catch(() => undefined);
    if (response.ok) return answer;
    const refusal = errorBodySchema.safeParse(answer);
    throw new AdminRefusal(
      `POST ${path}`,
      response.status,
      refusal.success ? refusal.data.error.code : 'UNKNOWN',
      refusal.success ? refusal.data.error.message : 'the router answered without an error body',
    );
  }
}

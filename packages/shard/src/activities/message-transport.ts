/**
 * Carries deliveries to the primaries of their receivers' shards, found through this node's
 * map. Deliveries asked for in the same turn of the event loop (a delivery round starts all its
 * pairs at once) are grouped by receiving node: one `POST /internal/messages` carries every
 * pair's window for that node, and the node answers each delivery on its own. A request costs
 * both nodes far more than the messages in it, so this is what lets many pairs share the cost.
 *
 * It follows a receiver that has moved or failed over ("service chasing", DESIGN §7): a
 * delivery answered `421 WRONG_SHARD` means the map here is behind, so the map is pulled and the
 * delivery goes again to wherever the map now says, up to `MAX_CHASES` times. Any other failure
 * is the delivery loop's to retry or park: a request that fails as a whole fails each of its
 * deliveries with the same error.
 *
 * A receiver type that no node has registered yet is a wait (`MAP_NOT_READY`), not a refusal:
 * its service may simply not have started.
 */
import {
  CLUSTER_TOKEN_HEADER,
  deliveryResultsSchema,
  errorBodySchema,
  errorFromBody,
  isIsxError,
  IsxError,
  MAX_BODY_BYTES,
  MAX_DELIVERIES_PER_REQUEST,
  RetryableError,
  type DeliveredBatch,
  type DeliveryResult,
  type ShardMap,
} from '@isx/core';
import { postJsonText } from '../internal/peer-http.js';
import type { PeerRoutes } from '../peer-routes.js';
import type { Deliver } from './delivery-loop.js';

const MAX_CHASES = 3;
/** A request's body, in UTF-16 units: at most 3 bytes each, so always under the receiver's limit. */
const MAX_REQUEST_BYTES = Math.floor(MAX_BODY_BYTES / 3);

export interface MessageTransportOptions {
  token: string;
  peers?: PeerRoutes | undefined;
  map(): ShardMap | undefined;
  /** Pulls the current map from the router. */
  pullMap(): Promise<void>;
  /** How long a receiving node has to answer (default 2 s). */
  timeoutMs?: number;
}

/** One delivery waiting for its request, and who waits for its outcome. */
interface Waiting {
  readonly batch: DeliveredBatch;
  readonly chases: number;
  resolve(answer: { through: number }): void;
  reject(error: unknown): void;
}

export function messageTransport(options: MessageTransportOptions): Deliver {
  const byNode = new Map<string, Waiting[]>();
  let flushScheduled = false;
  let mapPull: Promise<void> | undefined;

  const enqueue = (waiting: Waiting): void => {
    let nodeUrl: string;
    try {
      nodeUrl = receiverUrl(options.map(), waiting.batch);
    } catch (error) {
      waiting.reject(error);
      return;
    }
    const queue = byNode.get(nodeUrl);
    if (queue) queue.push(waiting);
    else byNode.set(nodeUrl, [waiting]);
    if (!flushScheduled) {
      flushScheduled = true;
      setImmediate(flush);
    }
  };

  const flush = (): void => {
    flushScheduled = false;
    const due = [...byNode];
    byNode.clear();
    for (const [nodeUrl, queue] of due) {
      for (const request of requestsOf(queue)) void send(nodeUrl, request);
    }
  };

  /** Pulls the map once for every delivery that found it behind at about the same time. */
  const pullMapOnce = (): Promise<void> => {
    mapPull ??= options
      .pullMap()
      .catch(() => undefined)
      .finally(() => {
        mapPull = undefined;
      });
    return mapPull;
  };

  const settle = (waiting: Waiting, result: DeliveryResult): void => {
    if (!('error' in result)) {
      waiting.resolve({ through: result.through });
      return;
    }
    const error = errorFromBody({ error: result.error }, result.status);
    if (error.code !== 'WRONG_SHARD' || waiting.chases >= MAX_CHASES) {
      waiting.reject(error);
      return;
    }
    void pullMapOnce().then(() => enqueue({ ...waiting, chases: waiting.chases + 1 }));
  };

  const send = async (nodeUrl: string, { deliveries, body }: OutgoingRequest): Promise<void> => {
    try {
      const url = `${nodeUrl}/internal/messages`;
      const answer = await postJsonText(
        options.peers?.resolve(url) ?? url,
        body,
        { [CLUSTER_TOKEN_HEADER]: options.token },
        options.timeoutMs ?? 2_000,
      );
      const results = answer.status === 200 ? deliveryResultsSchema.safeParse(answer.body) : undefined;
      if (results?.success && results.data.results.length === deliveries.length) {
        for (const [index, waiting] of deliveries.entries()) settle(waiting, results.data.results[index]!);
        return;
      }
      const envelope = errorBodySchema.safeParse(answer.body);
      throw envelope.success
        ? errorFromBody(envelope.data, answer.status)
        : new RetryableError('NODE_ERROR', `The receiver answered ${answer.status} without its results.`);
    } catch (error) {
      for (const waiting of deliveries) waiting.reject(error);
    }
  };

  return (batch: DeliveredBatch): Promise<{ through: number }> =>
    new Promise((resolve, reject) => enqueue({ batch, chases: 0, resolve, reject }));
}

/** Deliveries to one node, and the body that carries them. */
interface OutgoingRequest {
  readonly deliveries: Waiting[];
  readonly body: string;
}

/**
 * Splits one node's deliveries into requests of at most `MAX_DELIVERIES_PER_REQUEST` and a
 * third of the body limit, so that a request is never refused for its size: only a delivery
 * too large on its own would be, as it would be alone.
 */
function requestsOf(queue: readonly Waiting[]): OutgoingRequest[] {
  const requests: OutgoingRequest[] = [];
  let deliveries: Waiting[] = [];
  let parts: string[] = [];
  let bytes = 0;
  const close = (): void => {
    if (deliveries.length === 0) return;
    requests.push({ deliveries, body: `{"deliveries":[${parts.join(',')}]}` });
    deliveries = [];
    parts = [];
    bytes = 0;
  };
  for (const waiting of queue) {
    const part = JSON.stringify(waiting.batch);
    if (deliveries.length >= MAX_DELIVERIES_PER_REQUEST || bytes + part.length > MAX_REQUEST_BYTES) close();
    deliveries.push(waiting);
    parts.push(part);
    bytes += part.length + 1;
  }
  close();
  return requests;
}

function receiverUrl(map: ShardMap | undefined, message: DeliveredBatch): string {
  const { type, key } = message.to;
  if (!map) throw new RetryableError('MAP_NOT_READY', 'This node has no shard map yet.');
  try {
    return map.locate(type, key).nodeUrl;
  } catch (error) {
    if (isIsxError(error) && error.code === 'UNKNOWN_TYPE') {
      throw new RetryableError('MAP_NOT_READY', `No node serves ${type} yet.`, { retryAfterMs: 1_000 });
    }
    throw error instanceof IsxError ? error : new IsxError('INTERNAL', String(error));
  }
}

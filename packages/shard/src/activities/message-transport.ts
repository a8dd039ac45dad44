/**
 * Delivers a pair's next messages to the primary of their receiver's shard, found through this node's map,
 * and follows a receiver that has moved or failed over ("service chasing", DESIGN §7): an
 * answer `421 WRONG_SHARD` means the map here is behind, so it is pulled and the message goes
 * again to wherever the map now says, up to `MAX_CHASES` times in one attempt. Any other failure
 * is the delivery loop's to retry or park.
 *
 * A receiver type that no node has registered yet is a wait (`MAP_NOT_READY`), not a refusal:
 * its service may simply not have started.
 */
import {
  CLUSTER_TOKEN_HEADER,
  deliveryAnswerSchema,
  errorBodySchema,
  errorFromBody,
  isIsxError,
  IsxError,
  RetryableError,
  type DeliveredBatch,
  type ShardMap,
} from '@isx/core';
import { postJson } from '../internal/peer-http.js';
import type { PeerRoutes } from '../peer-routes.js';
import type { Deliver } from './delivery-loop.js';

const MAX_CHASES = 3;

export interface MessageTransportOptions {
  token: string;
  peers?: PeerRoutes | undefined;
  map(): ShardMap | undefined;
  /** Pulls the current map from the router. */
  pullMap(): Promise<void>;
  /** How long a receiver has to answer (default 2 s). */
  timeoutMs?: number;
}

export function messageTransport(options: MessageTransportOptions): Deliver {
  return async (message: DeliveredBatch): Promise<{ through: number }> => {
    for (let chase = 0; ; chase += 1) {
      const url = `${receiverUrl(options.map(), message)}/internal/messages`;
      const answer = await postJson(
        options.peers?.resolve(url) ?? url,
        message,
        { [CLUSTER_TOKEN_HEADER]: options.token },
        options.timeoutMs ?? 2_000,
      );
      const delivered = answer.status === 200 ? deliveryAnswerSchema.safeParse(answer.body) : undefined;
      if (delivered?.success) return delivered.data;
      const envelope = errorBodySchema.safeParse(answer.body);
      const error = envelope.success
        ? errorFromBody(envelope.data, answer.status)
        : new RetryableError(
            'NODE_ERROR',
            `The receiver answered ${answer.status} without an error envelope.`,
          );
      if (error.code !== 'WRONG_SHARD' || chase >= MAX_CHASES) throw error;
      await options.pullMap().catch(() => undefined);
    }
  };
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

/**
 * One shard move (phase 2, one copy): fence the source, copy to the target, switch the map.
 *
 * 1. the source fences the shard's range: writes get a retryable `503 SHARD_MOVING`, and
 *    the fence is granted only after writes in flight have committed;
 * 2. the target clears the range and pulls it from the source;
 * 3. the router commits the new map (persisted first), then tells both nodes;
 * 4. the source drops its copy, which it no longer owns.
 * If step 1 or 2 fails the map is unchanged and the source is unfenced, so nothing is lost:
 * the source still owns every acknowledged write. The router holds writes that meet the
 * fence and retries them against whoever owns the shard when the fence lifts.
 */
import { copyResultSchema, type ShardAssignment } from '@isx/core';
import type { Logger } from 'pino';
import type { NodeCaller } from './node-calls.js';

export interface MoveStep {
  shard: ShardAssignment & { type: string };
  sourceUrl: string;
  targetUrl: string;
  to: string;
}

export interface MoveHooks {
  /** Commits the map with the shard on the target; resolves once persisted. */
  switchOwner(): Promise<void>;
  /** Tells nodes about the new map (best effort). */
  announce(): Promise<void>;
  progress(phase: 'fencing' | 'copying' | 'switching', entitiesCopied?: number): void;
}

const FENCE_TTL_MS = 60_000;
const COPY_TIMEOUT_MS = 600_000;

export async function moveShard(
  step: MoveStep,
  calls: NodeCaller,
  hooks: MoveHooks,
  logger: Logger,
): Promise<{ entities: number; bytes: number }> {
  const scope = { shardId: step.shard.id, type: step.shard.type, range: step.shard.range };
  hooks.progress('fencing');
  await calls.post(step.sourceUrl, '/internal/shards/fence', { ...scope, ttlMs: FENCE_TTL_MS });
  let copied: { entities: number; bytes: number };
  try {
    hooks.progress('copying');
    copied = copyResultSchema.parse(
      await calls.post(
        step.targetUrl,
        '/internal/shards/copy',
        { ...scope, sourceUrl: step.sourceUrl },
        COPY_TIMEOUT_MS,
      ),
    );
    hooks.progress('switching', copied.entities);
    await hooks.switchOwner();
  } catch (error) {
    await calls.post(step.sourceUrl, '/internal/shards/unfence', scope).catch((unfenceError: unknown) => {
      logger.warn(
        { err: unfenceError, shard: scope.shardId },
        'unfence after a failed move did not reach the source; its fence will expire',
      );
    });
    throw error;
  }
  await hooks.announce();
  await calls.post(step.sourceUrl, '/internal/shards/drop', scope).catch((error: unknown) => {
    logger.warn({ err: error, shard: scope.shardId }, 'the source could not drop its old copy yet');
  });
  return copied;
}

/**
 * The dead letters of a dynamic cluster (DESIGN §7): messages a sender gave up on, kept in the
 * sender's own record. Each node lists those of the entities it leads; the router asks every
 * live node and merges their lists, naming any node it could not ask. A replay goes to the
 * primary of the sender, which puts the letters back in its queue under new numbers.
 */
import {
  deadLettersAnswerSchema,
  replayAnswerSchema,
  type DeadLettersAnswer,
  type ReplayAnswer,
  type ReplayRequest,
  type ShardMap,
} from '@isx/core';
import type { NodeCaller } from './node-calls.js';

/** Every live node's dead letters, oldest first. */
export async function collectDeadLetters(
  nodes: ReadonlyArray<{ id: string; url: string }>,
  calls: NodeCaller,
): Promise<DeadLettersAnswer> {
  const answers = await Promise.all(
    nodes.map((node) =>
      calls.get(node.url, '/internal/dead-letters', 5_000).then(
        (body) => ({ node: node.id, letters: deadLettersAnswerSchema.parse(body).deadLetters }),
        () => ({ node: node.id, letters: undefined }),
      ),
    ),
  );
  const deadLetters = answers
    .flatMap((a) => a.letters ?? [])
    .sort((a, b) => a.parkedAt.localeCompare(b.parkedAt));
  const unanswered = answers.filter((a) => a.letters === undefined).map((a) => a.node);
  return { deadLetters, ...(unanswered.length > 0 ? { unanswered } : {}) };
}

/** Has the sender's primary send its dead letters again (those the request names). */
export async function replayDeadLetters(
  map: ShardMap,
  request: ReplayRequest,
  calls: NodeCaller,
): Promise<ReplayAnswer> {
  const { nodeUrl } = map.locate(request.sender.type, request.sender.key);
  return replayAnswerSchema.parse(await calls.post(nodeUrl, '/internal/dead-letters/replay', request, 5_000));
}

/**
 * The per-partner state an entity keeps of its messages (DESIGN §7, Helland's activities),
 * stored inside the entity's own record, so it is written in the same batch as the state that
 * produced it, replicated with it, and moved and split with it, with nothing else to carry.
 *
 * - `out[partner]`: the last sequence number given to a message for that partner (`sent`),
 *   the last one it acknowledged (`acked`), and the messages still to deliver (`pending`), in
 *   order. `dead` holds the messages given up on.
 * - `in[partner]`: the highest sequence number applied from that partner; a message at or
 *   below it is a repeat and is acknowledged without effect.
 *
 * Partners are named `type/key`.
 */
import { z } from 'zod';
import { entityAddressSchema, messageKindSchema } from './message.js';

export const pendingMessageSchema = z.object({
  seq: z.number().int().min(1),
  kind: messageKindSchema,
  payload: z.json(),
  /** When the operation that sent it was committed. */
  sentAt: z.string(),
});
export type PendingMessage = z.infer<typeof pendingMessageSchema>;

export const deadLetterSchema = pendingMessageSchema.extend({
  /** The receiver, `type/key`. */
  to: z.string(),
  reason: z.string(),
  attempts: z.number().int().min(0),
  parkedAt: z.string(),
});
export type DeadLetter = z.infer<typeof deadLetterSchema>;

export const outgoingActivitySchema = z.object({
  sent: z.number().int().min(0),
  acked: z.number().int().min(0),
  pending: z.array(pendingMessageSchema),
});
export type OutgoingActivity = z.infer<typeof outgoingActivitySchema>;

export const incomingActivitySchema = z.object({
  applied: z.number().int().min(0),
});
export type IncomingActivity = z.infer<typeof incomingActivitySchema>;

export const activityStateSchema = z.object({
  out: z.record(z.string(), outgoingActivitySchema).optional(),
  in: z.record(z.string(), incomingActivitySchema).optional(),
  dead: z.array(deadLetterSchema).optional(),
});
export type ActivityState = z.infer<typeof activityStateSchema>;

/** An entity's record as replicas store and exchange it; no `data` is a tombstone. */
export const storedValueSchema = z.object({
  version: z.number().int().min(1),
  data: z.record(z.string(), z.unknown()).optional(),
  updatedAt: z.string(),
  activity: activityStateSchema.optional(),
});
export type StoredValue = z.infer<typeof storedValueSchema>;

/** Whether the record has messages waiting to be delivered. */
export function hasPendingMessages(activity: ActivityState | undefined): boolean {
  return Object.values(activity?.out ?? {}).some((partner) => partner.pending.length > 0);
}

/** A dead letter as `GET /cluster/dead-letters` lists it: with the entity that sent it. */
export const deadLetterViewSchema = deadLetterSchema.extend({ sender: entityAddressSchema });
export type DeadLetterView = z.infer<typeof deadLetterViewSchema>;

/** `GET /internal/dead-letters` on a node, and `GET /cluster/dead-letters` on the router. */
export const deadLettersAnswerSchema = z.object({
  deadLetters: z.array(deadLetterViewSchema),
  /** On the router: nodes that could not be asked, whose dead letters are missing from the list. */
  unanswered: z.array(z.string()).optional(),
});
export type DeadLettersAnswer = z.infer<typeof deadLettersAnswerSchema>;

/** `POST /cluster/dead-letters/replay`: send a sender's dead letters again (to one receiver, or one of them). */
export const replayRequestSchema = z.strictObject({
  sender: entityAddressSchema,
  /** The receiver, `type/key`; absent: every receiver. */
  to: z.string().min(3).max(600).optional(),
  seq: z.number().int().min(1).optional(),
});
export type ReplayRequest = z.infer<typeof replayRequestSchema>;

export const replayAnswerSchema = z.object({ requeued: z.number().int().min(0) });
export type ReplayAnswer = z.infer<typeof replayAnswerSchema>;

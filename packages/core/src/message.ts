/**
 * Messages between entities (DESIGN §7, Helland's "activities"): what an operation sends
 * besides the state it leaves behind, addressed by an entity's type and key only, never by a
 * shard or a node. An operation returns its messages with its state through `withMessages`;
 * they are kept with the sender's state, written in the same atomic batch, and delivered at
 * least once; the receiver applies each exactly once.
 *
 * This module only describes messages; it does no I/O.
 */
import { z } from 'zod';
import { errorBodySchema } from './errors.js';
import { isValidKey, isValidTypeName } from './key.js';

/** Where a message goes, or where it came from: an entity, by type and key. */
export const entityAddressSchema = z.strictObject({
  type: z.string().refine(isValidTypeName, 'not a valid entity type name'),
  key: z.string().refine(isValidKey, 'not a valid key'),
});
export type EntityAddress = z.infer<typeof entityAddressSchema>;

/** A message kind names the receiver's handler: lowercase letters, digits and dashes. */
export const messageKindSchema = z
  .string()
  .regex(/^[a-z][a-z0-9-]{0,62}$/, 'a message kind is lowercase letters, digits and dashes');

/** What an operation sends: `{ to, kind, payload }`; the payload must be JSON. */
export const outgoingMessageSchema = z.strictObject({
  to: entityAddressSchema,
  kind: messageKindSchema,
  payload: z.json(),
});
export type OutgoingMessage = z.infer<typeof outgoingMessageSchema>;

const OUTCOME = Symbol.for('isx.outcome');

/** A new state together with the messages the operation sends. Made by {@link withMessages}. */
export interface Outcome<TState> {
  readonly [OUTCOME]: true;
  readonly state: TState;
  readonly messages: readonly OutgoingMessage[];
}

/**
 * Returns `state` from an operation or a message handler together with messages to send.
 *
 * @example
 * build: (input, { key }) =>
 *   withMessages({ id: key, ...input }, { to: { type: 'profile', key }, kind: 'set-targets', payload: input.profile })
 */
export function withMessages<TState>(state: TState, ...messages: OutgoingMessage[]): Outcome<TState> {
  return { [OUTCOME]: true, state, messages };
}

/** The state and the messages of what an operation returned (a bare state sends none). */
export function outcomeOf<TState>(value: TState | Outcome<TState>): {
  state: TState;
  messages: readonly OutgoingMessage[];
} {
  if (typeof value === 'object' && value !== null && (value as Partial<Outcome<TState>>)[OUTCOME] === true) {
    const outcome = value as Outcome<TState>;
    return { state: outcome.state, messages: outcome.messages };
  }
  return { state: value as TState, messages: [] };
}

/** The address of an entity as one string, `type/key`: how partners are named in activities. */
export function addressName(address: EntityAddress): string {
  return `${address.type}/${address.key}`;
}

/** The address named by {@link addressName}; undefined when `name` is not `type/key`. */
export function parseAddressName(name: string): EntityAddress | undefined {
  const at = name.indexOf('/');
  const parsed = entityAddressSchema.safeParse({ type: name.slice(0, at), key: name.slice(at + 1) });
  return at > 0 && parsed.success ? parsed.data : undefined;
}

/** One message from another entity, as a receiver applies it. */
export const deliveredMessageSchema = z.strictObject({
  from: entityAddressSchema,
  to: entityAddressSchema,
  seq: z.number().int().min(1),
  kind: messageKindSchema,
  payload: z.json(),
});
export type DeliveredMessage = z.infer<typeof deliveredMessageSchema>;

/** The most messages of one pair that one delivery carries. */
export const MAX_MESSAGES_PER_DELIVERY = 64;

/**
 * One delivery: the next messages of one (sender, receiver) pair, in the order sent (a window,
 * so a backlog drains many at a time).
 */
export const deliveredBatchSchema = z
  .strictObject({
    from: entityAddressSchema,
    to: entityAddressSchema,
    messages: z
      .array(z.strictObject({ seq: z.number().int().min(1), kind: messageKindSchema, payload: z.json() }))
      .min(1)
      .max(MAX_MESSAGES_PER_DELIVERY),
  })
  .refine((batch) => batch.messages.every((m, i) => i === 0 || m.seq > batch.messages[i - 1]!.seq), {
    message: 'the messages of a delivery go in increasing sequence order',
    path: ['messages'],
  });
export type DeliveredBatch = z.infer<typeof deliveredBatchSchema>;

/**
 * The receiver's answer: it holds every message of the delivery up to `through` (applied now
 * or before: repeats are acknowledged without effect), `applied` of them newly. `through` is
 * short of the last message when a later one is refused: that one comes again, alone, and is
 * refused for good.
 */
export const deliveryAnswerSchema = z.object({
  through: z.number().int().min(1),
  applied: z.number().int().min(0),
  version: z.number().int().min(1).optional(),
});
export type DeliveryAnswer = z.infer<typeof deliveryAnswerSchema>;

/** The most deliveries one request carries. */
export const MAX_DELIVERIES_PER_REQUEST = 256;

/**
 * `POST /internal/messages` on a node: the deliveries whose receivers that node leads, from all
 * the pairs of one sending node that were due together, so that one request carries many
 * pairs' windows. Each delivery is checked against `deliveredBatchSchema` and applied on its
 * own: one that is refused does not hold up the others.
 */
export const deliveryRequestSchema = z.strictObject({
  deliveries: z.array(z.unknown()).min(1).max(MAX_DELIVERIES_PER_REQUEST),
});

/** What became of one delivery: what the receiver holds, or its refusal with the status it would have had alone. */
export const deliveryResultSchema = z.union([
  deliveryAnswerSchema,
  z.object({ status: z.number().int().min(400).max(599), error: errorBodySchema.shape.error }),
]);
export type DeliveryResult = z.infer<typeof deliveryResultSchema>;

/** The answer to `POST /internal/messages`: one result per delivery, in the order sent. */
export const deliveryResultsSchema = z.object({ results: z.array(deliveryResultSchema) });

/**
 * `defineEntity`: the scale-agnostic description of one entity type.
 *
 * A definition names the type, the zod schema of what a client writes, and a pure
 * `build` that turns a valid input into the stored state. It knows nothing of shards,
 * nodes or replicas: that is the point of Helland's split between the layers. This module
 * must never import anything that does I/O.
 */
import { z } from 'zod';
import { isValidTypeName } from './key.js';
import { messageKindSchema, type EntityAddress, type Outcome } from './message.js';

/** What `build` may use besides the input: the entity's key, the time, its previous state. */
export interface BuildContext<TState> {
  readonly key: string;
  readonly now: Date;
  readonly previous: TState | undefined;
}

/** What a message handler may use besides the payload: who sent it, the key, the time. */
export interface HandleContext {
  readonly key: string;
  readonly now: Date;
  readonly from: EntityAddress;
}

/**
 * How an entity applies one kind of message (DESIGN §7). `apply` is pure, like `build`: it
 * gets the current state (undefined when the entity does not exist yet) and the payload its
 * schema accepted, and returns the new state, with `withMessages` to send messages of its own.
 * Returning `undefined` leaves the entity as it was (the message still counts as applied).
 */
export interface MessageHandler<TState, TPayload = unknown> {
  readonly payload: z.ZodType<TPayload>;
  apply(
    state: TState | undefined,
    payload: TPayload,
    ctx: HandleContext,
  ): TState | undefined | Outcome<TState | undefined>;
}

/** The definition of one entity type. Create it with {@link defineEntity}. */
export interface EntityDefinition<TInput = unknown, TState = unknown> {
  /** The type name, as it appears in URLs: `/campaign/:key`. */
  readonly type: string;
  /** The schema of what a client may write (PUT body, or the result of a PATCH). */
  readonly input: z.ZodType<TInput>;
  /** A field of the state that always equals the key; a body may carry it only with that value. */
  readonly keyField: string | undefined;
  /** Fields the service sets; a client may send them back unchanged, and they are ignored. */
  readonly serverFields: readonly string[];
  /**
   * Turns a valid input into the state to store. Pure: no I/O, no clock but `ctx.now`. May
   * return `withMessages(state, …)` to send messages with the write.
   */
  build(input: TInput, ctx: BuildContext<TState>): TState | Outcome<TState>;
  /** The message kinds this entity accepts, each with its handler. */
  readonly receives: Readonly<Record<string, MessageHandler<TState>>>;
}

/** What {@link defineEntity} takes. */
export interface EntitySpec<TInput, TState> {
  type: string;
  input: z.ZodType<TInput>;
  keyField?: string;
  serverFields?: readonly string[];
  build?: (input: TInput, ctx: BuildContext<TState>) => TState | Outcome<TState>;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- each handler has its own payload type
  receives?: Record<string, MessageHandler<TState, any>>;
}

/**
 * Defines an entity type.
 *
 * @example
 * const note = defineEntity({
 *   type: 'note',
 *   input: z.strictObject({ text: z.string().max(1000) }),
 *   keyField: 'id',
 *   build: (input, { key }) => ({ id: key, ...input }),
 * });
 */
export function defineEntity<TInput, TState = TInput>(
  spec: EntitySpec<TInput, TState>,
): EntityDefinition<TInput, TState> {
  if (!isValidTypeName(spec.type)) {
    throw new TypeError(`Entity type name ${JSON.stringify(spec.type)} must match [a-z][a-z0-9-]{0,62}`);
  }
  const build = spec.build ?? ((input: TInput) => input as unknown as TState);
  for (const kind of Object.keys(spec.receives ?? {})) {
    if (!messageKindSchema.safeParse(kind).success) {
      throw new TypeError(
        `Message kind ${JSON.stringify(kind)} of ${spec.type} must match [a-z][a-z0-9-]{0,62}`,
      );
    }
  }
  return Object.freeze({
    type: spec.type,
    input: spec.input,
    keyField: spec.keyField,
    serverFields: Object.freeze([...(spec.serverFields ?? [])]),
    build,
    receives: Object.freeze({ ...(spec.receives ?? {}) }),
  });
}

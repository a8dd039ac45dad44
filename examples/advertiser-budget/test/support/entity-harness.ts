/**
 * Runs an entity's pure logic the way a node does, without a node: a client write goes
 * through the input schema and `build`, a message through its kind's payload schema and
 * `apply`. Both answer with the state and the messages, via `outcomeOf`.
 */
import { outcomeOf, type EntityAddress, type EntityDefinition, type OutgoingMessage } from '@isx/core';

export const NOW = new Date('2026-11-23T10:00:00Z');

export interface Result<TState> {
  /** The new state; undefined when a handler left the entity as it was. */
  readonly state: TState | undefined;
  readonly messages: readonly OutgoingMessage[];
}

/** A client write of `body` to the entity `key` that now holds `previous`. */
export function write<TInput, TState>(
  definition: EntityDefinition<TInput, TState>,
  key: string,
  previous: TState | undefined,
  body: unknown,
): Result<TState> {
  const input = definition.input.parse(body);
  return outcomeOf(definition.build(input, { key, now: NOW, previous }));
}

/** The message `kind` from `from`, applied to the entity `key` that now holds `state`. */
export function deliver<TInput, TState>(
  definition: EntityDefinition<TInput, TState>,
  key: string,
  state: TState | undefined,
  message: { from: EntityAddress; kind: string; payload: unknown },
): Result<TState> {
  const handler = definition.receives[message.kind];
  if (handler === undefined) throw new Error(`a ${definition.type} accepts no ${message.kind}`);
  const payload = handler.payload.parse(message.payload);
  return outcomeOf(handler.apply(state, payload, { key, now: NOW, from: message.from }));
}

/** The state after a result: a handler that returned none left it as it was. */
export function stateAfter<TState>(before: TState | undefined, result: Result<TState>): TState | undefined {
  return result.state === undefined ? before : result.state;
}

/**
 * Reading a 2xx answer through the `@isx/core` schema of what the API promises. Nothing is
 * trusted because it came from our own servers: a body that does not parse is an error that
 * says which peer sent what, never a half-typed value.
 */
import type { validationError } from '@isx/core';
import { answerError, invalidAnswerError } from '../http-errors.js';
import type { PeerAnswer } from './http-transport.js';

/** The part of a zod schema this module uses, so the client needs no zod of its own. */
export interface AnswerSchema<T> {
  safeParse(
    value: unknown,
  ): { success: true; data: T } | { success: false; error: Parameters<typeof validationError>[0] };
}

/** Returns the validated body of a 2xx answer; throws the typed error otherwise. */
export function readAnswer<T>(answer: PeerAnswer, schema: AnswerSchema<T>, expected: string): T {
  if (answer.status < 200 || answer.status > 299) throw answerError(answer);
  let json: unknown;
  try {
    json = JSON.parse(answer.text);
  } catch {
    throw invalidAnswerError(answer, expected, { kind: 'json' });
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) throw invalidAnswerError(answer, expected, { kind: 'schema', error: parsed.error });
  return parsed.data;
}

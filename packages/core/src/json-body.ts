/**
 * Parsing of JSON request bodies, before any schema sees them.
 *
 * It refuses what `JSON.parse` alone lets through: properties that would reach an
 * object's prototype (`__proto__`, `constructor`, `prototype`) and integers that lost
 * precision on the way in (beyond 2^53). It must never return a value it has not checked.
 */
import { IsxError } from './errors.js';

const FORBIDDEN_PROPERTIES: ReadonlySet<string> = new Set(['__proto__', 'constructor', 'prototype']);

/** The largest body any process accepts, in bytes. */
export const MAX_BODY_BYTES = 1024 * 1024;

/** Parses JSON text into a plain object, or throws a 400 `IsxError` saying why not. */
export function parseJsonObject(text: string): Record<string, unknown> {
  const value = parseJson(text);
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    const kind = value === null ? 'null' : Array.isArray(value) ? 'an array' : `a ${typeof value}`;
    throw new IsxError('INVALID_BODY', `The body must be a JSON object, not ${kind}.`);
  }
  return value as Record<string, unknown>;
}

/** Parses any JSON value with the same checks as {@link parseJsonObject}; `what` names the text in errors. */
export function parseJson(text: string, what = 'body'): unknown {
  try {
    return JSON.parse(text, checkProperty) as unknown;
  } catch (error) {
    if (error instanceof IsxError) throw error;
    const reason = error instanceof SyntaxError ? error.message : 'it is nested too deeply';
    throw new IsxError('INVALID_JSON', `The ${what} is not valid JSON: ${reason}`);
  }
}

function checkProperty(this: unknown, name: string, value: unknown): unknown {
  if (FORBIDDEN_PROPERTIES.has(name)) {
    throw new IsxError(
      'FORBIDDEN_PROPERTY',
      `The property name "${name}" is not allowed anywhere in a body.`,
      {
        details: { property: name },
      },
    );
  }
  if (
    typeof value === 'number' &&
    (!Number.isFinite(value) || (Number.isInteger(value) && !Number.isSafeInteger(value)))
  ) {
    throw new IsxError(
      'NUMBER_OUT_OF_RANGE',
      `The number at "${name}" is beyond 2^53 and cannot be represented exactly.`,
      { details: { property: name } },
    );
  }
  return value;
}

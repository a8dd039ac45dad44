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
  let value: unknown;
  try {
    // A plain parse and one walk over the result: a reviver makes JSON.parse three times slower,
    // and every body on the hot path (a write, a replication batch) goes through here.
    value = JSON.parse(text) as unknown;
    checkValue(value);
  } catch (error) {
    if (error instanceof IsxError) throw error;
    const reason = error instanceof SyntaxError ? error.message : 'it is nested too deeply';
    throw new IsxError('INVALID_JSON', `The ${what} is not valid JSON: ${reason}`);
  }
  return value;
}

/** Checks every property name and number of a parsed value, depth first. */
function checkValue(value: unknown, name = ''): void {
  if (typeof value === 'number') return checkNumber(name, value);
  if (value === null || typeof value !== 'object') return;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i += 1) checkValue(value[i], String(i));
    return;
  }
  // JSON.parse makes `__proto__` an own property, so Object.keys sees it.
  for (const property of Object.keys(value)) {
    checkName(property);
    checkValue((value as Record<string, unknown>)[property], property);
  }
}

function checkName(name: string): void {
  if (FORBIDDEN_PROPERTIES.has(name)) {
    throw new IsxError(
      'FORBIDDEN_PROPERTY',
      `The property name "${name}" is not allowed anywhere in a body.`,
      {
        details: { property: name },
      },
    );
  }
}

function checkNumber(name: string, value: number): void {
  if (!Number.isFinite(value) || (Number.isInteger(value) && !Number.isSafeInteger(value))) {
    throw new IsxError(
      'NUMBER_OUT_OF_RANGE',
      `The number at "${name}" is beyond 2^53 and cannot be represented exactly.`,
      { details: { property: name } },
    );
  }
}

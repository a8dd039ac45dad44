/**
 * Entity keys: the one address every operation carries.
 *
 * A key is NFC-normalised and then must be 1–256 characters of `[A-Za-z0-9._~:-]`, the
 * unreserved characters of a URL plus `:`, so a key is always safe in a path. This module
 * decides validity for every process; no other module may accept a key it rejects.
 */
import { IsxError } from './errors.js';

export const MAX_KEY_LENGTH = 256;
const KEY_PATTERN = /^[A-Za-z0-9._~:-]+$/;

/**
 * Normalises and validates a key, throwing `INVALID_KEY` with the reason.
 *
 * @example
 * parseKey('spring-sale'); // 'spring-sale'
 * parseKey('a b');         // throws IsxError INVALID_KEY
 */
export function parseKey(raw: string): string {
  const reason = keyProblem(raw);
  if (reason !== undefined) {
    throw new IsxError('INVALID_KEY', `Invalid key: ${reason}.`, { details: { key: raw.slice(0, 300) } });
  }
  return raw.normalize('NFC');
}

/** Why a key is invalid, or `undefined` when it is valid. */
export function keyProblem(raw: string): string | undefined {
  const key = raw.normalize('NFC');
  if (key.length === 0) return 'a key must not be empty';
  if (key.length > MAX_KEY_LENGTH)
    return `a key has at most ${MAX_KEY_LENGTH} characters, this one has ${key.length}`;
  if (!KEY_PATTERN.test(key)) return 'a key may hold only the characters A-Z a-z 0-9 . _ ~ : -';
  return undefined;
}

/** True when `raw` is a valid key. */
export function isValidKey(raw: string): boolean {
  return keyProblem(raw) === undefined;
}

/** Entity type names: lowercase words joined by hyphens, as they appear in URLs. */
const TYPE_PATTERN = /^[a-z][a-z0-9-]{0,62}$/;

/** True when `name` can name an entity type. */
export function isValidTypeName(name: string): boolean {
  return TYPE_PATTERN.test(name);
}

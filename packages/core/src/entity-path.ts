/**
 * Parsing of the public entity paths, `/:type` and `/:type/:key`, shared by every route.
 * Percent-decoding that fails, or a key that fails `parseKey`, is a 400 `INVALID_KEY`.
 */
import { IsxError } from './errors.js';
import { parseKey } from './key.js';

export interface EntityPath {
  readonly type: string;
  readonly key: string | undefined;
  readonly rest: string[];
}

/** Splits a request target into type, key and any further segments; `undefined` for `/`. */
export function parseEntityPath(target: string): EntityPath | undefined {
  const pathname = target.split('?', 1)[0] ?? '';
  const segments = pathname.split('/').slice(1);
  if (segments.length === 0 || segments[0] === '') return undefined;
  const [type = '', rawKey, ...rest] = segments;
  if (rawKey === undefined) return { type, key: undefined, rest };
  let decoded: string;
  try {
    decoded = decodeURIComponent(rawKey);
  } catch {
    throw new IsxError('INVALID_KEY', 'Invalid key: the path segment is not valid percent-encoding.');
  }
  return { type, key: parseKey(decoded), rest };
}

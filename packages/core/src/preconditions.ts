/**
 * Conditional requests: entity versions as ETags.
 *
 * A version travels as the strong ETag `"N"`. `If-Match` accepts `"N"`, a bare `N`, a
 * list of them, or `*` (the entity exists). Anything else is a 400, never ignored: a
 * client that asked for a condition must not get an unconditional write.
 */
import { IsxError } from './errors.js';

/** The parsed form of an `If-Match` header. */
export type IfMatch = { kind: 'any' } | { kind: 'versions'; versions: number[] };

/** Formats a version as the ETag header value. */
export function versionEtag(version: number): string {
  return `"${version}"`;
}

/** Parses an `If-Match` header; `undefined` when the request has none. */
export function parseIfMatch(header: string | undefined): IfMatch | undefined {
  if (header === undefined) return undefined;
  const text = header.trim();
  if (text === '*') return { kind: 'any' };
  const versions = text.split(',').map((part) => {
    // Strong comparison only (RFC 9110 §13.1.1): a weak tag, or unbalanced quotes, is not a version.
    const match = /^\s*(?:"([0-9]{1,15})"|([0-9]{1,15}))\s*$/.exec(part);
    const digits = match?.[1] ?? match?.[2];
    if (digits === undefined) {
      throw new IsxError(
        'INVALID_PRECONDITION',
        `If-Match must be a version such as "3" or *, got ${JSON.stringify(header.slice(0, 64))}.`,
      );
    }
    return Number(digits);
  });
  return { kind: 'versions', versions };
}

/** Throws `PRECONDITION_FAILED` unless the current version satisfies the condition. */
export function checkIfMatch(condition: IfMatch | undefined, current: number | undefined): void {
  if (condition === undefined) return;
  const ok = current !== undefined && (condition.kind === 'any' || condition.versions.includes(current));
  if (!ok) {
    throw new IsxError(
      'PRECONDITION_FAILED',
      current === undefined
        ? 'If-Match was given but the entity does not exist.'
        : `If-Match does not match: the current version is ${current}.`,
      { details: { currentVersion: current ?? null } },
    );
  }
}

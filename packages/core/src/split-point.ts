/**
 * Where to split a shard when no point is given: the middle of its range.
 *
 * For `hash` ranges the partition keys are 8 hex digits, so the middle is arithmetic. For
 * `lexical` ranges the middle is taken over strings read as base-128 fractions, so it lies
 * strictly between start and end whenever any string does. Returns `undefined` when the
 * range cannot be split (it holds a single partition key).
 */
import { rangeContains, type KeyRange } from './key-range.js';
import type { PartitionerName } from './partitioner.js';

const HASH_SPACE = 0x1_0000_0000;

export function splitPoint(range: KeyRange, partitioner: PartitionerName): string | undefined {
  const point = partitioner === 'hash' ? hashMidpoint(range) : lexicalMidpoint(range);
  if (point === undefined || point === range.start || !rangeContains(range, point)) return undefined;
  return point;
}

function hashMidpoint(range: KeyRange): string | undefined {
  const start = range.start === '' ? 0 : parseInt(range.start, 16);
  const end = range.end === null ? HASH_SPACE : parseInt(range.end, 16);
  if (!Number.isFinite(start) || !Number.isFinite(end) || end - start < 2) return undefined;
  return Math.floor((start + end) / 2)
    .toString(16)
    .padStart(8, '0');
}

function lexicalMidpoint(range: KeyRange): string | undefined {
  const end = range.end ?? '\u007f'.repeat(Math.max(range.start.length, 1) + 1);
  const length = Math.max(range.start.length, end.length) + 1;
  const digits = (text: string): bigint =>
    [...text.padEnd(length, '\u0000')].reduce(
      (n, ch) => n * 128n + BigInt(Math.min(ch.charCodeAt(0), 127)),
      0n,
    );
  const middle = (digits(range.start) + digits(end)) / 2n;
  let text = '';
  let rest = middle;
  for (let i = 0; i < length; i += 1) {
    text = String.fromCharCode(Number(rest % 128n)) + text;
    rest /= 128n;
  }
  // eslint-disable-next-line no-control-regex -- NUL is the padding digit being trimmed
  const trimmed = text.replace(/\u0000+$/, '');
  // Keys are printable: move a point that fell on a control character up to the next key character.
  // eslint-disable-next-line no-control-regex -- control characters cannot appear in keys
  const printable = trimmed.replace(/[\u0000-\u002c]/g, '-');
  return printable.length === 0 ? undefined : printable;
}

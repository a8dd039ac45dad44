/**
 * `KeyRange`: a half-open interval `[start, end)` over partition keys.
 *
 * `''` is the lowest partition key and `end: null` means "beyond the highest", so one
 * type serves the hash and the lexical partitioner alike. Ranges compare by UTF-16 code
 * units, which for keys (ASCII after validation) is byte order. The coverage check here
 * is the guard every shard map passes before it is used.
 */
import { z } from 'zod';

export const keyRangeSchema = z.object({
  start: z.string().max(256),
  end: z.string().max(256).nullable(),
});
export type KeyRange = z.infer<typeof keyRangeSchema>;

/** The whole partition-key space. */
export const FULL_RANGE: KeyRange = Object.freeze({ start: '', end: null });

/** True when `partitionKey` lies in `[range.start, range.end)`. */
export function rangeContains(range: KeyRange, partitionKey: string): boolean {
  return partitionKey >= range.start && (range.end === null || partitionKey < range.end);
}

/** True when the range holds no partition key at all. */
export function isEmptyRange(range: KeyRange): boolean {
  return range.end !== null && range.end <= range.start;
}

/** Orders ranges by start, then by end (`null` last). */
export function compareRanges(a: KeyRange, b: KeyRange): number {
  if (a.start !== b.start) return a.start < b.start ? -1 : 1;
  return compareEnds(a.end, b.end);
}

/** Orders two range ends, with `null` (unbounded) above every string. */
export function compareEnds(a: string | null, b: string | null): number {
  if (a === b) return 0;
  if (a === null) return 1;
  if (b === null) return -1;
  return a < b ? -1 : 1;
}

/** Renders a range the way docs and error messages write it: `[a, n)`, `[n, ∞)`. */
export function formatRange(range: KeyRange): string {
  return `[${JSON.stringify(range.start)}, ${range.end === null ? '∞' : JSON.stringify(range.end)})`;
}

/** What is wrong with a set of ranges meant to tile a space. Empty lists mean it tiles exactly. */
export interface CoverageReport {
  readonly gaps: KeyRange[];
  readonly overlaps: Array<[KeyRange, KeyRange]>;
  readonly empty: KeyRange[];
  readonly outside: KeyRange[];
}

/**
 * Checks that `ranges` cover `space` with no gap and no overlap.
 *
 * @example
 * checkCoverage([{ start: '', end: 'n' }, { start: 'n', end: null }]); // all lists empty
 */
export function checkCoverage(ranges: readonly KeyRange[], space: KeyRange = FULL_RANGE): CoverageReport {
  const empty = ranges.filter(isEmptyRange);
  const outside = ranges.filter(
    (r) => !isEmptyRange(r) && (r.start < space.start || compareEnds(r.end, space.end) > 0),
  );
  const sorted = ranges.filter((r) => !isEmptyRange(r)).sort(compareRanges);
  const gaps: KeyRange[] = [];
  const overlaps: Array<[KeyRange, KeyRange]> = [];
  // `reached` is how far the ranges seen so far cover (null: to the end); `furthest` is
  // the range that got there, which is the one a new range overlaps if it starts too low.
  let reached: string | null = space.start;
  let furthest: KeyRange | undefined;
  for (const range of sorted) {
    if (furthest && (reached === null || range.start < reached)) {
      overlaps.push([furthest, range]);
    } else if (reached !== null && range.start > reached) {
      gaps.push({ start: reached, end: range.start });
    }
    if (reached !== null && compareEnds(range.end, reached) > 0) {
      reached = range.end;
      furthest = range;
    }
  }
  if (reached !== null && compareEnds(reached, space.end) < 0) gaps.push({ start: reached, end: space.end });
  return { gaps, overlaps, empty, outside };
}

/** True when the report found nothing wrong. */
export function coversExactly(report: CoverageReport): boolean {
  return (
    report.gaps.length === 0 &&
    report.overlaps.length === 0 &&
    report.empty.length === 0 &&
    report.outside.length === 0
  );
}

/** Human sentences for each problem in a report, for error messages and logs. */
export function describeCoverage(report: CoverageReport): string[] {
  return [
    ...report.gaps.map((g) => `gap: no range covers ${formatRange(g)}`),
    ...report.overlaps.map(([a, b]) => `overlap: ${formatRange(a)} and ${formatRange(b)}`),
    ...report.empty.map((r) => `empty range ${formatRange(r)}`),
    ...report.outside.map((r) => `range ${formatRange(r)} reaches outside the key space`),
  ];
}

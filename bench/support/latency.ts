/**
 * Latency summaries: percentiles of a set of samples in milliseconds.
 *
 * Nearest-rank percentiles over the exact samples, never an estimate from buckets, so a p99
 * of 10,000 samples is the 9,900th smallest one. It must never reorder the caller's array.
 */

/** Percentiles and maximum of a set of latencies, in milliseconds (0 when there are none). */
export interface LatencySummary {
  readonly p50: number;
  readonly p90: number;
  readonly p99: number;
  readonly max: number;
}

/** The nearest-rank percentile `p` (0–100) of samples already sorted ascending. */
export function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return 0;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1] ?? 0;
}

/** Summarises `samples[from..]` (a copy is sorted; the input stays as it was). */
export function summarizeLatencies(samples: readonly number[], from = 0): LatencySummary {
  const sorted = Float64Array.from(samples.slice(from)).sort();
  return {
    p50: percentile(sorted, 50),
    p90: percentile(sorted, 90),
    p99: percentile(sorted, 99),
    max: sorted.length === 0 ? 0 : (sorted[sorted.length - 1] ?? 0),
  };
}

/** A latency for tables: `12.3` (ms, one decimal; two below 10 ms). */
export function formatMs(ms: number): string {
  return ms < 10 ? ms.toFixed(2) : ms.toFixed(1);
}

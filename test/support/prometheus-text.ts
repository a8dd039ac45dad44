/**
 * Scraping `GET /metrics` and parsing it with a Prometheus text-format parser
 * (parse-prometheus-text-format, whose output follows prom2json), typed for the tests.
 */
// @ts-expect-error: the parser ships no type declarations; its shape is declared below.
import parsePrometheusTextFormat from 'parse-prometheus-text-format';

/** One sample of a family: a value for counters and gauges, buckets, count and sum for histograms. */
export interface Sample {
  readonly value?: string;
  readonly labels?: Readonly<Record<string, string>>;
  readonly buckets?: Readonly<Record<string, string>>;
  readonly count?: string;
  readonly sum?: string;
}

export interface MetricFamily {
  readonly name: string;
  readonly help: string;
  readonly type: 'COUNTER' | 'GAUGE' | 'HISTOGRAM' | 'SUMMARY' | 'UNTYPED';
  readonly metrics: readonly Sample[];
}

/** The families a process serves on `GET /metrics`, by name, after checking the content type. */
export async function scrape(url: string): Promise<Map<string, MetricFamily>> {
  return parseFamilies(await scrapeText(url));
}

/** The raw text a process serves on `GET /metrics`, after checking the status and content type. */
export async function scrapeText(url: string): Promise<string> {
  const response = await fetch(`${url}/metrics`);
  if (response.status !== 200) throw new Error(`GET ${url}/metrics answered ${response.status}`);
  const type = response.headers.get('content-type') ?? '';
  if (!type.startsWith('text/plain')) throw new Error(`GET ${url}/metrics is ${type}, not the text format`);
  return response.text();
}

/** The families of an exposition, by name. */
export function parseFamilies(text: string): Map<string, MetricFamily> {
  const families = (parsePrometheusTextFormat as (text: string) => MetricFamily[])(text);
  return new Map(families.map((family) => [family.name, family]));
}

/**
 * The `_count` of a labelled histogram series, read from the text: the parser keeps only the
 * buckets of a histogram with labels, so its counts are read from their own lines.
 */
export function histogramCount(text: string, name: string, labels: Record<string, string>): number {
  return text
    .split('\n')
    .filter((line) => line.startsWith(`${name}_count{`))
    .filter((line) => Object.entries(labels).every(([key, value]) => line.includes(`${key}="${value}"`)))
    .reduce((sum, line) => sum + Number(line.slice(line.lastIndexOf(' ') + 1)), 0);
}

/** The samples of `family` whose labels include `labels`. */
export function samples(family: MetricFamily | undefined, labels: Record<string, string> = {}): Sample[] {
  return (family?.metrics ?? []).filter((sample) =>
    Object.entries(labels).every(([name, value]) => sample.labels?.[name] === value),
  );
}

/** The sum of the values (or histogram counts) of the matching samples. */
export function total(family: MetricFamily | undefined, labels: Record<string, string> = {}): number {
  return samples(family, labels).reduce((sum, sample) => sum + Number(sample.value ?? sample.count ?? 0), 0);
}

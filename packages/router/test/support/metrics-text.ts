/**
 * Reading the Prometheus text format for the metrics tests: `scrapeMetrics` fetches a router's
 * `GET /metrics` over real HTTP, and `parseMetrics` reads the samples of any exposition into a
 * table a test can ask for one series or a sum. The parser reads only what prom-client writes
 * (one sample a line, label values without escaped quotes); a line it cannot read fails the
 * test rather than being skipped.
 */
import { expect } from 'chai';
import { send } from './router-fixture.js';

export interface Sample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

export interface Exposition {
  readonly text: string;
  readonly samples: readonly Sample[];
  /** The family's `# TYPE`: counter, gauge, histogram, … */
  type(name: string): string | undefined;
  /** The value of the one series with exactly these labels; `undefined` if there is none. */
  value(name: string, labels?: Record<string, string>): number | undefined;
  /** The sum of the series whose labels include these (0 if none does). */
  sum(name: string, labels?: Record<string, string>): number;
  /** The values one label takes across a family's samples. */
  labelValues(name: string, label: string): string[];
}

export interface Scrape extends Exposition {
  readonly contentType: string | undefined;
}

const SAMPLE_LINE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="([^"]*)"/g;

export function parseMetrics(text: string): Exposition {
  const types = new Map<string, string>();
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('# HELP ')) continue;
    const typeLine = /^# TYPE (\S+) (\S+)$/.exec(line);
    if (typeLine) {
      types.set(typeLine[1]!, typeLine[2]!);
      continue;
    }
    const match = SAMPLE_LINE.exec(line);
    expect(match, `a sample line: ${line}`).to.not.equal(null);
    const labels = Object.fromEntries([...(match![2] ?? '').matchAll(LABEL)].map((m) => [m[1]!, m[2]!]));
    samples.push({ name: match![1]!, labels, value: Number(match![3]) });
  }
  const matching = (name: string, labels: Record<string, string>): Sample[] =>
    samples.filter(
      (s) => s.name === name && Object.entries(labels).every(([label, value]) => s.labels[label] === value),
    );
  return {
    text,
    samples,
    type: (name) => types.get(name),
    value(name, labels = {}) {
      const exact = matching(name, labels).filter(
        (s) => Object.keys(s.labels).length === Object.keys(labels).length,
      );
      expect(exact.length, `series of ${name} ${JSON.stringify(labels)}`).to.be.at.most(1);
      return exact[0]?.value;
    },
    sum: (name, labels = {}) => matching(name, labels).reduce((total, s) => total + s.value, 0),
    labelValues: (name, label) => [
      ...new Set(samples.filter((s) => s.name === name).flatMap((s) => s.labels[label] ?? [])),
    ],
  };
}

/** `GET /metrics` on a fresh connection, parsed; fails the test unless it answers 200. */
export async function scrapeMetrics(baseUrl: string): Promise<Scrape> {
  const response = await send(baseUrl, 'GET', '/metrics');
  expect(response.status, response.text).to.equal(200);
  const contentType = response.headers['content-type'];
  return {
    ...parseMetrics(response.text),
    contentType: typeof contentType === 'string' ? contentType : undefined,
  };
}

import { expect } from 'chai';
import type { Anomaly, CheckerResult } from '../src/checkers/checker.js';
import { renderReportHtml } from '../src/report/report-html.js';
import type { ExperimentReport, ReportFault, Verdict } from '../src/report/report-model.js';
import { sampleReport } from './support/sample-report.js';

function svgsOf(html: string): string[] {
  return html.match(/<svg\b[\s\S]*?<\/svg>/g) ?? [];
}

/** The one chart whose `<svg>` carries `className`. */
function chartOf(html: string, className: string): string {
  const charts = svgsOf(html).filter((svg) => svg.startsWith(`<svg class="chart ${className}"`));
  expect(charts, `charts of class ${className}`).to.have.length(1);
  return charts[0]!;
}

function count(text: string, needle: string): number {
  return text.split(needle).length - 1;
}

/** Fails unless every element of `svg` that opens is closed, in order. */
function expectBalanced(svg: string): void {
  const open: string[] = [];
  for (const [, closing, name, selfClosing] of svg.matchAll(/<(\/?)([a-zA-Z][\w:-]*)[^>]*?(\/?)>/g)) {
    if (selfClosing === '/') continue;
    if (closing === '/') expect(open.pop(), `</${name}> closes the last open element`).to.equal(name);
    else open.push(name!);
  }
  expect(open, 'elements left open').to.deep.equal([]);
}

function expectWellFormedSvg(html: string): void {
  expect(count(html, '<svg ')).to.equal(count(html, '</svg>'));
  for (const svg of svgsOf(html)) {
    expectBalanced(svg);
    for (const [tag] of svg.matchAll(/<[^>]+>/g)) expect(tag).not.to.match(/NaN|Infinity|undefined/);
  }
}

/** The sample with three fault windows that start within 100 ms of each other, and a fourth later. */
function overlappingFaults(): ExperimentReport {
  const faults: ReportFault[] = [
    { fault: 'kill', target: 'n2', startMs: 4_000, endMs: 9_000 },
    { fault: 'partition', target: 'router→n3', startMs: 4_000, endMs: 7_000 },
    { fault: 'pause', target: 'n1', startMs: 4_100, endMs: 6_000 },
    { fault: 'delay', target: 'router→n1', startMs: 12_000, endMs: 13_000 },
  ];
  return { ...sampleReport(), faults };
}

describe('the report page', function () {
  it('renders the verdict badge for each verdict', function () {
    for (const verdict of ['valid', 'invalid', 'unknown'] as Verdict[]) {
      const html = renderReportHtml({ ...sampleReport(), verdict });
      expect(html).to.contain(`<span class="badge big verdict-${verdict}">${verdict.toUpperCase()}</span>`);
      expect(count(html, 'class="badge big')).to.equal(1);
    }
  });

  it('gives each checker its own verdict badge', function () {
    const html = renderReportHtml(sampleReport());
    expect(html).to.match(/durability<\/td><td><span class="badge verdict-valid">VALID/);
    expect(html).to.match(/linearizability<\/td><td><span class="badge verdict-invalid">INVALID/);
  });

  it("lists a checker's notes under its summary, escaped", function () {
    const report = sampleReport();
    const checkers = report.checkers.map((c) =>
      c.checker === 'availability' ? { ...c, notes: ['4.0–9.0 s: 12 fail during kill <n2>'] } : c,
    );
    const html = renderReportHtml({ ...report, checkers });
    expect(html).to.contain('<ul class="notes"><li>4.0–9.0 s: 12 fail during kill &lt;n2&gt;</li></ul>');
  });

  it('shades each fault window in both plots', function () {
    for (const report of [sampleReport(), overlappingFaults()]) {
      const html = renderReportHtml(report);
      for (const chart of ['throughput', 'latency']) {
        expect(count(chartOf(html, chart), 'class="fault-band"'), chart).to.equal(report.faults.length);
      }
    }
  });

  it('stacks the labels of overlapping fault windows so that they do not overprint', function () {
    const chart = chartOf(renderReportHtml(overlappingFaults()), 'throughput');
    const labels = [
      ...chart.matchAll(/<text class="fault-label" x="([\d.]+)" y="([\d.]+)"[^>]*>([^<]*)</g),
    ].map(([, x, y, text]) => ({ x: Number(x), y: Number(y), text: text! }));
    expect(labels.map((l) => l.text)).to.have.members([
      'kill n2',
      'partition router→n3',
      'pause n1',
      'delay router→n1',
    ]);
    const early = labels.filter((l) => l.text !== 'delay router→n1');
    expect(new Set(early.map((l) => l.y)).size, 'rows for the three windows that start together').to.equal(3);
    // Generously wide characters (7 px at 11 px): labels sharing a row must still clear each other.
    for (const a of labels) {
      for (const b of labels) {
        if (a !== b && a.y === b.y && a.x <= b.x)
          expect(a.x + a.text.length * 7, `${a.text} / ${b.text}`).to.be.below(b.x);
      }
    }
  });

  it('escapes HTML in the description and in values', function () {
    const evil = '<script>alert("x")</script>';
    const report = sampleReport();
    const [first, ...others] = report.checkers[1]!.anomalies[0]!.operations;
    const anomaly: Anomaly = {
      kind: '<b>kind</b>',
      key: evil,
      message: evil,
      operations: [{ ...first!, key: evil, value: '<img src=x onerror=alert(1)>' }, ...others],
    };
    const checker: CheckerResult = { ...report.checkers[1]!, summary: evil, anomalies: [anomaly] };
    const html = renderReportHtml({
      ...report,
      description: evil,
      checkers: [checker],
      faults: [{ fault: 'kill', target: evil, detail: evil, startMs: 1_000, endMs: 2_000 }],
      files: { history: 'javascript:alert(1)', logs: '"><script>' },
    });
    expect(html).not.to.contain('<script');
    expect(html).not.to.contain('<img');
    expect(html).not.to.contain('<b>');
    expect(html).not.to.contain('href="javascript:');
    expect(html).to.contain('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;');
    expect(html).to.contain('&lt;img src=x onerror=alert(1)&gt;');
  });

  it('lists every anomaly with its sub-history rows', function () {
    const report = sampleReport();
    const lost: Anomaly = {
      kind: 'lost-write',
      key: 'k5',
      message: 'The write of "v4" was acknowledged but no final read saw it.',
      operations: report.checkers[1]!.anomalies[0]!.operations.slice(0, 2),
    };
    const checkers = report.checkers.map((c) =>
      c.checker === 'durability' ? { ...c, anomalies: [lost] } : c,
    );
    const html = renderReportHtml({ ...report, checkers });
    const sections = html.split('<section class="anomaly">').slice(1);
    const anomalies = checkers.flatMap((c) => c.anomalies);
    expect(sections).to.have.length(anomalies.length);
    anomalies.forEach((anomaly, i) => {
      const section = sections[i]!;
      expect(section).to.contain(anomaly.kind);
      expect(section).to.contain(anomaly.message.replaceAll('"', '&quot;'));
      expect(count(section, '<tr class="op">')).to.equal(anomaly.operations.length);
      expect(count(chartOf(section, 'timeline-bars'), 'class="op-bar')).to.equal(anomaly.operations.length);
    });
    expect(sections[1]).to.contain('4020.0').and.to.contain('6020.3');
  });

  it('draws an info operation open-ended to the right edge of its timeline', function () {
    const html = renderReportHtml(sampleReport());
    const operations = sampleReport().checkers[1]!.anomalies[0]!.operations;
    const infos = operations.filter((op) => op.outcome === 'info').length;
    expect(infos).to.be.greaterThan(0);
    expect(count(chartOf(html, 'timeline-bars'), 'class="open-end"')).to.equal(infos);
  });

  it('produces well-formed SVG with no NaN or Infinity in any attribute', function () {
    expectWellFormedSvg(renderReportHtml(overlappingFaults()));
    const degenerate: ExperimentReport = {
      ...sampleReport(),
      figures: { ...sampleReport().figures, durationMs: 0, throughputPerSecond: NaN },
      timeline: { bucketMs: 0, buckets: [{ startMs: 0, ok: 0, fail: 0, info: 0, p50Ms: null, p99Ms: null }] },
      latencies: [{ atMs: 0, latencyMs: 0, outcome: 'fail' }],
      faults: [{ fault: 'heal', startMs: 0, endMs: 0 }],
    };
    expectWellFormedSvg(renderReportHtml(degenerate));
  });

  it('handles an empty timeline and no faults without throwing', function () {
    const report: ExperimentReport = {
      ...sampleReport(),
      timeline: { bucketMs: 500, buckets: [] },
      latencies: [],
      faults: [],
      checkers: sampleReport().checkers.map((c) => ({ ...c, anomalies: [] })),
    };
    const html = renderReportHtml(report);
    expect(html).to.contain('The timeline is empty.');
    expect(html).to.contain('No fault was injected.');
    expect(html).to.contain('No checker found an anomaly.');
    expect(count(html, 'class="fault-band"')).to.equal(0);
    expectWellFormedSvg(html);
  });
});

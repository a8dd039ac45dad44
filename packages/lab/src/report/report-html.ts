/**
 * Renders an experiment's report as `report.html`: one self-contained page that a reader
 * can open from disk, mail or attach to an issue, with the verdict first, then the figures,
 * the checkers, plots of throughput and latency with the fault windows shaded, the faults,
 * each anomaly with the operations that show it, and the spec. The page must never load
 * anything from elsewhere nor need a script, and no text from the report may reach it
 * unescaped: descriptions, keys and values are user input.
 */
import type { Anomaly, CheckerResult } from '../checkers/checker.js';
import type { Operation } from '../history/operations.js';
import type { ExperimentReport, ReportFault, Verdict } from './report-model.js';
import { escapeHtml, OUTCOME_COLORS, type ChartBand, type ChartSeries } from './chart-frame.js';
import { scatterChart, timeSeriesChart } from './svg-chart.js';
import { timelineBarsChart } from './timeline-bars-chart.js';

const CHART_WIDTH = 1100;

const STYLE = `
:root { color-scheme: light; }
body { margin: 0; background: #f6f6f4; color: #222; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; }
main { max-width: 1140px; margin: 0 auto; padding: 24px 20px 48px; }
header { display: flex; justify-content: space-between; align-items: flex-start; gap: 24px; }
h1 { margin: 0 0 4px; font-size: 26px; }
h2 { margin: 32px 0 10px; font-size: 18px; border-bottom: 1px solid #ddd; padding-bottom: 4px; }
h3 { margin: 20px 0 6px; font-size: 15px; }
.description { margin: 0 0 8px; color: #444; max-width: 780px; }
.meta { color: #666; font-size: 13px; }
.meta span + span::before { content: " · "; }
.badge { display: inline-block; border-radius: 4px; padding: 1px 8px; font-weight: 600; font-size: 12px; color: #fff; letter-spacing: 0.04em; }
.badge.big { font-size: 24px; padding: 8px 20px; border-radius: 6px; white-space: nowrap; }
.verdict-valid { background: #2e7d32; } .verdict-invalid { background: #c62828; } .verdict-unknown { background: #f9a825; color: #222; }
table { border-collapse: collapse; background: #fff; font-size: 13px; }
th, td { border: 1px solid #e0e0e0; padding: 4px 9px; text-align: left; vertical-align: top; }
th { background: #f0f0ee; font-weight: 600; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
table.wide { width: 100%; }
.figures td.num { font-size: 16px; }
.outcome-ok { color: ${OUTCOME_COLORS.ok}; } .outcome-fail { color: ${OUTCOME_COLORS.fail}; } .outcome-info { color: ${OUTCOME_COLORS.info}; }
.outcome-ok, .outcome-fail, .outcome-info { font-weight: 600; }
code, pre { font-family: ui-monospace, "SFMono-Regular", Menlo, Consolas, monospace; font-size: 12px; }
.chart { display: block; background: #fff; border: 1px solid #e0e0e0; border-radius: 4px; }
section.anomaly { background: #fff; border: 1px solid #e0e0e0; border-left: 4px solid #c62828; border-radius: 4px; padding: 4px 16px 16px; margin: 16px 0; }
section.anomaly .chart { border: 0; margin-top: 10px; }
.message { margin: 4px 0 10px; }
.muted { color: #777; }
.notes { margin: 4px 0 0; padding-left: 18px; color: #555; font-size: 12px; }
details { background: #fff; border: 1px solid #e0e0e0; border-radius: 4px; padding: 8px 12px; }
summary { cursor: pointer; font-weight: 600; }
pre { overflow-x: auto; }
`;

/** A duration or latency: one decimal below 100 ms, whole numbers above. */
function formatMs(ms: number): string {
  if (!Number.isFinite(ms)) return '–';
  return Math.abs(ms) < 100 ? ms.toFixed(1) : String(Math.round(ms));
}

/**
 * A moment of an anomaly's operation, in ms since the run began, always to 0.1 ms: whether
 * one operation ended before another began is the point of the table, and whole ms can hide it.
 */
function formatInstant(ns: number): string {
  return Number.isFinite(ns) ? (ns / 1e6).toFixed(1) : '–';
}

function formatSeconds(ms: number): string {
  return Number.isFinite(ms) ? (ms / 1000).toFixed(1) : '–';
}

function cell(text: string, numeric = false): string {
  return numeric ? `<td class="num">${escapeHtml(text)}</td>` : `<td>${escapeHtml(text)}</td>`;
}

function table(headers: readonly string[], rows: readonly string[], className = ''): string {
  const head = headers.map((h) => `<th>${escapeHtml(h)}</th>`).join('');
  return `<table class="${className}"><thead><tr>${head}</tr></thead><tbody>${rows.join('')}</tbody></table>`;
}

function badge(verdict: Verdict, big = false): string {
  const text = `${escapeHtml(verdict.toUpperCase())}`;
  return `<span class="badge${big ? ' big' : ''} verdict-${escapeHtml(verdict)}">${text}</span>`;
}

function header(report: ExperimentReport): string {
  return (
    `<header><div><h1>${escapeHtml(report.name)}</h1>` +
    `<p class="description">${escapeHtml(report.description)}</p>` +
    `<div class="meta"><span>seed ${escapeHtml(String(report.seed))}</span>` +
    `<span>started ${escapeHtml(report.startedAt)}</span>` +
    `<span>duration ${formatSeconds(report.figures.durationMs)} s</span></div></div>` +
    `${badge(report.verdict, true)}</header>`
  );
}

function figuresTable(report: ExperimentReport): string {
  const { operations, throughputPerSecond, latencyMs } = report.figures;
  const headers = ['Operations', 'ok', 'refused', 'fail', 'info', 'Throughput /s'];
  const latency = ['p50', 'p95', 'p99', 'max'] as const;
  const values = [
    String(operations.total),
    String(operations.ok),
    String(operations.refused),
    String(operations.fail),
    String(operations.info),
    formatMs(throughputPerSecond),
    ...latency.map((p) => formatMs(latencyMs[p])),
  ];
  return (
    '<h2>Figures</h2>' +
    table(
      [...headers, ...latency.map((p) => `Latency ${p} (ms)`)],
      [`<tr>${values.map((v) => cell(v, true)).join('')}</tr>`],
      'figures wide',
    )
  );
}

function checkerVerdict(result: CheckerResult): Verdict {
  if (result.valid === 'unknown') return 'unknown';
  return result.valid ? 'valid' : 'invalid';
}

function checkersTable(checkers: readonly CheckerResult[]): string {
  if (checkers.length === 0) return '<h2>Checkers</h2><p class="muted">No checker ran.</p>';
  const rows = checkers.map((result) => {
    const figures = Object.entries(result.figures)
      .map(([key, value]) => `${key}=${Number.isInteger(value) ? value : value.toFixed(3)}`)
      .join(' ');
    const notes = (result.notes ?? []).map((note) => `<li>${escapeHtml(note)}</li>`).join('');
    const summary = escapeHtml(result.summary) + (notes === '' ? '' : `<ul class="notes">${notes}</ul>`);
    return (
      `<tr>${cell(result.checker)}<td>${badge(checkerVerdict(result))}</td><td>${summary}</td>` +
      `<td><code>${escapeHtml(figures)}</code></td></tr>`
    );
  });
  return '<h2>Checkers</h2>' + table(['Checker', 'Verdict', 'Summary', 'Figures'], rows, 'wide');
}

function faultLabel(fault: ReportFault): string {
  return fault.target === undefined ? fault.fault : `${fault.fault} ${fault.target}`;
}

function bandsOf(faults: readonly ReportFault[]): ChartBand[] {
  return faults.map((f) => ({ kind: f.fault, label: faultLabel(f), startMs: f.startMs, endMs: f.endMs }));
}

/** Where the plots end: the run, or later if a bucket, a sample or a fault reaches past it. */
function runEndMs(report: ExperimentReport): number {
  const { bucketMs, buckets } = report.timeline;
  return Math.max(
    report.figures.durationMs,
    ...buckets.map((b) => b.startMs + bucketMs),
    ...report.latencies.map((s) => s.atMs),
    ...report.faults.map((f) => f.endMs),
  );
}

function throughputSection(report: ExperimentReport, bands: readonly ChartBand[]): string {
  const { bucketMs, buckets } = report.timeline;
  // Per second rather than per bucket, so the axis reads the same whatever the bucket size.
  const perSecond = bucketMs > 0 ? 1000 / bucketMs : 0;
  const series: ChartSeries[] = (['ok', 'fail', 'info'] as const).map((outcome) => ({
    name: outcome,
    color: OUTCOME_COLORS[outcome],
    points: buckets.map((b) => ({ xMs: b.startMs + bucketMs / 2, y: b[outcome] * perSecond })),
  }));
  const chart = timeSeriesChart({
    title: 'Operations completed per second',
    className: 'throughput',
    width: CHART_WIDTH,
    plotHeight: 220,
    toMs: runEndMs(report),
    yCaption: 'operations / s',
    series,
    stacked: true,
    bands,
  });
  const empty = buckets.length === 0 ? '<p class="muted">The timeline is empty.</p>' : '';
  return `<h2>Throughput</h2>${empty}${chart}`;
}

function latencySection(report: ExperimentReport, bands: readonly ChartBand[]): string {
  const { bucketMs, buckets } = report.timeline;
  const percentile = (
    name: string,
    pick: 'p50Ms' | 'p99Ms',
    color: string,
    dashed: boolean,
  ): ChartSeries => ({
    name,
    color,
    dashed,
    points: buckets.map((b) => ({ xMs: b.startMs + bucketMs / 2, y: b[pick] })),
  });
  const chart = scatterChart({
    title: 'Latency of sampled operations (log scale)',
    className: 'latency',
    width: CHART_WIDTH,
    plotHeight: 260,
    toMs: runEndMs(report),
    yCaption: 'latency (ms, log)',
    points: report.latencies.map((s) => ({ xMs: s.atMs, y: s.latencyMs, outcome: s.outcome })),
    lines: [percentile('p50', 'p50Ms', '#37474f', false), percentile('p99', 'p99Ms', '#111', true)],
    bands,
  });
  return `<h2>Latency</h2>${chart}`;
}

function faultTable(faults: readonly ReportFault[]): string {
  if (faults.length === 0) return '<h2>Faults</h2><p class="muted">No fault was injected.</p>';
  const rows = faults.map(
    (f) =>
      `<tr>${cell(f.fault)}${cell(f.target ?? '')}${cell(f.detail ?? '')}` +
      `${cell(formatSeconds(f.startMs), true)}${cell(formatSeconds(f.endMs), true)}</tr>`,
  );
  return '<h2>Faults</h2>' + table(['Kind', 'Target', 'Detail', 'Start (s)', 'End (s)'], rows, 'wide');
}

function showValue(value: string | null | undefined): string {
  if (value === undefined) return '';
  return value === null ? 'null' : JSON.stringify(value);
}

/** What the operation asked for: the value written and, for a `cas`, the version it required. */
function requested(op: Operation): string {
  const parts = [showValue(op.value)];
  if (op.expectedVersion !== undefined) parts.push(`if version ${op.expectedVersion}`);
  return parts.filter((p) => p !== '').join(' ');
}

/** What the completion reported. */
function reported(op: Operation): string {
  const parts = [showValue(op.result.value)];
  if (op.result.version !== undefined) parts.push(`version ${op.result.version}`);
  if (op.result.error !== undefined) parts.push(`error: ${op.result.error}`);
  return parts.filter((p) => p !== '').join(', ');
}

function barLabel(op: Operation): string {
  const result = op.f === 'read' && op.outcome === 'ok' ? ` → ${showValue(op.result.value)}` : '';
  return `${op.f} ${op.key} ${requested(op)}${result}`.replace(/\s+/g, ' ').trim();
}

function operationRow(op: Operation): string {
  return (
    `<tr class="op">${cell(String(op.index), true)}${cell(`p${op.process}`)}${cell(op.f)}${cell(op.key)}` +
    `${cell(requested(op))}<td class="outcome-${op.outcome}">${op.outcome}</td>${cell(reported(op))}` +
    `${cell(formatInstant(op.invokeNs), true)}${cell(formatInstant(op.completeNs), true)}</tr>`
  );
}

function anomalySection(checker: string, anomaly: Anomaly, bands: readonly ChartBand[]): string {
  const headers = [
    '#',
    'Process',
    'f',
    'Key',
    'Value / expected',
    'Outcome',
    'Result',
    'Invoke ms',
    'Complete ms',
  ];
  const chart = timelineBarsChart({
    title: `Operations of the ${anomaly.kind} anomaly`,
    className: 'timeline-bars',
    width: CHART_WIDTH,
    bars: anomaly.operations.map((op) => ({
      row: `p${op.process}`,
      startMs: op.invokeNs / 1e6,
      endMs: op.completeNs / 1e6,
      outcome: op.outcome,
      openEnded: op.outcome === 'info',
      label: barLabel(op),
    })),
    bands,
  });
  const key = anomaly.key === undefined ? '' : ` on key <code>${escapeHtml(anomaly.key)}</code>`;
  return (
    `<section class="anomaly"><h3>${escapeHtml(checker)}: ${escapeHtml(anomaly.kind)}${key}</h3>` +
    `<p class="message">${escapeHtml(anomaly.message)}</p>` +
    table(headers, anomaly.operations.map(operationRow), 'wide') +
    `${chart}</section>`
  );
}

function anomaliesSection(checkers: readonly CheckerResult[], bands: readonly ChartBand[]): string {
  const sections = checkers.flatMap((c) => c.anomalies.map((a) => anomalySection(c.checker, a, bands)));
  return `<h2>Anomalies</h2>${sections.length > 0 ? sections.join('') : '<p class="muted">No checker found an anomaly.</p>'}`;
}

/** A link to a file next to the report. Anything with a scheme is shown, not linked: a `javascript:` href would run. */
function fileLink(path: string): string {
  if (/^[a-z][a-z0-9+.-]*:/i.test(path)) return `<code>${escapeHtml(path)}</code>`;
  return `<a href="${escapeHtml(path)}"><code>${escapeHtml(path)}</code></a>`;
}

function specSection(report: ExperimentReport): string {
  return (
    `<h2>Spec and files</h2><p>History: ${fileLink(report.files.history)} · Logs: ${fileLink(report.files.logs)}</p>` +
    `<details><summary>Experiment spec</summary><pre>${escapeHtml(JSON.stringify(report.spec, null, 2))}</pre></details>`
  );
}

/**
 * Renders a report as one self-contained HTML page with inline SVG plots and no script.
 *
 * @example
 * import { writeFile } from 'node:fs/promises';
 * await writeFile(join(dir, 'report.html'), renderReportHtml(report));
 */
export function renderReportHtml(report: ExperimentReport): string {
  const bands = bandsOf(report.faults);
  return [
    '<!doctype html>',
    '<html lang="en"><head><meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${escapeHtml(`${report.name}: ${report.verdict.toUpperCase()}`)}</title>`,
    `<style>${STYLE}</style></head><body><main>`,
    header(report),
    figuresTable(report),
    checkersTable(report.checkers),
    throughputSection(report, bands),
    latencySection(report, bands),
    faultTable(report.faults),
    anomaliesSection(report.checkers, bands),
    specSection(report),
    '</main></body></html>',
  ].join('\n');
}

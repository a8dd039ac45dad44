/**
 * Small SVG plotting helpers for the experiment report: a time-series chart and a latency
 * scatter plot, each with the fault windows shaded behind the data. They return markup as
 * strings so that the report stays one self-contained page with no script and nothing
 * fetched. This module knows nothing of experiments; it must never write a number it has
 * not checked is finite, nor text it has not escaped, because both come from a report that
 * user input helped to fill.
 */
import {
  chartMarkup,
  n,
  niceTicks,
  OUTCOME_COLORS,
  runFrame,
  xOf,
  yAxis,
  type ChartSeries,
  type LegendItem,
  type Outcome,
  type RunChartOptions,
} from './chart-frame.js';

export interface TimeSeriesChartOptions extends RunChartOptions {
  readonly series: readonly ChartSeries[];
  /** Stack the series as areas (they must share their x values) instead of drawing lines. */
  readonly stacked: boolean;
}

export interface ScatterPoint {
  readonly xMs: number;
  readonly y: number;
  readonly outcome: Outcome;
}

export interface ScatterChartOptions extends RunChartOptions {
  readonly points: readonly ScatterPoint[];
  /** Lines drawn over the points, such as percentiles per bucket. */
  readonly lines: readonly ChartSeries[];
}

function seriesLegend(series: readonly ChartSeries[], stacked: boolean): LegendItem[] {
  return series.map((s) => ({
    label: s.name,
    color: s.color,
    shape: stacked ? 'box' : s.dashed === true ? 'dashed' : 'line',
  }));
}

/** Draws `points` as a path, lifting the pen over gaps. */
function linePath(points: readonly { x: number; y: number | null }[]): string {
  let pen = 'M';
  let d = '';
  for (const point of points) {
    if (point.y === null || !Number.isFinite(point.y) || !Number.isFinite(point.x)) {
      pen = 'M';
      continue;
    }
    d += `${pen}${n(point.x)},${n(point.y)} `;
    pen = 'L';
  }
  return d.trim();
}

/** Cumulative tops of stacked series; a gap counts as zero so the layers stay joined. */
function stackTops(series: readonly ChartSeries[]): number[][] {
  const tops: number[][] = [];
  let base = (series[0]?.points ?? []).map(() => 0);
  for (const s of series) {
    const top = base.map((below, i) => {
      const y = s.points[i]?.y;
      return below + (typeof y === 'number' && Number.isFinite(y) ? Math.max(y, 0) : 0);
    });
    tops.push(top);
    base = top;
  }
  return tops;
}

/** The series as lines, or as areas each stacked on the one before. */
function seriesShapes(
  series: readonly ChartSeries[],
  stacked: boolean,
  x: (ms: number) => number,
  y: (v: number) => number,
): string {
  const tops = stacked ? stackTops(series) : [];
  return series
    .map((s, i) => {
      const xs = s.points.map((p) => x(p.xMs));
      if (!stacked) {
        const d = linePath(s.points.map((p, j) => ({ x: xs[j] ?? 0, y: p.y === null ? null : y(p.y) })));
        const dash = s.dashed === true ? ' stroke-dasharray="5 3"' : '';
        return d ? `<path d="${d}" fill="none" stroke="${s.color}" stroke-width="1.8"${dash}/>` : '';
      }
      const upper = (tops[i] ?? []).map((v, j) => ({ x: xs[j] ?? 0, y: y(v) }));
      if (upper.length === 0) return '';
      const lower = (tops[i - 1] ?? upper.map(() => 0)).map((v, j) => ({ x: xs[j] ?? 0, y: y(v) }));
      const d = `${linePath(upper)} ${linePath(lower.reverse()).replace(/^M/, 'L')} Z`;
      return `<path d="${d}" fill="${s.color}" fill-opacity="0.55" stroke="${s.color}" stroke-width="1.2"/>`;
    })
    .join('');
}

/**
 * A time-series chart: the series as lines or stacked areas over 0..`toMs`, a y axis from
 * zero with about five round ticks, an x axis in seconds, a legend and the bands shaded.
 */
export function timeSeriesChart(options: TimeSeriesChartOptions): string {
  const frame = runFrame(options);
  const { scale, top, bottom } = frame;
  const values = options.stacked
    ? stackTops(options.series).flat()
    : options.series.flatMap((s) => s.points.map((p) => p.y ?? 0)).filter(Number.isFinite);
  const ticks = niceTicks(0, Math.max(0, ...values), 5);
  const yMax = ticks[ticks.length - 1] ?? 1;
  const y = (v: number): number => bottom - (yMax > 0 ? v / yMax : 0) * (bottom - top);
  const shapes = seriesShapes(options.series, options.stacked, (ms) => xOf(scale, ms), y);
  return chartMarkup(
    options,
    frame,
    [yAxis(ticks, y, scale, options.yCaption), shapes],
    seriesLegend(options.series, options.stacked),
  );
}

/** Round log-scale ticks: each power of ten, with 2 and 5 between them when few decades show. */
function logTicks(low: number, high: number): number[] {
  const from = Math.floor(Math.log10(low));
  const to = Math.max(from + 1, Math.ceil(Math.log10(high)));
  const steps = to - from <= 3 ? [1, 2, 5] : [1];
  const ticks: number[] = [];
  for (let power = from; power <= to; power += 1) {
    for (const step of steps) {
      const value = Number((step * 10 ** power).toPrecision(6));
      if (value <= 10 ** to) ticks.push(value);
    }
  }
  return ticks;
}

/**
 * A scatter plot of one value per point on a log y axis (latencies span decades once a
 * fault strikes), coloured by outcome, with optional lines on top and the bands shaded.
 */
export function scatterChart(options: ScatterChartOptions): string {
  const frame = runFrame(options);
  const { scale, top, bottom } = frame;
  const values = [
    ...options.points.map((p) => p.y),
    ...options.lines.flatMap((line) => line.points.map((p) => p.y ?? NaN)),
  ].filter((v) => Number.isFinite(v) && v > 0);
  const ticks = logTicks(Math.min(...values, 1000), Math.max(...values, 1));
  const low = Math.log10(ticks[0] ?? 1);
  const high = Math.log10(ticks[ticks.length - 1] ?? 10);
  // Zero latencies have no place on a log axis; they sit on its floor.
  const y = (v: number): number => {
    const t = (Math.log10(Math.max(v, 10 ** low)) - low) / (high - low || 1);
    return bottom - Math.min(t, 1) * (bottom - top);
  };
  // Failures are drawn last so that the rare ones are not buried under the common ones.
  const order: readonly Outcome[] = ['ok', 'info', 'fail'];
  const dots = order.flatMap((outcome) =>
    options.points
      .filter((p) => p.outcome === outcome && Number.isFinite(p.xMs) && Number.isFinite(p.y))
      .map(
        (p) =>
          `<circle class="sample ${outcome}" cx="${n(xOf(scale, p.xMs))}" cy="${n(y(p.y))}" r="2.6" ` +
          `fill="${OUTCOME_COLORS[outcome]}" fill-opacity="0.6"/>`,
      ),
  );
  const lines = seriesShapes(options.lines, false, (ms) => xOf(scale, ms), y);
  const items: LegendItem[] = [
    ...order.map((outcome) => ({ label: outcome, color: OUTCOME_COLORS[outcome], shape: 'dot' as const })),
    ...seriesLegend(options.lines, false),
  ];
  // Dots above the lines: the rare slow failures sit right on the p99 line and must stay visible.
  return chartMarkup(options, frame, [yAxis(ticks, y, scale, options.yCaption), lines, dots.join('')], items);
}

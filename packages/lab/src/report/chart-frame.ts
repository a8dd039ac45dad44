/**
 * The frame that every SVG chart of the experiment report is drawn in: the time scale, the
 * fault windows shaded behind the data with their labels laid out in lanes, the axes, the
 * legend and the `<svg>` element around them, plus the escaping and tick helpers the charts
 * share. It knows nothing of experiments nor of what a chart plots; it must never write a
 * number it has not checked is finite, nor text it has not escaped, because both come from
 * a report that user input helped to fill.
 */

export type Outcome = 'ok' | 'fail' | 'info';

/** The colour of each outcome, shared by the charts and the page's tables. */
export const OUTCOME_COLORS: Readonly<Record<Outcome, string>> = {
  ok: '#2e7d32',
  fail: '#d84315',
  info: '#7e57c2',
};

/** A shaded time window, such as a fault. `kind` picks the colour; `label` is drawn above it. */
export interface ChartBand {
  readonly kind: string;
  readonly label: string;
  readonly startMs: number;
  readonly endMs: number;
}

/** A point of a series. A `null` y leaves a gap (no data in that bucket). */
export interface ChartPoint {
  readonly xMs: number;
  readonly y: number | null;
}

export interface ChartSeries {
  readonly name: string;
  readonly color: string;
  readonly points: readonly ChartPoint[];
  readonly dashed?: boolean;
}

/** What every chart of the run shares: its size, its time span and the windows to shade. */
export interface RunChartOptions {
  readonly title: string;
  /** Added to the `<svg>` class list, so a page or a test can find the chart. */
  readonly className: string;
  readonly width: number;
  /** Height of the plot area alone; the labels of overlapping bands add rows above it. */
  readonly plotHeight: number;
  readonly toMs: number;
  readonly yCaption: string;
  readonly bands: readonly ChartBand[];
}

const ESCAPES: Readonly<Record<string, string>> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/** Escapes text for HTML and SVG, in element content and in quoted attributes alike. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => ESCAPES[char] ?? char);
}

/** About `count` round tick values covering `min`..`max` (steps of 1, 2 or 5 times a power of ten). */
export function niceTicks(min: number, max: number, count = 5): number[] {
  const low = Number.isFinite(min) ? min : 0;
  const high = Number.isFinite(max) && max > low ? max : low + 1;
  const raw = (high - low) / Math.max(1, count - 1);
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  const fraction = raw / magnitude;
  const step = (fraction < 1.5 ? 1 : fraction < 3 ? 2 : fraction < 7 ? 5 : 10) * magnitude;
  const first = Math.floor(low / step);
  const last = Math.ceil(high / step);
  const ticks: number[] = [];
  // Multiplying, not adding, keeps float error from piling up across the ticks.
  for (let i = first; i <= last; i += 1) ticks.push(Number((i * step).toPrecision(12)));
  return ticks;
}

/** Left margin of the plot area: room for the y-axis tick labels and caption. */
export const LEFT = 64;
/** Right margin of the plot area. */
export const RIGHT_PAD = 20;
const LEGEND_H = 22;
const LANE_H = 14;
const AXIS_H = 36;
/** Rough width of one character at the charts' font size, for laying out text without measuring it. */
export const CHAR_W = 6.2;
const FONT = 'system-ui, -apple-system, Segoe UI, Roboto, sans-serif';

/** Maps the time span `fromMs`..`toMs` onto the pixels `left`..`right`. */
export interface XScale {
  readonly left: number;
  readonly right: number;
  readonly fromMs: number;
  readonly toMs: number;
}

interface PlacedBand {
  readonly band: ChartBand;
  readonly x0: number;
  readonly x1: number;
  readonly labelX: number;
  readonly lane: number;
}

/** A coordinate for an attribute; the last guard against `NaN` reaching the markup. */
export function n(value: number): string {
  return Number.isFinite(value) ? String(Math.round(value * 10) / 10) : '0';
}

function tickText(value: number): string {
  return String(Number(value.toPrecision(6)));
}

/** The x pixel of `ms`, clamped to the scale so that nothing is drawn outside the plot. */
export function xOf(scale: XScale, ms: number): number {
  const span = scale.toMs - scale.fromMs;
  const clamped = Math.min(Math.max(ms, scale.fromMs), scale.toMs);
  return scale.left + (span > 0 ? (clamped - scale.fromMs) / span : 0) * (scale.right - scale.left);
}

function bandColors(kind: string): { fill: string; opacity: number; text: string } {
  if (['kill', 'pause', 'restart'].includes(kind)) return { fill: '#e53935', opacity: 0.13, text: '#b71c1c' };
  if (['partition', 'delay', 'drop', 'reset'].includes(kind)) {
    return { fill: '#fbc02d', opacity: 0.24, text: '#8a6d00' };
  }
  // The operator's steps: the cluster changes shape on purpose.
  if (['join', 'drain', 'terminate', 'split'].includes(kind)) {
    return { fill: '#1e88e5', opacity: 0.12, text: '#0d47a1' };
  }
  return { fill: '#fb8c00', opacity: 0.16, text: '#a14b00' };
}

/**
 * Gives each band's label the lowest row where it does not overprint an earlier label, so
 * overlapping windows stay readable; labels that would run off the right edge move left.
 */
function placeBands(bands: readonly ChartBand[], scale: XScale): { placed: PlacedBand[]; lanes: number } {
  const visible = bands
    .filter((b) => Number.isFinite(b.startMs) && Number.isFinite(b.endMs))
    .filter((b) => b.endMs >= scale.fromMs && b.startMs <= scale.toMs)
    .slice()
    .sort((a, b) => a.startMs - b.startMs);
  const laneEnds: number[] = [];
  const placed = visible.map((band) => {
    const x0 = xOf(scale, band.startMs);
    const x1 = xOf(scale, band.endMs);
    const width = band.label.length * CHAR_W + 10;
    const labelX = Math.max(scale.left, Math.min(x0 + 3, scale.right - width));
    let lane = laneEnds.findIndex((end) => end <= labelX);
    if (lane < 0) lane = laneEnds.push(0) - 1;
    laneEnds[lane] = labelX + width;
    return { band, x0, x1, labelX, lane };
  });
  return { placed, lanes: laneEnds.length };
}

function renderBands(placed: readonly PlacedBand[], labelTop: number, top: number, bottom: number): string {
  return placed
    .map(({ band, x0, x1, labelX, lane }) => {
      const colors = bandColors(band.kind);
      const baseline = labelTop + lane * LANE_H + 10;
      const label = escapeHtml(band.label);
      const span = `${tickText(band.startMs / 1000)}–${tickText(band.endMs / 1000)} s`;
      return (
        `<rect class="fault-band" x="${n(x0)}" y="${n(top)}" width="${n(Math.max(x1 - x0, 1.5))}" ` +
        `height="${n(bottom - top)}" fill="${colors.fill}" fill-opacity="${colors.opacity}">` +
        `<title>${label} ${span}</title></rect>` +
        `<line x1="${n(x0)}" y1="${n(baseline + 3)}" x2="${n(x0)}" y2="${n(top)}" stroke="${colors.text}" ` +
        `stroke-opacity="0.5" stroke-dasharray="2 2"/>` +
        `<text class="fault-label" x="${n(labelX)}" y="${n(baseline)}" fill="${colors.text}">${label}</text>`
      );
    })
    .join('');
}

function xAxisSeconds(scale: XScale, top: number, bottom: number): string {
  const ticks = niceTicks(scale.fromMs / 1000, scale.toMs / 1000, 9).filter(
    (s) => s * 1000 >= scale.fromMs - 1e-9 && s * 1000 <= scale.toMs + 1e-9,
  );
  const marks = ticks.map((seconds) => {
    const x = n(xOf(scale, seconds * 1000));
    return (
      `<line x1="${x}" y1="${n(top)}" x2="${x}" y2="${n(bottom + 4)}" stroke="#e4e4e4"/>` +
      `<text x="${x}" y="${n(bottom + 16)}" text-anchor="middle" fill="#555">${tickText(seconds)}</text>`
    );
  });
  const caption =
    `<text x="${n((scale.left + scale.right) / 2)}" y="${n(bottom + 31)}" text-anchor="middle" ` +
    `fill="#555">time since start (s)</text>`;
  const baseLine = `<line x1="${n(scale.left)}" y1="${n(bottom)}" x2="${n(scale.right)}" y2="${n(bottom)}" stroke="#999"/>`;
  return marks.join('') + baseLine + caption;
}

/** Horizontal grid lines with their tick labels, and the rotated y caption. */
export function yAxis(
  ticks: readonly number[],
  y: (v: number) => number,
  scale: XScale,
  caption: string,
): string {
  const marks = ticks.map((value) => {
    const at = n(y(value));
    return (
      `<line x1="${n(scale.left)}" y1="${at}" x2="${n(scale.right)}" y2="${at}" stroke="#ececec"/>` +
      `<text x="${n(scale.left - 6)}" y="${at}" dy="0.32em" text-anchor="end" fill="#555">${tickText(value)}</text>`
    );
  });
  const mid = (y(ticks[0] ?? 0) + y(ticks[ticks.length - 1] ?? 0)) / 2;
  return (
    marks.join('') +
    `<text transform="translate(14 ${n(mid)}) rotate(-90)" text-anchor="middle" fill="#555">` +
    `${escapeHtml(caption)}</text>`
  );
}

type LegendShape = 'box' | 'line' | 'dashed' | 'dot';
/** One entry of a chart's legend: a swatch of `shape` in `color`, then `label`. */
export type LegendItem = { readonly label: string; readonly color: string; readonly shape: LegendShape };

const SWATCHES: Readonly<Record<LegendShape, (x: number, color: string) => string>> = {
  box: (x, color) => `<rect x="${n(x)}" y="6" width="12" height="10" fill="${color}" fill-opacity="0.75"/>`,
  dot: (x, color) => `<circle cx="${n(x + 6)}" cy="11" r="3.5" fill="${color}"/>`,
  line: (x, color) =>
    `<line x1="${n(x)}" y1="11" x2="${n(x + 14)}" y2="11" stroke="${color}" stroke-width="2"/>`,
  dashed: (x, color) =>
    `<line x1="${n(x)}" y1="11" x2="${n(x + 14)}" y2="11" stroke="${color}" stroke-width="2" stroke-dasharray="4 3"/>`,
};

function legend(items: readonly LegendItem[], x: number): string {
  let at = x;
  return items
    .map(({ label, color, shape }) => {
      const markup =
        SWATCHES[shape](at, color) + `<text x="${n(at + 18)}" y="15" fill="#333">${escapeHtml(label)}</text>`;
      at += 18 + label.length * CHAR_W + 16;
      return markup;
    })
    .join('');
}

/** Where a chart's plot area sits, and its bands already placed in their label lanes. */
export interface Frame {
  readonly scale: XScale;
  readonly placed: readonly PlacedBand[];
  readonly top: number;
  readonly bottom: number;
}

/** The `<svg>` element around a chart's layers: bands first, so data is drawn over them. */
export function chartMarkup(
  options: Pick<RunChartOptions, 'title' | 'className' | 'width'>,
  frame: Frame,
  layers: readonly string[],
  items: readonly LegendItem[],
): string {
  const title = escapeHtml(options.title);
  return (
    `<svg class="chart ${escapeHtml(options.className)}" xmlns="http://www.w3.org/2000/svg" ` +
    `viewBox="0 0 ${n(options.width)} ${n(frame.bottom + AXIS_H)}" width="100%" role="img" ` +
    `aria-label="${title}" font-family="${FONT}" font-size="11"><title>${title}</title>` +
    renderBands(frame.placed, LEGEND_H, frame.top, frame.bottom) +
    xAxisSeconds(frame.scale, frame.top, frame.bottom) +
    layers.join('') +
    legend(items, frame.scale.left) +
    '</svg>'
  );
}

/** Lays out a chart of `plotHeight` over `scale`, with a row above it for each lane of band labels. */
export function frameFor(scale: XScale, bands: readonly ChartBand[], plotHeight: number): Frame {
  const { placed, lanes } = placeBands(bands, scale);
  const top = LEGEND_H + lanes * LANE_H + 6;
  return { scale, placed, top, bottom: top + plotHeight };
}

/** The frame of a chart over the whole run, 0..`toMs`. */
export function runFrame(options: RunChartOptions): Frame {
  const toMs = Number.isFinite(options.toMs) && options.toMs > 0 ? options.toMs : 1000;
  return frameFor(
    { left: LEFT, right: options.width - RIGHT_PAD, fromMs: 0, toMs },
    options.bands,
    options.plotHeight,
  );
}

/**
 * The timeline chart of the experiment report: one row per process and a bar per operation
 * from invocation to completion, with the fault windows shaded behind them. It returns
 * markup as a string so that the report stays one self-contained page with no script and
 * nothing fetched. It knows nothing of experiments or checkers; it must never write a
 * number it has not checked is finite, nor text it has not escaped, because operation
 * labels and process names come from a report that user input helped to fill.
 */
import {
  CHAR_W,
  chartMarkup,
  escapeHtml,
  frameFor,
  LEFT,
  n,
  OUTCOME_COLORS,
  RIGHT_PAD,
  xOf,
  type Outcome,
  type RunChartOptions,
  type XScale,
} from './chart-frame.js';

/** One operation in a timeline: a bar on its row from start to end. */
export interface TimelineBar {
  readonly row: string;
  readonly startMs: number;
  readonly endMs: number;
  readonly outcome: Outcome;
  /** The operation may still take effect later: drawn on to the right edge, dashed. */
  readonly openEnded: boolean;
  readonly label: string;
}

export interface TimelineBarsOptions extends Pick<
  RunChartOptions,
  'title' | 'className' | 'width' | 'bands'
> {
  readonly bars: readonly TimelineBar[];
}

/** Cuts a label to fit `width` pixels, marking the cut. */
function fitLabel(label: string, width: number): string {
  const chars = Math.floor(width / (CHAR_W * 0.9));
  if (label.length <= chars) return label;
  return chars <= 1 ? '' : `${label.slice(0, chars - 1)}…`;
}

const ROW_H = 34;

/** One bar with its label; the label is cut where the next bar of its row begins. */
function barMark(bar: TimelineBar, rowTop: number, nextStartMs: number | undefined, scale: XScale): string {
  const x0 = xOf(scale, bar.startMs);
  const x1 = Math.max(xOf(scale, bar.endMs), x0 + 2);
  const color = OUTCOME_COLORS[bar.outcome];
  const room = (nextStartMs === undefined ? scale.right : xOf(scale, nextStartMs)) - x0 - 4;
  const open = bar.openEnded
    ? `<line class="open-end" x1="${n(x1)}" y1="${n(rowTop + 23)}" x2="${n(scale.right)}" y2="${n(rowTop + 23)}" ` +
      `stroke="${color}" stroke-width="2" stroke-dasharray="4 3"/>`
    : '';
  return (
    `<rect class="op-bar ${bar.outcome}" x="${n(x0)}" y="${n(rowTop + 17)}" width="${n(x1 - x0)}" height="12" ` +
    `rx="2" fill="${color}" fill-opacity="0.8"><title>${escapeHtml(bar.label)}</title></rect>${open}` +
    `<text x="${n(x0)}" y="${n(rowTop + 13)}" font-size="10" fill="#333">` +
    `${escapeHtml(fitLabel(bar.label, room))}</text>`
  );
}

/** The time span of a timeline, with room on the right so open-ended bars visibly run on. */
function barSpan(bars: readonly TimelineBar[]): { fromMs: number; toMs: number } {
  if (bars.length === 0) return { fromMs: 0, toMs: 10 };
  const first = Math.min(...bars.map((b) => b.startMs));
  const last = Math.max(...bars.map((b) => b.endMs));
  const span = last > first ? last - first : 10;
  return { fromMs: Math.max(0, first - span * 0.05), toMs: last + span * 0.12 };
}

/**
 * A timeline of operations: one row per process, a bar from invocation to completion with
 * its label above it. An open-ended bar goes on to the right edge as a dashed line, since
 * such an operation may take effect at any later moment.
 */
export function timelineBarsChart(options: TimelineBarsOptions): string {
  const bars = options.bars.filter((b) => Number.isFinite(b.startMs) && Number.isFinite(b.endMs));
  const rows = [...new Set(bars.map((b) => b.row))].sort((a, b) =>
    a.localeCompare(b, 'en', { numeric: true }),
  );
  const scale: XScale = { left: LEFT, right: options.width - RIGHT_PAD, ...barSpan(bars) };
  const frame = frameFor(scale, options.bands, Math.max(rows.length, 1) * ROW_H);
  const marks = bars.map((bar, i) => {
    const next = bars.find((b, j) => j > i && b.row === bar.row && b.startMs >= bar.startMs);
    return barMark(bar, frame.top + rows.indexOf(bar.row) * ROW_H, next?.startMs, scale);
  });
  const rowLabels = rows.map(
    (row, i) =>
      `<text x="${n(LEFT - 8)}" y="${n(frame.top + i * ROW_H + 23)}" dy="0.32em" text-anchor="end" ` +
      `fill="#333">${escapeHtml(row)}</text>`,
  );
  const items = (['ok', 'fail', 'info'] as const).map((o) => ({
    label: o,
    color: OUTCOME_COLORS[o],
    shape: 'box' as const,
  }));
  return chartMarkup(options, frame, [rowLabels.join(''), marks.join('')], items);
}

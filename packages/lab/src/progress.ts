/**
 * Progress of a long run (a workload, a measured load, a wait for queues to drain): on a
 * terminal, one line redrawn in place with a bar; anywhere else (CI, a log, a file), a plain
 * line every few seconds; and a summary line at the end. The figures are read from a
 * `sample` callback at each redraw, so the code doing the work only keeps its counters.
 *
 * It must never write a carriage return or an escape code when the output is not a terminal,
 * and never keep the process alive: its timer is unref'd. Time comes from an injectable clock
 * and nothing is drawn but through the injectable writer, so tests drive it by hand.
 */
import { systemClock, type Clock } from '@isx/core';

/** The figures of a run so far. */
export interface ProgressSample {
  /** Units done so far: operations, requests, entities. */
  readonly done?: number;
  /** Failures so far; shown whenever it is defined, zero included. */
  readonly errors?: number;
  /** Anything else worth seeing now: `p99 12 ms`, `faults: kill n2`. */
  readonly detail?: string;
}

export interface ProgressOptions {
  /** What runs: `workload`, `router`, `draining queues`. */
  readonly label: string;
  /** Planned duration, ms: the bar is the time elapsed over it. */
  readonly totalMs?: number;
  /** Planned count: the bar is `done` over it (it wins over `totalMs`). */
  readonly total?: number;
  /** What `done` counts (default `ops`). */
  readonly unit?: string;
  /** What `errors` counts (default `errors`). */
  readonly errorUnit?: string;
  /** Read at every redraw and at the end. */
  readonly sample?: () => ProgressSample;
  /** Receives the text (default: stdout). */
  readonly write?: (text: string) => void;
  /** Redraw one line in place (default: stdout is a terminal and `TERM` is not `dumb`). */
  readonly tty?: boolean;
  /** Width the line is cut to on a terminal, so it never wraps (default: stdout's columns). */
  readonly columns?: number;
  /** Put before every line, e.g. a narrator's indentation. */
  readonly indent?: string;
  /** Off a terminal, ms between two plain lines (default 5000). */
  readonly everyMs?: number;
  /** Draw nothing, summary included, unless the run lasts this long (default 0): for waits that are usually short. */
  readonly showAfterMs?: number;
  /** Called once, just before the first line is drawn or written. */
  readonly onShow?: () => void;
  /** Called once, after `finish` has written the summary. */
  readonly onFinish?: () => void;
  readonly clock?: Pick<Clock, 'monotonic'>;
}

const BAR_WIDTH = 20;
const TTY_REDRAW_MS = 250;
const CLEAR_LINE = '\r\x1b[K';

/** Whether stdout redraws in place. */
export function stdoutIsTty(): boolean {
  return process.stdout.isTTY === true && process.env.TERM !== 'dumb';
}

/**
 * One run's progress.
 *
 * @example
 * const progress = new Progress({
 *   label: 'workload',
 *   totalMs: 30_000,
 *   sample: () => ({ done: counts.done, errors: counts.failed }),
 * }).start();
 * await workload.run();
 * progress.finish(); // `workload: 1,234 ops in 30.0 s (41/s), 3 errors`
 */
export class Progress {
  readonly #options: ProgressOptions;
  readonly #write: (text: string) => void;
  readonly #tty: boolean;
  readonly #clock: Pick<Clock, 'monotonic'>;
  readonly #startedAt: number;
  #lastLineAt: number;
  #timer: NodeJS.Timeout | undefined;
  /** A line is on the terminal that the next write must clear first. */
  #drawn = false;
  #shown = false;
  #paused = false;
  #finished = false;

  constructor(options: ProgressOptions) {
    this.#options = options;
    this.#write = options.write ?? ((text) => process.stdout.write(text));
    this.#tty = options.tty ?? stdoutIsTty();
    this.#clock = options.clock ?? systemClock;
    this.#startedAt = this.#clock.monotonic();
    this.#lastLineAt = this.#startedAt;
  }

  /** Starts redrawing on a timer (a terminal) or writing a line every `everyMs` (elsewhere); returns itself. */
  start(): this {
    if (this.#timer !== undefined || this.#finished) return this;
    const period = this.#tty ? TTY_REDRAW_MS : Math.min(1_000, this.#options.everyMs ?? 5_000);
    this.#timer = setInterval(() => this.tick(), period);
    this.#timer.unref();
    this.tick();
    return this;
  }

  get elapsedMs(): number {
    return this.#clock.monotonic() - this.#startedAt;
  }

  get finished(): boolean {
    return this.#finished;
  }

  get paused(): boolean {
    return this.#paused;
  }

  /** It has drawn or written its line, and is neither paused nor finished. */
  get showing(): boolean {
    return this.#shown && !this.#paused && !this.#finished;
  }

  /** Redraws the line (a terminal) or writes one if `everyMs` has passed since the last (elsewhere). */
  tick(): void {
    if (this.#finished || this.#paused || this.elapsedMs < (this.#options.showAfterMs ?? 0)) return;
    if (!this.#shown) this.#options.onShow?.();
    if (this.#tty) {
      this.#draw();
      return;
    }
    const now = this.#clock.monotonic();
    if (now - this.#lastLineAt < (this.#options.everyMs ?? 5_000)) return;
    this.#lastLineAt = now;
    this.#shown = true;
    this.#write(`${this.#status(false)}\n`);
  }

  /** Writes `text` (whole lines) above the progress line, which is then redrawn. */
  above(text: string): void {
    if (!this.#drawn) {
      this.#write(text);
      return;
    }
    this.#write(`${CLEAR_LINE}${text}`);
    this.#drawn = false;
    this.#draw();
  }

  /** Stops drawing until `resume`, clearing the line: another progress line takes its place. */
  pause(): void {
    this.#paused = true;
    this.#clear();
  }

  resume(): void {
    this.#paused = false;
    if (this.#tty && this.#shown) this.#draw();
  }

  /** Stops, clears the line and writes the summary, with `note` after the figures; later calls do nothing. */
  finish(note?: string): void {
    if (this.#finished) return;
    this.#finished = true;
    if (this.#timer !== undefined) clearInterval(this.#timer);
    this.#clear();
    const longEnough = this.#shown || this.elapsedMs >= (this.#options.showAfterMs ?? 0);
    if (longEnough) this.#write(`${this.summary(note)}\n`);
    this.#options.onFinish?.();
  }

  /** `label: 1,234 ops in 24.0 s (51/s), 3 errors, note`, indented. */
  summary(note?: string): string {
    const { label, unit = 'ops', errorUnit = 'errors' } = this.#options;
    const { done, errors } = this.#options.sample?.() ?? {};
    const seconds = this.elapsedMs / 1000;
    const parts = [
      done === undefined
        ? formatDuration(this.elapsedMs)
        : `${formatCount(done)} ${unit} in ${formatDuration(this.elapsedMs)}${rate(done, seconds)}`,
      ...(errors === undefined ? [] : [`${formatCount(errors)} ${errorUnit}`]),
      ...(note ? [note] : []),
    ];
    return `${this.#options.indent ?? ''}${label}: ${parts.join(', ')}`;
  }

  #draw(): void {
    let line = this.#status(true);
    const columns = this.#options.columns ?? process.stdout.columns ?? 100;
    if (line.length >= columns) line = `${line.slice(0, Math.max(0, columns - 2))}…`;
    this.#write(`\r${line}\x1b[K`);
    this.#drawn = true;
    this.#shown = true;
  }

  #clear(): void {
    if (!this.#drawn) return;
    this.#write(CLEAR_LINE);
    this.#drawn = false;
  }

  /** The figures as one line, with a bar on a terminal. */
  #status(withBar: boolean): string {
    const { label, total, totalMs, unit = 'ops', errorUnit = 'errors' } = this.#options;
    const { done, errors, detail } = this.#options.sample?.() ?? {};
    const elapsedMs = this.elapsedMs;
    const seconds = elapsedMs / 1000;
    const share =
      total !== undefined && total > 0
        ? (done ?? 0) / total
        : totalMs !== undefined && totalMs > 0
          ? elapsedMs / totalMs
          : undefined;
    const parts: string[] = [label];
    if (share !== undefined) {
      const clamped = Math.min(1, Math.max(0, share));
      const filled = Math.round(clamped * BAR_WIDTH);
      const percent = `${String(Math.floor(clamped * 100)).padStart(3)}%`;
      parts.push(withBar ? `[${'#'.repeat(filled)}${'.'.repeat(BAR_WIDTH - filled)}] ${percent}` : percent);
    }
    if (total !== undefined) {
      parts.push(`${formatCount(done ?? 0)} / ${formatCount(total)} ${unit}${rate(done ?? 0, seconds)}`);
      parts.push(formatDuration(elapsedMs));
    } else {
      parts.push(
        totalMs === undefined
          ? formatDuration(elapsedMs)
          : `${formatDuration(elapsedMs)} / ${formatDuration(totalMs, true)}`,
      );
      if (done !== undefined) parts.push(`${formatCount(done)} ${unit}${rate(done, seconds)}`);
    }
    if (errors !== undefined) parts.push(`${formatCount(errors)} ${errorUnit}`);
    if (detail) parts.push(detail);
    return `${this.#options.indent ?? ''}${parts.join('  ')}`;
  }
}

/** `1,234` */
function formatCount(n: number): string {
  return Math.round(n).toLocaleString('en');
}

/** ` (51/s)`, ` (0.4/s)` for slow runs, or nothing before a tenth of a second has passed. */
function rate(done: number, seconds: number): string {
  if (seconds < 0.1) return '';
  const perSecond = done / seconds;
  return ` (${perSecond < 10 ? perSecond.toFixed(1) : formatCount(perSecond)}/s)`;
}

/** `12.4 s`, `2 min 05 s`; `round` drops the tenths (for planned durations). */
export function formatDuration(ms: number, round = false): string {
  const seconds = Math.max(0, ms) / 1000;
  if (seconds < 60) return round && Number.isInteger(seconds) ? `${seconds} s` : `${seconds.toFixed(1)} s`;
  const whole = Math.floor(seconds);
  return `${Math.floor(whole / 60)} min ${String(whole % 60).padStart(2, '0')} s`;
}

/**
 * Narration for demos and experiments: numbered steps, what happened, and a check of what
 * was expected. A check that fails is recorded and shown, and the run ends non-zero, so a
 * demo that tells the story also proves it. While a load or a long wait runs, a progress
 * line (see {@link Progress}) sits under the narration: what the narrator says is written
 * above it, never into it.
 */
import { Progress, stdoutIsTty, type ProgressOptions } from './progress.js';

export interface NarratorOptions {
  readonly title: string;
  readonly write?: (text: string) => void;
  /** Whether progress lines redraw in place (default: stdout is a terminal). */
  readonly tty?: boolean;
}

/** What {@link Narrator.progress} takes: where it writes is the narrator's business. */
export type NarratedProgressOptions = Omit<
  ProgressOptions,
  'write' | 'tty' | 'indent' | 'onShow' | 'onFinish'
>;

export class Narrator {
  readonly #out: (text: string) => void;
  readonly #tty: boolean;
  /** Progress lines not finished yet, innermost last; only one shows at a time. */
  readonly #progress: Progress[] = [];
  readonly #started = performance.now();
  #step = 0;
  passed = 0;
  readonly failures: string[] = [];

  constructor(options: NarratorOptions) {
    this.#out = options.write ?? ((text) => process.stdout.write(text));
    this.#tty = options.tty ?? stdoutIsTty();
    this.#write(`\n${options.title}\n${'═'.repeat(options.title.length)}\n`);
  }

  /** Starts a numbered step. */
  step(title: string): void {
    this.#step += 1;
    this.#write(`\n${this.#step}. ${title}\n`);
  }

  /** A line of explanation or an observation. */
  say(text: string): void {
    this.#write(`   ${text}\n`);
  }

  /** Records whether an expectation held, and says so. */
  check(ok: boolean, what: string): boolean {
    if (ok) this.passed += 1;
    else this.failures.push(what);
    this.#write(`   ${ok ? '✓' : '✗'} ${what}\n`);
    return ok;
  }

  /**
   * Starts a progress line under the narration, indented like it; `finish` it when the run
   * ends. One started while another shows pauses that one from when it first shows (a short
   * wait with `showAfterMs` never does) until it finishes.
   */
  progress(options: NarratedProgressOptions): Progress {
    const progress: Progress = new Progress({
      ...options,
      // A paused line's summary goes above the one showing, like any narration.
      write: (text) => {
        const showing = this.#showing();
        if (showing === undefined || showing === progress) this.#out(text);
        else showing.above(text);
      },
      tty: this.#tty,
      indent: '   ',
      onShow: () => {
        for (const other of this.#progress) if (other !== progress) other.pause();
      },
      onFinish: () => {
        const index = this.#progress.indexOf(progress);
        if (index >= 0) this.#progress.splice(index, 1);
        if (this.#showing() === undefined) this.#progress.findLast((other) => other.paused)?.resume();
      },
    });
    this.#progress.push(progress);
    return progress.start();
  }

  #showing(): Progress | undefined {
    return this.#progress.findLast((progress) => progress.showing);
  }

  #write(text: string): void {
    const showing = this.#showing();
    if (showing) showing.above(text);
    else this.#out(text);
  }

  /** Seconds since the narration began, for timings in the summary. */
  get elapsedSeconds(): number {
    return (performance.now() - this.#started) / 1000;
  }

  /** Prints the summary; returns the exit status the run should end with. */
  finish(lines: readonly string[] = []): number {
    for (const progress of [...this.#progress].reverse()) progress.finish('stopped');
    this.#write(`\nSummary\n───────\n`);
    for (const line of lines) this.#write(`   ${line}\n`);
    this.#write(
      `   ${this.passed} checks passed, ${this.failures.length} failed, in ${this.elapsedSeconds.toFixed(1)} s\n`,
    );
    for (const failure of this.failures) this.#write(`   ✗ ${failure}\n`);
    return this.failures.length === 0 ? 0 : 1;
  }
}

/**
 * Narration for demos and experiments: numbered steps, what happened, and a check of what
 * was expected. A check that fails is recorded and shown, and the run ends non-zero, so a
 * demo that tells the story also proves it.
 */
export interface NarratorOptions {
  readonly title: string;
  readonly write?: (text: string) => void;
}

export class Narrator {
  readonly #write: (text: string) => void;
  readonly #started = performance.now();
  #step = 0;
  passed = 0;
  readonly failures: string[] = [];

  constructor(options: NarratorOptions) {
    this.#write = options.write ?? ((text) => process.stdout.write(text));
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

  /** Seconds since the narration began, for timings in the summary. */
  get elapsedSeconds(): number {
    return (performance.now() - this.#started) / 1000;
  }

  /** Prints the summary; returns the exit status the run should end with. */
  finish(lines: readonly string[] = []): number {
    this.#write(`\nSummary\n───────\n`);
    for (const line of lines) this.#write(`   ${line}\n`);
    this.#write(
      `   ${this.passed} checks passed, ${this.failures.length} failed, in ${this.elapsedSeconds.toFixed(1)} s\n`,
    );
    for (const failure of this.failures) this.#write(`   ✗ ${failure}\n`);
    return this.failures.length === 0 ? 0 : 1;
  }
}

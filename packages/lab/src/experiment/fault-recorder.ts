/**
 * Writes the start and end of each fault into the history as `nemesis` events, so the report
 * can shade its window, and remembers which windows are open (`fault|target`) for the
 * progress line. A window is ended at most once; ending one that is not open does nothing.
 * It records what the nemesis did; it never does anything to the cluster itself.
 */
import type { HistoryWriter } from '../history/history-file.js';

export class FaultRecorder {
  readonly #history: HistoryWriter;
  readonly #open = new Set<string>();

  constructor(history: HistoryWriter) {
    this.#history = history;
  }

  /** Short descriptions of the windows open now (`kill n2`), for the progress line. */
  get active(): string[] {
    return [...this.#open].map((entry) => entry.replace('|', ' '));
  }

  /** The open windows as `[fault, target]`. */
  get openWindows(): Array<[fault: string, target: string]> {
    return [...this.#open].map((entry) => entry.split('|') as [string, string]);
  }

  isOpen(fault: string, target: string): boolean {
    return this.#open.has(`${fault}|${target}`);
  }

  start(fault: string, target: string, detail: string): void {
    this.#open.add(`${fault}|${target}`);
    this.#history.record({ type: 'nemesis', phase: 'start', fault, target, detail });
  }

  end(fault: string, target: string, detail?: string): void {
    if (!this.#open.delete(`${fault}|${target}`)) return;
    this.#history.record({
      type: 'nemesis',
      phase: 'end',
      fault,
      target,
      ...(detail ? { detail } : {}),
    });
  }
}

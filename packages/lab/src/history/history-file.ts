/**
 * Writes a run's history as JSON lines while the run goes on, and reads a history file
 * back. The writer keeps every event in memory too, so the checkers can run without
 * reading the file again; the file is what a researcher keeps and re-checks. Reading
 * checks every line against the schema and names the first bad line; it never guesses.
 */
import { createWriteStream, type WriteStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { historyEventSchema, type HistoryEvent } from '@isx/core';

/** An event before it is stamped with its time. */
export type UnstampedEvent = HistoryEvent extends infer E
  ? E extends unknown
    ? Omit<E, 'timeNs'>
    : never
  : never;

/** Appends events to `history.jsonl` and remembers them. */
export class HistoryWriter {
  readonly #stream: WriteStream | undefined;
  readonly #events: HistoryEvent[] = [];
  readonly #startNs: bigint;

  /** `file` undefined keeps the history in memory only. */
  constructor(file: string | undefined, startNs: bigint = process.hrtime.bigint()) {
    this.#stream = file === undefined ? undefined : createWriteStream(file, { flags: 'w' });
    this.#startNs = startNs;
  }

  /** Monotonic nanoseconds since the run began. */
  nowNs(): number {
    return Number(process.hrtime.bigint() - this.#startNs);
  }

  /** Records an event stamped with the current time. */
  record(event: UnstampedEvent): HistoryEvent {
    const stamped = { ...event, timeNs: this.nowNs() };
    this.#events.push(stamped);
    this.#stream?.write(`${JSON.stringify(stamped)}\n`);
    return stamped;
  }

  get events(): readonly HistoryEvent[] {
    return this.#events;
  }

  /** Flushes and closes the file. */
  async close(): Promise<void> {
    const stream = this.#stream;
    if (!stream) return;
    await new Promise<void>((resolve, reject) =>
      stream.end((error?: Error | null) => (error ? reject(error) : resolve())),
    );
  }
}

/** Reads a `history.jsonl` file, checking every line. */
export async function readHistory(file: string): Promise<HistoryEvent[]> {
  const lines = (await readFile(file, 'utf8')).split('\n');
  const events: HistoryEvent[] = [];
  lines.forEach((line, index) => {
    if (line.trim() === '') return;
    let json: unknown;
    try {
      json = JSON.parse(line);
    } catch {
      throw new Error(`${file}:${index + 1}: not JSON`);
    }
    const parsed = historyEventSchema.safeParse(json);
    if (!parsed.success)
      throw new Error(`${file}:${index + 1}: ${parsed.error.issues[0]?.message ?? 'bad event'}`);
    events.push(parsed.data);
  });
  return events;
}

/**
 * Seeded histories of an entity register, for testing the linearizability checker. A
 * discrete-event simulation over virtual time runs concurrent clients against an in-memory
 * register: each operation takes effect atomically at a random instant inside its interval,
 * so a correct register always yields a linearizable history. Some operations lose their
 * answer (`info`, applied or not at random, possibly after the client gave up) and some are
 * refused outright (`fail` with a transient error, never applied). A broken register serves
 * stale reads or loses acknowledged writes, and records each time it did so in a way that no
 * linearization can explain. This module is test support only; it must never depend on the
 * checker it is used to test.
 */
import type { HistoryEvent, OperationEvent, OperationName } from '@isx/core';
import { pairOperations, type Operation } from '../../src/history/operations.js';
import { seededRandom } from '../../src/internal/seeded-random.js';

/** How the broken register misbehaves. */
export type RegisterBug = 'stale-read' | 'lost-write';

export interface RegisterHistoryOptions {
  readonly seed: number;
  /** Concurrent clients; each runs one operation at a time. */
  readonly clients: number;
  /** Operations issued by the clients, final reads not counted. */
  readonly operations: number;
  readonly keys: number;
  /** Share of operations whose answer is lost (`info`). Default 0.05. */
  readonly infoRate?: number;
  /** Share of operations refused with a transient error, never applied. Default 0.03. */
  readonly refusedRate?: number;
  /** Makes the register broken in this way. */
  readonly bug?: RegisterBug;
  /** Read every key once more after everything else ended. Default true. */
  readonly finalReads?: boolean;
}

export interface RegisterHistory {
  readonly events: HistoryEvent[];
  readonly operations: Operation[];
  /** One line per injected bug that no linearization can explain; empty for a correct register. */
  readonly manifestations: string[];
}

interface Cell {
  value: string | null;
  version: number;
  /** The operation that produced this state, and the state before it. */
  setBy?: Pending | undefined;
  previous?: { value: string | null; version: number } | undefined;
}

interface Pending {
  process: number;
  f: OperationName;
  key: string;
  value?: string | undefined;
  expectedVersion?: number | undefined;
  invokeNs: number;
  completeNs: number;
  /** `normal` ops learn ok or fail (precondition) when applied. */
  kind: 'normal' | 'info' | 'refused';
  outcome: 'ok' | 'fail' | 'info';
  result: { value?: string | null; version?: number; error?: string };
  /** Set by the lost-write bug: the version and value the register claimed but never stored. */
  lost?: { version: number; value: string } | undefined;
}

interface SimEvent {
  time: number;
  seq: number;
  kind: 'invoke' | 'apply' | 'complete';
  client: number;
  op?: Pending;
}

const REFUSALS = ['NODE_UNAVAILABLE', 'ECONNREFUSED', 'SHARD_MOVING'];

export { seededRandom } from '../../src/internal/seeded-random.js';

/**
 * Runs a seeded simulation of an entity register and returns its history. The same options
 * always yield the same history.
 */
export function generateRegisterHistory(options: RegisterHistoryOptions): RegisterHistory {
  const sim = new Simulation(options);
  return sim.run();
}

/** One run: a queue of timed events in virtual nanoseconds, and the register's cells by key. */
class Simulation {
  readonly #options: RegisterHistoryOptions;
  readonly #random: () => number;
  readonly #cells = new Map<string, Cell>();
  readonly #queue: SimEvent[] = [];
  readonly #events: HistoryEvent[] = [];
  readonly #manifestations: string[] = [];
  /** The process each client currently runs as; a client takes a new one after an `info`. */
  readonly #processes: number[];
  /** Clients that must read a key next, to expose the write they were told was stored. */
  readonly #forcedRead = new Map<number, string>();
  /** Writes acknowledged but never stored, by key. */
  readonly #claims = new Map<string, Pending[]>();
  #seq = 0;
  #issued = 0;
  #nextProcess: number;
  #nextValue = 0;

  constructor(options: RegisterHistoryOptions) {
    this.#options = options;
    this.#random = seededRandom(options.seed);
    this.#processes = Array.from({ length: options.clients }, (_, i) => i);
    this.#nextProcess = options.clients;
    for (let k = 0; k < options.keys; k += 1) this.#cells.set(`k${k}`, { value: null, version: 0 });
  }

  run(): RegisterHistory {
    for (let client = 0; client < this.#options.clients; client += 1) {
      this.#schedule(this.#int(0, 10), 'invoke', client);
    }
    let now = 0;
    for (let event = this.#pop(); event; event = this.#pop()) {
      now = event.time;
      if (event.kind === 'invoke') this.#invoke(event.client, now);
      else if (event.kind === 'apply') this.#apply(event.op!);
      else this.#complete(event.client, event.op!, now);
    }
    if (this.#options.finalReads ?? true) this.#finalReads(now + 10);
    const { operations } = pairOperations(this.#events);
    return { events: this.#events, operations, manifestations: this.#manifestations };
  }

  /** An integer in [min, max]. */
  #int(min: number, max: number): number {
    return min + Math.floor(this.#random() * (max - min + 1));
  }

  #schedule(time: number, kind: SimEvent['kind'], client: number, op?: Pending): void {
    this.#queue.push({ time, seq: this.#seq++, kind, client, op });
  }

  /** The earliest event; among simultaneous ones, the first scheduled, so runs are reproducible. */
  #pop(): SimEvent | undefined {
    let best = -1;
    this.#queue.forEach((e, i) => {
      const b = this.#queue[best];
      if (!b || e.time < b.time || (e.time === b.time && e.seq < b.seq)) best = i;
    });
    return best < 0 ? undefined : this.#queue.splice(best, 1)[0];
  }

  #invoke(client: number, now: number): void {
    this.#issued += 1;
    const op = this.#choose(client, now);
    const duration = this.#int(1, 40);
    op.completeNs = now + duration;
    const roll = this.#random();
    // A read forced by a lost write must be answered, or the loss might go unseen.
    const forced = this.#forcedRead.has(client);
    this.#forcedRead.delete(client);
    if (!forced && roll < (this.#options.infoRate ?? 0.05)) {
      op.kind = 'info';
      op.outcome = 'info';
      op.result = { error: 'NODE_TIMEOUT' };
      // A lost answer says nothing of the write itself: it may land, even long after the timeout.
      if (this.#random() < 0.5) this.#schedule(now + this.#int(0, 3 * duration - 1), 'apply', client, op);
    } else if (!forced && roll < (this.#options.infoRate ?? 0.05) + (this.#options.refusedRate ?? 0.03)) {
      op.kind = 'refused';
      op.outcome = 'fail';
      op.result = { error: REFUSALS[this.#int(0, REFUSALS.length - 1)] };
    } else {
      this.#schedule(now + this.#int(0, duration - 1), 'apply', client, op);
    }
    this.#schedule(op.completeNs, 'complete', client, op);
    this.#events.push(invokeEvent(op));
  }

  /** The client's next operation: 35% reads, 25% writes, 20% cas, 10% creates, 10% deletes. */
  #choose(client: number, now: number): Pending {
    const process = this.#processes[client]!;
    const base: Omit<Pending, 'f' | 'key' | 'result'> = {
      process,
      invokeNs: now,
      completeNs: now,
      kind: 'normal',
      outcome: 'ok',
    };
    const forced = this.#forcedRead.get(client);
    if (forced !== undefined) return { ...base, f: 'read', key: forced, result: {} };
    const key = `k${this.#int(0, this.#options.keys - 1)}`;
    const roll = this.#random();
    const f: OperationName =
      roll < 0.35 ? 'read' : roll < 0.6 ? 'write' : roll < 0.8 ? 'cas' : roll < 0.9 ? 'create' : 'delete';
    const op: Pending = { ...base, f, key, result: {} };
    if (f === 'write' || f === 'cas' || f === 'create') op.value = `v${this.#nextValue++}`;
    if (f === 'cas') {
      // Mostly the current version; sometimes one off, so that some cas fail on their precondition.
      const skew = this.#random() < 0.25 ? (this.#random() < 0.5 ? -1 : 1) : 0;
      op.expectedVersion = Math.max(0, this.#cell(key).version + skew);
    }
    return op;
  }

  #cell(key: string): Cell {
    return this.#cells.get(key)!;
  }

  /** The instant the operation takes effect, if it does; a `normal` one learns its answer here. */
  #apply(op: Pending): void {
    const cell = this.#cell(op.key);
    if (op.f === 'read') {
      if (op.kind === 'normal') this.#answerRead(op, cell);
      return;
    }
    const exists = cell.value !== null;
    const allowed =
      op.f === 'write' ||
      (op.f === 'cas' && exists && cell.version === op.expectedVersion) ||
      (op.f === 'create' && !exists) ||
      (op.f === 'delete' && exists);
    if (!allowed) {
      const error = op.f === 'create' || (op.f === 'cas' && exists) ? 'PRECONDITION_FAILED' : 'NOT_FOUND';
      // A cas on a missing key may be refused either way; the checker must accept both.
      const casError = op.f === 'cas' && !exists && this.#random() < 0.5 ? 'PRECONDITION_FAILED' : error;
      if (op.kind === 'normal') {
        op.outcome = 'fail';
        op.result = { error: casError };
      }
      return;
    }
    const version = cell.version + 1;
    if (op.kind === 'normal') op.result = { version };
    if (
      this.#options.bug === 'lost-write' &&
      op.f === 'write' &&
      op.kind === 'normal' &&
      this.#random() < 0.15
    ) {
      // Acknowledged, never stored: the cell keeps its state and the next write reuses the version.
      op.lost = { version, value: op.value! };
      this.#claims.set(op.key, [...(this.#claims.get(op.key) ?? []), op]);
      return;
    }
    this.#noteClaimClash(op, version);
    cell.previous = { value: cell.value, version: cell.version };
    cell.setBy = op;
    cell.value = op.f === 'delete' ? null : op.value!;
    cell.version = version;
  }

  /**
   * Answers a read from the cell, or with the bug from the state before the last write, and
   * records each answer that contradicts a completed write.
   */
  #answerRead(read: Pending, cell: Cell): void {
    const setBy = cell.setBy;
    // Stale only when the overwriting op completed before the read began (otherwise a
    // linearization could still explain the answer) and there is an older value to serve.
    const stale =
      this.#options.bug === 'stale-read' &&
      setBy?.outcome === 'ok' &&
      setBy.completeNs < read.invokeNs &&
      cell.previous !== undefined &&
      cell.previous.value !== null &&
      this.#random() < 0.3;
    const seen = stale ? cell.previous! : cell;
    read.result = seen.value === null ? { value: null } : { value: seen.value, version: seen.version };
    if (stale) {
      this.#manifestations.push(
        `p${read.process} read ${read.key} at ${read.invokeNs} saw version ${seen.version}, ` +
          `overwritten by p${setBy.process} (completed at ${setBy.completeNs})`,
      );
    }
    for (const lost of this.#claims.get(read.key) ?? []) {
      const { version, value } = lost.lost!;
      const after = lost.completeNs < read.invokeNs;
      if (
        seen.value !== null &&
        ((after && seen.version < version) || (seen.version === version && seen.value !== value))
      ) {
        this.#manifestations.push(
          `p${read.process} read ${read.key} v${seen.version} after lost write v${version}`,
        );
      }
    }
  }

  /** A later write that reports a version a lost write already claimed shows the loss too. */
  #noteClaimClash(op: Pending, version: number): void {
    if (op.kind !== 'normal') return;
    for (const lost of this.#claims.get(op.key) ?? []) {
      if (lost.lost!.version === version) {
        this.#manifestations.push(
          `p${op.process} ${op.f} ${op.key} reported v${version}, claimed by a lost write`,
        );
      }
    }
  }

  #complete(client: number, op: Pending, now: number): void {
    this.#events.push(completionEvent(op, now));
    // After an `info` the process may still have an operation in flight, so it never issues again.
    if (op.outcome === 'info') this.#processes[client] = this.#nextProcess++;
    if (op.lost) this.#forcedRead.set(client, op.key);
    if (this.#issued < this.#options.operations) this.#schedule(now + this.#int(1, 20), 'invoke', client);
  }

  /** One read of every key by a fresh process, after everything else ended. */
  #finalReads(start: number): void {
    let time = start;
    for (const [key, cell] of this.#cells) {
      const process = this.#nextProcess++;
      this.#events.push({ type: 'invoke', process, f: 'read', key, final: true, timeNs: time });
      const answer = cell.value === null ? { value: null } : { value: cell.value, version: cell.version };
      this.#events.push({ type: 'ok', process, f: 'read', key, ...answer, final: true, timeNs: time + 5 });
      time += 10;
    }
  }
}

function invokeEvent(op: Pending): OperationEvent {
  const event: OperationEvent = {
    type: 'invoke',
    process: op.process,
    f: op.f,
    key: op.key,
    timeNs: op.invokeNs,
  };
  if (op.value !== undefined) event.value = op.value;
  if (op.expectedVersion !== undefined) event.expectedVersion = op.expectedVersion;
  return event;
}

function completionEvent(op: Pending, now: number): OperationEvent {
  return { type: op.outcome, process: op.process, f: op.f, key: op.key, ...op.result, timeNs: now };
}

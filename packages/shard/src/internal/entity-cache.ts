/**
 * The serialized records of recently used entities, kept in memory beside Level: a write-through
 * cache, bounded by bytes, least recently used first out.
 *
 * Why it exists: a Level read is handed to libuv's thread pool, and on a busy machine waking
 * that thread costs the event loop far more than the read itself (measured in
 * `docs/benchmarks.md`: about 230 µs of the event loop per read at RF 3 on 2 cores). Every
 * write reads its entity first, and the delivery loop reads each sender every round, so hot
 * entities are read again and again; here they cost a map lookup and a `JSON.parse`.
 *
 * It must never serve a record older than Level's. Every committed batch passes through
 * `written`, so the cache changes with Level. The one race is a read from Level that started
 * before a write to the same key was committed and finishes after: it may hold the older record,
 * so a read that saw a write to its key land while it was in flight is not remembered.
 * Records are kept as JSON text and parsed on every hit, so no caller can change a cached one.
 */

interface ReadsInFlight {
  count: number;
  /** A write to the key was committed while these reads were in flight. */
  overtaken: boolean;
}

export class EntityCache {
  readonly #maxBytes: number;
  readonly #records = new Map<string, string>();
  readonly #reading = new Map<string, ReadsInFlight>();
  #bytes = 0;
  #hits = 0;
  #misses = 0;

  /** `maxBytes` bounds the JSON text held (0 turns the cache off). */
  constructor(maxBytes: number) {
    this.#maxBytes = maxBytes;
  }

  /** The record's JSON, or `undefined` when it must be read from Level. */
  get(key: string): string | undefined {
    const json = this.#records.get(key);
    if (json === undefined) {
      this.#misses += 1;
      return undefined;
    }
    this.#hits += 1;
    // Most recently used last: a Map iterates in insertion order.
    this.#records.delete(key);
    this.#records.set(key, json);
    return json;
  }

  /** A read from Level is starting; `readFinished` must follow, whatever happens. */
  readStarted(key: string): void {
    const reads = this.#reading.get(key);
    if (reads) reads.count += 1;
    else this.#reading.set(key, { count: 1, overtaken: false });
  }

  /** A read from Level finished with `json` (undefined: no record, or the read failed). */
  readFinished(key: string, json: string | undefined): void {
    const reads = this.#reading.get(key);
    if (!reads) return;
    reads.count -= 1;
    if (reads.count === 0) this.#reading.delete(key);
    if (json !== undefined && !reads.overtaken && !this.#records.has(key)) this.#remember(key, json);
  }

  /** A batch that puts `json` (or deletes: undefined) at `key` is committed to Level. */
  written(key: string, json: string | undefined): void {
    const reads = this.#reading.get(key);
    if (reads) reads.overtaken = true;
    this.#forget(key);
    if (json !== undefined) this.#remember(key, json);
  }

  /** Hits, misses, records and bytes held, for metrics and tests. */
  get stats(): { hits: number; misses: number; records: number; bytes: number } {
    return { hits: this.#hits, misses: this.#misses, records: this.#records.size, bytes: this.#bytes };
  }

  #remember(key: string, json: string): void {
    const size = key.length + json.length;
    if (size > this.#maxBytes) return;
    this.#records.set(key, json);
    this.#bytes += size;
    for (const [oldest, record] of this.#records) {
      if (this.#bytes <= this.#maxBytes) break;
      this.#records.delete(oldest);
      this.#bytes -= oldest.length + record.length;
    }
  }

  #forget(key: string): void {
    const json = this.#records.get(key);
    if (json === undefined) return;
    this.#records.delete(key);
    this.#bytes -= key.length + json.length;
  }
}

/**
 * The primary's streams of log entries to its backups (DESIGN §4): one per backup node, shared
 * by every shard this node leads. An entry that finds a batch to its backup in flight waits and
 * goes with the next one, so a backup takes one request per round trip rather than one per
 * entry, however many shards are being written. An entry to an idle backup goes once the
 * current turn of the event loop is done, with the entries that joined it meanwhile. Entries of
 * one shard never share a batch, since a shard has one entry in flight at a time.
 *
 * Each entry settles with the backup's own answer to it. A batch that fails as a whole (no
 * answer in time, a refused token, a broken connection) fails every entry in it, and each
 * shard's committer then treats that backup as one that did not take its entry.
 */
import {
  CLUSTER_TOKEN_HEADER,
  errorBodySchema,
  IsxError,
  replicateBatchAnswerSchema,
  type ReplicateRequest,
} from '@isx/core';
import { postJsonText } from '../internal/peer-http.js';
import type { PeerRoutes } from '../peer-routes.js';

/** Entries per request at most; more wait for the next round. */
const MAX_BATCH = 256;

export interface ReplicationStreamsOptions {
  token: string;
  peers?: PeerRoutes | undefined;
  /** The URL a backup is reached at, from the current map. */
  urlOf(node: string): string | undefined;
  /** How long a backup has to answer a batch. */
  timeoutMs: number;
  /** Told of every batch as it is sent, with the entries it carries (for metrics). */
  onBatchSent?: ((entries: number) => void) | undefined;
}

interface Pending {
  readonly entry: ReplicateRequest;
  /** The entry as JSON, made once and shared by every backup it goes to. */
  readonly json: string;
  resolve(): void;
  reject(error: Error): void;
}

interface Stream {
  readonly queue: Pending[];
  busy: boolean;
}

export class ReplicationStreams {
  readonly #options: ReplicationStreamsOptions;
  readonly #streams = new Map<string, Stream>();
  /** The JSON of the entries in flight: each is sent to every backup, and serialized once. */
  readonly #json = new WeakMap<ReplicateRequest, string>();
  #requests = 0;
  #entries = 0;

  constructor(options: ReplicationStreamsOptions) {
    this.#options = options;
  }

  /** Resolves once `node` holds `entry`; rejects with the code it answered, or why it could not be asked. */
  send(node: string, entry: ReplicateRequest): Promise<void> {
    let stream = this.#streams.get(node);
    if (!stream) {
      stream = { queue: [], busy: false };
      this.#streams.set(node, stream);
    }
    let json = this.#json.get(entry);
    if (json === undefined) {
      json = JSON.stringify(entry);
      this.#json.set(entry, json);
    }
    const settled = new Promise<void>((resolve, reject) =>
      stream.queue.push({ entry, json, resolve, reject }),
    );
    if (!stream.busy) {
      // Sent once this round of the event loop is done, so that the entries other shards
      // produce in the same round (backups' answers, a burst of writes) share the request.
      stream.busy = true;
      setImmediate(() => void this.#drain(node, stream));
    }
    return settled;
  }

  /** Requests sent and entries they carried since start: entries / requests is the batching factor. */
  get stats(): { requests: number; entries: number } {
    return { requests: this.#requests, entries: this.#entries };
  }

  async #drain(node: string, stream: Stream): Promise<void> {
    try {
      while (stream.queue.length > 0) await this.#post(node, stream.queue.splice(0, MAX_BATCH));
    } finally {
      stream.busy = false;
    }
  }

  /** Sends one batch and settles each of its entries; never throws. */
  async #post(node: string, batch: readonly Pending[]): Promise<void> {
    this.#requests += 1;
    this.#entries += batch.length;
    try {
      this.#options.onBatchSent?.(batch.length);
    } catch {
      // An observer (metrics) must never stop a stream: its entries would never settle.
    }
    const failAll = (error: Error): void => {
      for (const pending of batch) pending.reject(error);
    };
    const base = this.#options.urlOf(node);
    if (!base) return failAll(new IsxError('UNKNOWN_NODE', `no URL for node ${node}`));
    const url = `${base}/internal/replicate-batch`;
    let answer: { status: number; body: unknown };
    try {
      answer = await postJsonText(
        this.#options.peers?.resolve(url) ?? url,
        `{"entries":[${batch.map((p) => p.json).join(',')}]}`,
        { [CLUSTER_TOKEN_HEADER]: this.#options.token },
        this.#options.timeoutMs,
      );
    } catch (error) {
      return failAll(error instanceof Error ? error : new Error(String(error)));
    }
    const results = replicateBatchAnswerSchema.safeParse(answer.body);
    if (answer.status !== 200 || !results.success || results.data.results.length !== batch.length) {
      const envelope = errorBodySchema.safeParse(answer.body);
      return failAll(
        new IsxError(
          envelope.success ? (envelope.data.error.code as never) : 'NODE_ERROR',
          `backup ${node} answered ${answer.status}`,
        ),
      );
    }
    results.data.results.forEach((result, i) => {
      const pending = batch[i]!;
      if ('seq' in result) pending.resolve();
      else
        pending.reject(
          new IsxError(result.error.code as never, `backup ${node} answered ${result.error.code}`),
        );
    });
  }
}

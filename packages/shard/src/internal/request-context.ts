/**
 * The request a piece of work on a node is done for, without passing it down every call: the
 * node's HTTP server runs each request's handler inside {@link runWithRequestId}, and the
 * replication committer reads {@link currentRequestId} when a write joins a batch, so the
 * backups learn which requests an entry carries. It is for logs only: nothing may decide
 * anything on it, and work outside a request simply has none.
 */
import { AsyncLocalStorage } from 'node:async_hooks';

const storage = new AsyncLocalStorage<string>();

/** Runs `work` as part of the request with id `requestId`. */
export function runWithRequestId<T>(requestId: string, work: () => T): T {
  return storage.run(requestId, work);
}

/** The id of the request being served, if the caller runs inside one. */
export function currentRequestId(): string | undefined {
  return storage.getStore();
}

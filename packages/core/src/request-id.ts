/**
 * Request ids: the tag that follows one request from the router to the node that owns its key
 * and on to that shard's backups, so that the log lines about it can be found in every
 * process's log (`grep`, or `jq 'select(.requestId == "…")'`).
 *
 * A caller may bring its own id in `x-request-id`; one that is not a short run of safe
 * characters is replaced, never refused, since an id is for logs and must not fail a request.
 * This module must never put anything the caller sent into a log line or a header unchecked.
 */
import { z } from 'zod';

/** The header that carries a request's id, both ways: to the node and back to the client. */
export const REQUEST_ID_HEADER = 'x-request-id';

/** What an id may be: 1–128 characters of letters, digits and `.`, `_`, `:`, `-`. */
export const requestIdSchema = z
  .string()
  .min(1)
  .max(128)
  .regex(/^[A-Za-z0-9._:-]+$/, 'a request id is 1–128 characters of A–Z, a–z, 0–9, ".", "_", ":", "-"');
export type RequestId = z.infer<typeof requestIdSchema>;

/** A fresh id (a random UUID). */
export function newRequestId(): RequestId {
  return globalThis.crypto.randomUUID();
}

/**
 * The id of a request, from the value of its `x-request-id` header: that value when it is a
 * sane id, otherwise a fresh one from `generate`.
 *
 * @example
 * const id = requestIdFrom(request.headers[REQUEST_ID_HEADER]);
 * response.setHeader(REQUEST_ID_HEADER, id);
 */
export function requestIdFrom(
  header: string | readonly string[] | undefined,
  generate: () => RequestId = newRequestId,
): RequestId {
  // A header sent twice arrives as an array: that is not one id.
  if (typeof header === 'string' && requestIdSchema.safeParse(header).success) return header;
  return generate();
}

/**
 * The typed handle on one entity type: read, replace, patch, delete and create entities by
 * key, with versions as the unit of optimistic concurrency.
 *
 * Arguments are checked before anything is sent (a bad key never costs a round trip), every
 * answer is parsed by its `@isx/core` schema, and every failure is an `IsxError` with a
 * stable `code`. The handle never retries by itself; the dispatcher beneath it decides that.
 */
import {
  entityRecordSchema,
  IsxError,
  parseKey,
  versionEtag,
  writeResultSchema,
  type WriteResult,
} from '@isx/core';
import type { DispatchRequest, SendRequest } from './internal/dispatcher.js';
import type { PeerMethod } from './internal/http-transport.js';
import { readAnswer } from './internal/read-answer.js';

/** Conditions on a write. Both may be given; the node checks them together. */
export interface WriteOptions {
  /** Apply only if the entity is at this version (`If-Match: "N"`); otherwise `PRECONDITION_FAILED`. */
  ifMatch?: number;
  /** Apply only if the entity does not exist (`If-None-Match: *`); otherwise `PRECONDITION_FAILED`. */
  ifNoneMatch?: '*';
}

/** An entity as read: its key, its version and its data. */
export interface EntityRecordOf<TData> {
  key: string;
  version: number;
  data: TData;
}

/** A JSON merge patch (RFC 7396) of `TData`: a property set to `null` is removed. */
export type MergePatch<TData> = { [K in keyof TData]?: TData[K] | null };

/** The operations on one entity type, returned by `IsxClient.entity(type)`. */
export interface EntityClient<TData extends object = Record<string, unknown>> {
  /** The entity type, as it appears in URLs. */
  readonly type: string;
  /** Reads an entity. @throws `NOT_FOUND` when there is none. */
  get(key: string): Promise<EntityRecordOf<TData>>;
  /** Creates or replaces an entity. */
  put(key: string, body: TData, options?: WriteOptions): Promise<WriteResult>;
  /** Merges `patch` into an existing entity. @throws `NOT_FOUND` when there is none. */
  patch(key: string, patch: MergePatch<TData>, options?: WriteOptions): Promise<WriteResult>;
  /** Deletes an entity; the result is the version of the deletion. @throws `NOT_FOUND`. */
  delete(key: string, options?: WriteOptions): Promise<WriteResult>;
  /** Creates an entity under a new key chosen by the router (`POST /:type`). */
  create(body: TData): Promise<WriteResult>;
}

/** Builds the handle for `type`; the caller has checked the type name. */
export function createEntityClient<TData extends object>(
  type: string,
  send: SendRequest,
): EntityClient<TData> {
  const keyed = async (method: PeerMethod, rawKey: string, extra: Partial<DispatchRequest> = {}) => {
    const key = parseKey(rawKey);
    return send({ ...extra, method, type, key, path: `/${type}/${key}` });
  };
  const write = async (
    method: PeerMethod,
    rawKey: string,
    options: WriteOptions | undefined,
    body?: unknown,
    contentType?: string,
  ) => {
    const extra: Partial<DispatchRequest> = { headers: conditionHeaders(options) };
    if (body !== undefined) Object.assign(extra, { body: jsonObject(body), contentType });
    const answer = await keyed(method, rawKey, extra);
    return readAnswer(answer, writeResultSchema, 'a write result {key, version}');
  };
  return {
    type,
    async get(key) {
      const answer = await keyed('GET', key);
      const record = readAnswer(answer, entityRecordSchema, 'an entity record {key, version, data}');
      return record as EntityRecordOf<TData>;
    },
    put: (key, body, options) => write('PUT', key, options, body),
    patch: (key, patch, options) => write('PATCH', key, options, patch, 'application/merge-patch+json'),
    delete: (key, options) => write('DELETE', key, options),
    async create(body) {
      const answer = await send({ method: 'POST', type, path: `/${type}`, body: jsonObject(body) });
      return readAnswer(answer, writeResultSchema, 'a creation result {key, version}');
    },
  };
}

function conditionHeaders(options: WriteOptions | undefined): Record<string, string> {
  const headers: Record<string, string> = {};
  if (options?.ifMatch !== undefined) {
    if (!Number.isSafeInteger(options.ifMatch) || options.ifMatch < 1) {
      throw new IsxError(
        'INVALID_PRECONDITION',
        `ifMatch must be a version (an integer ≥ 1), got ${String(options.ifMatch)}.`,
      );
    }
    headers['if-match'] = versionEtag(options.ifMatch);
  }
  if (options?.ifNoneMatch !== undefined) {
    if (options.ifNoneMatch !== '*') {
      throw new IsxError(
        'INVALID_PRECONDITION',
        `ifNoneMatch may only be '*', got ${JSON.stringify(options.ifNoneMatch)}.`,
      );
    }
    headers['if-none-match'] = '*';
  }
  return headers;
}

function jsonObject(body: unknown): unknown {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new IsxError('INVALID_BODY', 'An entity body must be a JSON object.');
  }
  return body;
}

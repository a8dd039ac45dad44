/**
 * Performs one workload operation against the router over real HTTP and classifies its
 * outcome the way the checkers need it:
 * - `ok`: the store answered and the operation took effect (or, for a read, was observed);
 * - `fail`: it provably did not take effect: a 4xx decided before applying, a refused
 *   connection, or a router answer that says the request never reached a node;
 * - `info`: anything else (a timeout, a lost connection, a 502/504): it may have applied.
 * This module must never call an uncertain outcome `fail`: that would let a lost write hide.
 */
import type { OperationName } from '@isx/core';
import type { RegisterCodec } from './register-values.js';

/** What the caller asks for. */
export interface OperationRequest {
  readonly f: OperationName;
  readonly key: string;
  readonly value?: string;
  readonly expectedVersion?: number;
}

/** How it ended. */
export interface OperationCompletion {
  readonly type: 'ok' | 'fail' | 'info';
  readonly value?: string | null;
  readonly version?: number;
  readonly error?: string;
}

/** Router answers that mean the request was never applied by any node. */
const NOT_APPLIED_5XX = new Set([
  'NODE_UNAVAILABLE',
  'SHARD_MOVING',
  'MAP_NOT_READY',
  'NO_NODES',
  'NOT_ENOUGH_REPLICAS',
  'LEASE_EXPIRED',
]);
/** Socket errors raised before a request could have been sent. */
const NOT_SENT = new Set(['ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH', 'EADDRNOTAVAIL']);

export interface OperationClientOptions {
  readonly routerUrl: string;
  readonly type: string;
  readonly codec: RegisterCodec;
  readonly timeoutMs: number;
}

export class OperationClient {
  readonly #options: OperationClientOptions;

  constructor(options: OperationClientOptions) {
    this.#options = options;
  }

  async perform(request: OperationRequest): Promise<OperationCompletion> {
    const { routerUrl, type, timeoutMs } = this.#options;
    const url = `${routerUrl}/${type}/${encodeURIComponent(request.key)}`;
    let response: Response;
    let text: string;
    try {
      response = await fetch(url, { ...this.#init(request), signal: AbortSignal.timeout(timeoutMs) });
      text = await response.text();
    } catch (error) {
      const code = socketCode(error);
      return { type: NOT_SENT.has(code) ? 'fail' : 'info', error: code };
    }
    return this.#classify(request, response.status, text);
  }

  #init(request: OperationRequest): RequestInit {
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    const body =
      request.value === undefined ? undefined : JSON.stringify(this.#options.codec.body(request.value));
    switch (request.f) {
      case 'read':
        return { method: 'GET' };
      case 'delete':
        return { method: 'DELETE' };
      case 'write':
        return { method: 'PUT', headers, body };
      case 'cas':
        return {
          method: 'PUT',
          headers: { ...headers, 'if-match': `"${request.expectedVersion ?? 0}"` },
          body,
        };
      case 'create':
        return { method: 'PUT', headers: { ...headers, 'if-none-match': '*' }, body };
    }
  }

  #classify(request: OperationRequest, status: number, text: string): OperationCompletion {
    const json = parseObject(text);
    if (status >= 200 && status < 300) {
      const version = typeof json?.version === 'number' ? json.version : undefined;
      if (request.f !== 'read') return { type: 'ok', ...(version === undefined ? {} : { version }) };
      const data = json?.data;
      const value =
        data !== null && typeof data === 'object'
          ? this.#options.codec.read(data as Record<string, unknown>)
          : null;
      return { type: 'ok', value, ...(version === undefined ? {} : { version }) };
    }
    const code = errorCode(json) ?? `HTTP_${status}`;
    if (request.f === 'read' && status === 404 && code === 'NOT_FOUND') return { type: 'ok', value: null };
    if (status >= 400 && status < 500) return { type: 'fail', error: code };
    if (status === 503 && NOT_APPLIED_5XX.has(code)) return { type: 'fail', error: code };
    return { type: 'info', error: code };
  }
}

function parseObject(text: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return value !== null && typeof value === 'object' ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

function errorCode(json: Record<string, unknown> | undefined): string | undefined {
  const error = json?.error;
  if (error === null || typeof error !== 'object') return undefined;
  const code = (error as Record<string, unknown>).code;
  return typeof code === 'string' ? code : undefined;
}

/** The socket error code inside a fetch failure (`TypeError: fetch failed` wraps it). */
function socketCode(error: unknown): string {
  if (error instanceof DOMException && (error.name === 'TimeoutError' || error.name === 'AbortError')) {
    return 'TIMEOUT';
  }
  let current: unknown = error;
  for (let depth = 0; depth < 4 && current !== null && typeof current === 'object'; depth += 1) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    current = (current as { cause?: unknown }).cause;
  }
  return 'NETWORK_ERROR';
}

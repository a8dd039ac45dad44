/**
 * One HTTP exchange with one peer (the router or a node), over pooled keep-alive sockets.
 *
 * It answers with the status and the raw text of whatever came back, or throws the typed
 * error of a transport failure (refused, timed out, lost). It never retries, never follows a
 * redirect and never goes through a proxy: deciding what a failure means for the caller is
 * the dispatcher's job, and a hop we did not choose would hide where a request went.
 */
import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import axios, { type AxiosInstance } from 'axios';
import { transportError } from '../http-errors.js';

/** Who a request goes to; named in every error so the caller knows which hop failed. */
export interface PeerTarget {
  readonly role: 'router' | 'node';
  readonly baseUrl: string;
  readonly nodeId?: string;
  readonly shardId?: string;
}

export type PeerMethod = 'GET' | 'PUT' | 'PATCH' | 'DELETE' | 'POST';

/** A request, independent of where it is sent. */
export interface PeerRequest {
  readonly method: PeerMethod;
  /** The path and query, starting with `/`. */
  readonly path: string;
  /** Sent as JSON when present. */
  readonly body?: unknown;
  readonly contentType?: string;
  readonly headers?: Readonly<Record<string, string>>;
}

/** What a peer answered, before anyone has looked at the body. */
export interface PeerAnswer {
  readonly target: PeerTarget;
  readonly request: PeerRequest;
  readonly status: number;
  readonly text: string;
}

export class HttpTransport {
  readonly #http: AxiosInstance;
  readonly #httpAgent = new HttpAgent({ keepAlive: true });
  readonly #httpsAgent = new HttpsAgent({ keepAlive: true });
  readonly #timeoutMs: number;

  constructor(timeoutMs: number) {
    this.#timeoutMs = timeoutMs;
    this.#http = axios.create({
      adapter: 'http',
      timeout: timeoutMs,
      maxRedirects: 0,
      proxy: false,
      validateStatus: () => true,
      // The body is read as text and parsed by us, so a body that is not JSON is reported
      // as such instead of arriving as a string where an object was expected.
      responseType: 'text',
      transformResponse: [(data: unknown) => data],
      transitional: { clarifyTimeoutError: true },
      httpAgent: this.#httpAgent,
      httpsAgent: this.#httpsAgent,
    });
  }

  /** Sends one request; resolves with any status, rejects only when no answer came. */
  async send(target: PeerTarget, request: PeerRequest): Promise<PeerAnswer> {
    const headers: Record<string, string> = { accept: 'application/json', ...request.headers };
    if (request.body !== undefined) headers['content-type'] = request.contentType ?? 'application/json';
    try {
      const response = await this.#http.request<unknown>({
        url: `${target.baseUrl}${request.path}`,
        method: request.method,
        headers,
        data: request.body === undefined ? undefined : JSON.stringify(request.body),
      });
      const text = typeof response.data === 'string' ? response.data : '';
      return { target, request, status: response.status, text };
    } catch (error) {
      throw transportError(error, target, request, this.#timeoutMs);
    }
  }

  /** Closes the pooled sockets. */
  close(): void {
    this.#httpAgent.destroy();
    this.#httpsAgent.destroy();
  }
}

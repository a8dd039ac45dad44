/**
 * The load generator's HTTP client: `node:http` over one pooled keep-alive agent.
 *
 * It exists because the generator shares the machine's cores with the system it measures, so
 * it must cost as little as possible per request: no fetch, no body parsing on success, URLs
 * parsed once by the caller. Any status outside 2xx is an error carrying the status and the
 * start of the body. It must never retry: one call is one request on the wire.
 */
import { Agent, request as httpRequest } from 'node:http';

/** A request prepared once and sent many times. */
export interface HttpTarget {
  readonly method: string;
  readonly url: URL;
  readonly headers?: Readonly<Record<string, string>>;
}

/** A non-2xx answer. */
export class HttpStatusError extends Error {
  readonly status: number;
  constructor(status: number, body: string) {
    super(`HTTP ${status}${body === '' ? '' : `: ${body.slice(0, 160)}`}`);
    this.name = 'HttpStatusError';
    this.status = status;
  }
}

export interface KeepAliveHttpOptions {
  /** Connections per host (default 256); a closed loop of N workers needs at most N. */
  readonly maxSockets?: number;
  /** How long one request may take before it fails (default 10 s). */
  readonly timeoutMs?: number;
}

export class KeepAliveHttp {
  readonly #agent: Agent;
  readonly #timeoutMs: number;

  constructor(options: KeepAliveHttpOptions = {}) {
    this.#agent = new Agent({ keepAlive: true, maxSockets: options.maxSockets ?? 256 });
    this.#timeoutMs = options.timeoutMs ?? 10_000;
  }

  /** Sends one request; resolves to the body of a 2xx answer, rejects otherwise. */
  send(target: HttpTarget, body?: Buffer): Promise<string> {
    return new Promise((resolve, reject) => {
      const headers: Record<string, string | number> = { ...target.headers };
      if (body !== undefined) {
        headers['content-type'] ??= 'application/json';
        headers['content-length'] = body.length;
      }
      const req = httpRequest(
        target.url,
        { method: target.method, agent: this.#agent, headers, timeout: this.#timeoutMs },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('error', reject);
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            const status = res.statusCode ?? 0;
            if (status >= 200 && status < 300) resolve(text);
            else reject(new HttpStatusError(status, text));
          });
        },
      );
      req.on('timeout', () => req.destroy(new Error(`no answer within ${this.#timeoutMs} ms`)));
      req.on('error', reject);
      req.end(body);
    });
  }

  /** Closes every pooled connection. */
  close(): void {
    this.#agent.destroy();
  }
}

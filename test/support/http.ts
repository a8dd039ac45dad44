/**
 * Raw HTTP for the real-process tests: full control of headers and bodies (a wrong
 * Content-Length, a chunked body, no Content-Type), and the response text kept whole so a
 * test can assert that no stack trace leaked.
 */
import { request } from 'node:http';
import { expect } from 'chai';

export interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  json: Record<string, unknown>;
}

export interface RawRequest {
  headers?: Record<string, string>;
  /** A string or Buffer is sent as is; anything else as JSON with Content-Type application/json. */
  body?: unknown;
  /** Send the body with chunked transfer encoding and no Content-Length. */
  chunked?: boolean;
}

export function raw(
  baseUrl: string,
  method: string,
  path: string,
  options: RawRequest = {},
): Promise<RawResponse> {
  const headers: Record<string, string> = { ...options.headers };
  let payload: Buffer | undefined;
  if (typeof options.body === 'string' || Buffer.isBuffer(options.body)) {
    payload = Buffer.from(options.body);
  } else if (options.body !== undefined) {
    payload = Buffer.from(JSON.stringify(options.body));
    headers['content-type'] ??= 'application/json';
  }
  if (payload && !options.chunked) headers['content-length'] = String(payload.length);
  return new Promise((resolve, reject) => {
    const outgoing = request(`${baseUrl}${path}`, { method, headers, agent: false }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let json: Record<string, unknown> = {};
        try {
          json = JSON.parse(text) as Record<string, unknown>;
        } catch {
          // left empty: the assertions on json will say what was wrong
        }
        resolve({ status: response.statusCode ?? 0, headers: response.headers, text, json });
      });
      response.on('error', reject);
    });
    outgoing.on('error', reject);
    if (payload && options.chunked) {
      // Several writes so the node sees a genuinely streamed body.
      const step = 64 * 1024;
      for (let i = 0; i < payload.length; i += step) outgoing.write(payload.subarray(i, i + step));
    } else if (payload) {
      outgoing.write(payload);
    }
    outgoing.end();
  });
}

const STACK_PATTERNS = [/\n\s+at /, /node:internal/, /\.(?:ts|js):\d+:\d+/, /<html/i];

/** Asserts the response is an error envelope with this status and code, and leaks no stack. */
export function expectError(response: RawResponse, status: number, code: string): void {
  expect(response.status, response.text).to.equal(status);
  const error = response.json.error as { code?: string; message?: string } | undefined;
  expect(error, `an error envelope in ${response.text}`).to.be.an('object');
  expect(error?.code).to.equal(code);
  expect(error?.message).to.be.a('string').and.not.equal('');
  for (const pattern of STACK_PATTERNS) expect(response.text).not.to.match(pattern);
}

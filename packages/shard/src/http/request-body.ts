/**
 * Reads a request body under the rules every node applies before any schema runs:
 * a JSON media type (415 otherwise), at most 1 MiB (413, without reading the rest),
 * UTF-8 text, then the checked parse of `parseJsonObject`.
 */
import type { IncomingMessage } from 'node:http';
import { IsxError, MAX_BODY_BYTES, parseJsonObject } from '@isx/core';

const JSON_MEDIA_TYPE = /^application\/([a-z0-9.+-]+\+)?json$/;

/** Reads and parses a JSON object body, or throws the 4xx that says why it cannot. */
export async function readJsonObject(request: IncomingMessage): Promise<Record<string, unknown>> {
  checkMediaType(request.headers['content-type']);
  const declared = Number(request.headers['content-length'] ?? NaN);
  if (declared > MAX_BODY_BYTES) throw tooLarge();
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) throw tooLarge();
    chunks.push(chunk);
  }
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(Buffer.concat(chunks));
  } catch {
    throw new IsxError('INVALID_JSON', 'The body is not valid UTF-8 text.');
  }
  return parseJsonObject(text);
}

function checkMediaType(header: string | undefined): void {
  const [mediaType = '', ...parameters] = (header ?? '').split(';').map((p) => p.trim().toLowerCase());
  if (!JSON_MEDIA_TYPE.test(mediaType)) {
    throw new IsxError(
      'UNSUPPORTED_MEDIA_TYPE',
      header
        ? `The body must be application/json, not ${header.slice(0, 100)}.`
        : 'The request needs Content-Type: application/json.',
    );
  }
  const charset = parameters.find((p) => p.startsWith('charset='));
  if (charset && !/^charset="?utf-8"?$/.test(charset)) {
    throw new IsxError('UNSUPPORTED_MEDIA_TYPE', 'A JSON body must be UTF-8.');
  }
}

function tooLarge(): IsxError {
  return new IsxError('PAYLOAD_TOO_LARGE', `The body is larger than ${MAX_BODY_BYTES} bytes.`, {
    details: { limitBytes: MAX_BODY_BYTES },
  });
}

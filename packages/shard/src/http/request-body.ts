/**
 * Reads a request body under the rules every node applies before any schema runs:
 * a JSON media type (415 otherwise), at most 1 MiB (413, without reading the rest),
 * UTF-8 text, then the checked parse of `parseJsonObject`.
 */
import type { IncomingMessage } from 'node:http';
import { IsxError, MAX_BODY_BYTES, parseJsonObject } from '@isx/core';

const JSON_MEDIA_TYPE = /^application\/([a-z0-9.+-]+\+)?json$/;

/** Decoding without `stream` keeps no state between calls, so one decoder serves every request. */
const UTF8 = new TextDecoder('utf-8', { fatal: true });

/** Reads and parses a JSON object body, or throws the 4xx that says why it cannot. */
export async function readJsonObject(request: IncomingMessage): Promise<Record<string, unknown>> {
  checkMediaType(request.headers['content-type']);
  const declared = Number(request.headers['content-length'] ?? NaN);
  if (declared > MAX_BODY_BYTES) throw tooLarge();
  const body = await readBody(request);
  let text: string;
  try {
    text = UTF8.decode(body);
  } catch {
    throw new IsxError('INVALID_JSON', 'The body is not valid UTF-8 text.');
  }
  return parseJsonObject(text);
}

/**
 * The whole body, with listeners rather than `for await`: an async iterator per request costs
 * noticeably more, and every write (and every replication batch) comes through here.
 */
function readBody(request: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const cleanup = (): void => {
      request.off('data', onData);
      request.off('end', onEnd);
      request.off('error', onError);
      request.off('close', onClose);
    };
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        cleanup();
        // As `for await` did when it stopped early: the rest of the body is never read.
        request.destroy();
        reject(tooLarge());
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = (): void => {
      cleanup();
      resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size));
    };
    const onError = (error: Error): void => {
      cleanup();
      reject(error);
    };
    // A client that goes away mid-body: `for await` rejected with a premature close here too.
    const onClose = (): void => {
      if (request.complete) return;
      cleanup();
      reject(new Error('The request was aborted before its body was read.'));
    };
    request.on('data', onData);
    request.on('end', onEnd);
    request.on('error', onError);
    request.on('close', onClose);
  });
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

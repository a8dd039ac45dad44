/**
 * Express middleware for the router's own JSON routes: a JSON media type (415 otherwise),
 * at most 1 MiB (413), and the checked parse of `@isx/core`. An empty body is `{}`.
 */
import express, { type NextFunction, type Request, type Response } from 'express';
import { IsxError, MAX_BODY_BYTES, parseJsonObject } from '@isx/core';

const readText = express.text({ type: () => true, limit: MAX_BODY_BYTES });

export function jsonBody(request: Request, response: Response, next: NextFunction): void {
  const length = Number(request.headers['content-length'] ?? 0);
  const chunked = request.headers['transfer-encoding'] !== undefined;
  if (length === 0 && !chunked) {
    request.body = {};
    return next();
  }
  if (!/^application\/([a-z0-9.+-]+\+)?json\b/i.test(request.headers['content-type'] ?? '')) {
    return next(new IsxError('UNSUPPORTED_MEDIA_TYPE', 'The body must be application/json.'));
  }
  readText(request, response, (error?: unknown) => {
    if (error) {
      const tooLarge = (error as { type?: string }).type === 'entity.too.large';
      return next(
        tooLarge
          ? new IsxError('PAYLOAD_TOO_LARGE', `The body is larger than ${MAX_BODY_BYTES} bytes.`)
          : new IsxError('INVALID_JSON', 'The body could not be read.'),
      );
    }
    try {
      request.body = parseJsonObject(typeof request.body === 'string' ? request.body : '');
      next();
    } catch (parseError) {
      next(parseError);
    }
  });
}

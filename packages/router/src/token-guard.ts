/**
 * Express middleware that lets a request through only with the cluster token. Anything else
 * is a 401 before any handler runs, so an unauthenticated call changes nothing.
 */
import type { NextFunction, Request, Response } from 'express';
import { CLUSTER_TOKEN_HEADER, IsxError, tokensMatch } from '@isx/core';

export function requireClusterToken(token: string) {
  return (request: Request, _response: Response, next: NextFunction): void => {
    const offered = request.headers[CLUSTER_TOKEN_HEADER];
    if (tokensMatch(typeof offered === 'string' ? offered : undefined, token)) return next();
    next(
      new IsxError(
        'UNAUTHORIZED',
        `This route needs the cluster token in the ${CLUSTER_TOKEN_HEADER} header.`,
      ),
    );
  };
}

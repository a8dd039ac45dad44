/**
 * The route a request to the node was for, as a template fit to be a metric label:
 * `/:type/:key`, `/:type/:key/activities`, `/:type`, an internal route's own path (they have
 * no keys in them), `/healthz`, `/metrics`, or `other`. It must never return a raw key or an
 * unknown path: every distinct label value is a time series kept for good, and anyone can
 * send any path.
 *
 * It runs on every request, so it reads the shape of the path only and splits nothing.
 */
import { INTERNAL_ROUTES } from './internal-routes.js';

/** The label of a path that is none of the node's routes. */
export const OTHER_ROUTE = 'other';

const ACTIVITIES = '/activities';

const INTERNAL_PATHS: ReadonlySet<string> = new Set(
  INTERNAL_ROUTES.map((route) => route.slice(route.indexOf(' ') + 1)),
);

/** The route template of `target` (a request's URL: path and query). */
export function routeTemplate(target: string): string {
  const queryAt = target.indexOf('?');
  const path = queryAt === -1 ? target : target.slice(0, queryAt);
  if (path === '/healthz' || path === '/metrics') return path;
  if (path.startsWith('/internal/')) return INTERNAL_PATHS.has(path) ? path : OTHER_ROUTE;
  if (path.length < 2 || path[0] !== '/') return OTHER_ROUTE;
  // Segments after the leading slash: type, key, then `activities` at most, none of them empty.
  const typeEnd = path.indexOf('/', 1);
  if (typeEnd === -1) return '/:type';
  if (typeEnd === 1) return OTHER_ROUTE;
  const keyEnd = path.indexOf('/', typeEnd + 1);
  if (keyEnd === -1) return typeEnd + 1 < path.length ? '/:type/:key' : OTHER_ROUTE;
  if (keyEnd === typeEnd + 1) return OTHER_ROUTE;
  const activities = path.length === keyEnd + ACTIVITIES.length && path.startsWith(ACTIVITIES, keyEnd);
  return activities ? '/:type/:key/activities' : OTHER_ROUTE;
}

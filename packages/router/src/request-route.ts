/**
 * Which paths the router's admin app serves, and the route template a request is counted
 * under in the router's metrics.
 *
 * A template never holds a raw path: keys in label values would make one time series per
 * entity. A path under an admin prefix is named by the express route that served it
 * (`/cluster/nodes/:id/drain`); any other path is keyed traffic, named by its shape (`/:type`,
 * `/:type/:key`, `/:type/:key/activities`), whether the type exists or not. Whatever matches
 * neither is `other`.
 */
import type { IncomingMessage } from 'node:http';

/** The path prefixes the admin app serves; every other path is keyed traffic. */
const ADMIN_PREFIXES = ['/cluster', '/healthz', '/metrics', '/dashboard', '/internal'];

/** The template of a path that no route serves. */
export const OTHER_ROUTE = 'other';

/** The path of a request target, without its query. */
export function pathnameOf(target: string | undefined): string {
  return (target ?? '/').split('?', 1)[0] ?? '/';
}

/** Whether the admin app, not the forwarder, serves this path. */
export function isAdminPath(pathname: string): boolean {
  return ADMIN_PREFIXES.some((prefix) => pathname === prefix || pathname.startsWith(`${prefix}/`));
}

/**
 * The route template of a request whose handling is over: read after express has served it,
 * since express records the route that matched as `request.route` (its `req.route`). The
 * admin routes are mounted at the root, so a route's path is the whole template.
 */
export function routeTemplateOf(request: IncomingMessage, pathname: string): string {
  if (isAdminPath(pathname)) {
    const path = (request as { route?: { path?: unknown } }).route?.path;
    return typeof path === 'string' ? path : OTHER_ROUTE;
  }
  return keyedRouteOf(pathname);
}

function keyedRouteOf(pathname: string): string {
  const segments = pathname.split('/').slice(1);
  if (segments[0] === undefined || segments[0] === '') return OTHER_ROUTE;
  if (segments.length === 1) return '/:type';
  if (segments.length === 2) return '/:type/:key';
  if (segments.length === 3 && segments[2] === 'activities') return '/:type/:key/activities';
  return OTHER_ROUTE;
}

/**
 * The dashboard's routes on the router, without a token (like `GET /cluster`, they only show):
 * - `GET /dashboard`: the page;
 * - `GET /dashboard/style.css` and `GET /dashboard/NAME.js`: its style and its scripts,
 *   compiled from `packages/router/dashboard-page` by the repo's own build;
 * - `GET /dashboard/events`: server-sent events, one `snapshot` event at a time.
 */
import { readFile } from 'node:fs/promises';
import express from 'express';
import { IsxError } from '@isx/core';
import type { DashboardFeed } from './dashboard-feed.js';

/** The package's root, from `src/dashboard` (tests) and `dist/dashboard` (a build) alike. */
const PACKAGE_ROOT = new URL('../../', import.meta.url);
const PAGE_SOURCES = new URL('dashboard-page/', PACKAGE_ROOT);
const PAGE_SCRIPTS = new URL('dist/dashboard-page/', PACKAGE_ROOT);

const SCRIPT_NAME = /^[a-z][a-z-]*\.js(\.map)?$/;

export function createDashboardRoutes(feed: DashboardFeed): express.Router {
  const routes = express.Router();

  routes.get('/dashboard', async (_request, response) => {
    response
      .type('html')
      .set('cache-control', 'no-store')
      .send(await pageFile(PAGE_SOURCES, 'index.html'));
  });
  routes.get('/dashboard/style.css', async (_request, response) => {
    response
      .type('css')
      .set('cache-control', 'no-store')
      .send(await pageFile(PAGE_SOURCES, 'style.css'));
  });
  routes.get('/dashboard/events', (request, response) => {
    response.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      connection: 'keep-alive',
    });
    // A browser that loses the stream tries again after a second.
    response.write('retry: 1000\n\n');
    const stop = feed.watch({
      send: (snapshot) => response.write(`event: snapshot\ndata: ${JSON.stringify(snapshot)}\n\n`),
      end: () => response.end(),
    });
    request.once('close', stop);
  });
  routes.get('/dashboard/:script', async (request, response) => {
    const name = String(request.params.script);
    if (!SCRIPT_NAME.test(name)) throw notFound(name);
    response
      .type(name.endsWith('.map') ? 'json' : 'js')
      .set('cache-control', 'no-store')
      .send(await pageFile(PAGE_SCRIPTS, name));
  });
  return routes;
}

async function pageFile(folder: URL, name: string): Promise<string> {
  try {
    return await readFile(new URL(name, folder), 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw notFound(name);
    throw error;
  }
}

function notFound(name: string): IsxError {
  return new IsxError(
    'ROUTE_NOT_FOUND',
    `The dashboard has no file ${name}${name.endsWith('.js') ? ' (has the repo been built? npm run build)' : ''}.`,
  );
}

import { expect } from 'chai';
import { INTERNAL_ROUTES } from '../src/http/internal-routes.js';
import { routeTemplate } from '../src/http/route-template.js';

describe('route templates for metric labels', () => {
  const cases: Array<[string, string]> = [
    ['/campaign/c-42', '/:type/:key'],
    ['/campaign/c-42?consistency=eventual', '/:type/:key'],
    ['/campaign/c-42/activities', '/:type/:key/activities'],
    ['/campaign', '/:type'],
    ['/healthz', '/healthz'],
    ['/metrics', '/metrics'],
    ['/internal/messages', '/internal/messages'],
    ['/internal/replicate-batch', '/internal/replicate-batch'],
    ['/internal/shards/status?shardId=s1', '/internal/shards/status'],
    ['/internal/made-up', 'other'],
    ['/campaign/c-42/history', 'other'],
    ['/campaign/c-42/activities/more', 'other'],
    ['/campaign/c-42/activitiesX', 'other'],
    ['/campaign/c-42/', 'other'],
    ['/campaign/', 'other'],
    ['//c-42', 'other'],
    ['/campaign//activities', 'other'],
    ['/', 'other'],
    ['', 'other'],
    ['*', 'other'],
  ];
  for (const [target, route] of cases) {
    it(`labels ${JSON.stringify(target)} as ${route}`, () => {
      expect(routeTemplate(target)).to.equal(route);
    });
  }

  it('labels every internal route by its own path', () => {
    for (const route of INTERNAL_ROUTES) {
      const path = route.split(' ')[1]!;
      expect(routeTemplate(path), route).to.equal(path);
    }
  });
});

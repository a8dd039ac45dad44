/**
 * `@isx/client`: a typed client for the public entity API of an Infinite Scale cluster.
 *
 * `new IsxClient({ routerUrl })` gives one typed handle per entity type, with `get`, `put`,
 * `patch`, `delete` (optionally conditional on a version) and `create`. With the routing
 * cache on (the default) the client loads the shard map from the router's `GET /cluster` and
 * sends each keyed request straight to the node that owns the key; when a node answers
 * `421 WRONG_SHARD` or `503 SHARD_MOVING` it reloads the map and tries again, a bounded number
 * of times. A node that refuses the connection is bypassed through the router. Every failure
 * is an `IsxError` (or `RetryableError`) from `@isx/core` with a stable `code`; a request whose
 * outcome is uncertain (`NODE_TIMEOUT`, `NODE_CONNECTION_LOST`) is never sent again for you.
 *
 * @example
 * import { IsxClient } from '@isx/client';
 *
 * interface Campaign { name: string; status: 'draft' | 'active'; budgetCents: number }
 *
 * const client = new IsxClient({ routerUrl: 'http://127.0.0.1:4000' });
 * const campaigns = client.entity<Campaign>('campaign');
 * await campaigns.put('spring-sale', { name: 'Spring sale', status: 'draft', budgetCents: 50_000 });
 * const { version, data } = await campaigns.get('spring-sale');
 * try {
 *   await campaigns.patch('spring-sale', { status: 'active' }, { ifMatch: version });
 * } catch (error) {
 *   if ((error as { code?: string }).code === 'PRECONDITION_FAILED') {
 *     // someone else wrote first: read again and decide
 *   }
 * }
 * await client.close();
 *
 * @packageDocumentation
 */
export { IsxClient } from './isx-client.js';
export type { IsxClientOptions } from './isx-client.js';
export type { EntityClient, EntityRecordOf, MergePatch, WriteOptions } from './entity-client.js';

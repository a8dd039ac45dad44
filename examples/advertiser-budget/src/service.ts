/**
 * The advertiser-budget service: the two entity types its nodes host. One service may host
 * several types; each node registers both, and the router gives each type its own shards.
 */
import type { ServiceDefinition } from '@isx/shard';
import { advertiser } from './advertiser.js';
import { booking } from './booking.js';

export const advertiserBudgetService: ServiceDefinition = {
  name: 'advertiser-budget',
  entities: [advertiser, booking],
};

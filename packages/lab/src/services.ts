/**
 * The services `isx node --service NAME` can start, by name. A service is the list of
 * entity types its nodes host.
 */
import { campaign } from '@isx/campaign';
import { profile } from '@isx/profile';
import type { ServiceDefinition } from '@isx/shard';

export const SERVICES: Readonly<Record<string, ServiceDefinition>> = {
  campaign: { name: 'campaign', entities: [campaign] },
  profile: { name: 'profile', entities: [profile] },
};

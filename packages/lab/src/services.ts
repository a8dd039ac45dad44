/**
 * The services `isx node --service NAME` can start, by name. A service is the list of
 * entity types its nodes host.
 */
import { campaign } from '@isx/campaign';
import type { EntityDefinition } from '@isx/core';

export const SERVICES: Readonly<Record<string, readonly EntityDefinition[]>> = {
  campaign: [campaign],
};

/**
 * `@isx/campaign`: the campaign service.
 *
 * Exports the campaign entity definition, for a node to host and for tests and clients to
 * validate against. `main.js` starts a campaign node from the command line.
 *
 * @example
 * import { campaign } from '@isx/campaign';
 * import { startNode } from '@isx/shard';
 * await startNode({ nodeId: 'node-1', dataDir: './data', entities: [campaign], map });
 *
 * @packageDocumentation
 */
export { campaign, campaignInputSchema, CAMPAIGN_STATUSES } from './campaign.js';
export type { Campaign, CampaignInput } from './campaign.js';

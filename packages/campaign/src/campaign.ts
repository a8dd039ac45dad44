/**
 * The campaign entity: what an advertiser runs, keyed by its id.
 *
 * Scale-agnostic: this file says what a valid campaign is and how a write becomes the
 * stored state, and nothing about where campaigns live. `createdAt` and `updatedAt` are
 * the service's to set; a client may send them back unchanged and they are ignored.
 */
import { defineEntity } from '@isx/core';
import { z } from 'zod';

export const CAMPAIGN_STATUSES = ['draft', 'active', 'paused', 'archived'] as const;

const isoDate = z.union([z.iso.date(), z.iso.datetime({ offset: true })], {
  error: 'must be an ISO 8601 date (2026-05-01) or date-time (2026-05-01T09:00:00Z)',
});

/** What a client writes to `PUT /campaign/:id`. */
export const campaignInputSchema = z
  .strictObject({
    name: z.string().trim().min(1).max(200),
    status: z.enum(CAMPAIGN_STATUSES),
    budgetCents: z.int().min(0),
    startsAt: isoDate.optional(),
    endsAt: isoDate.optional(),
  })
  .refine(
    (c) =>
      c.startsAt === undefined || c.endsAt === undefined || Date.parse(c.endsAt) > Date.parse(c.startsAt),
    {
      message: 'endsAt must be after startsAt',
      path: ['endsAt'],
    },
  );
export type CampaignInput = z.infer<typeof campaignInputSchema>;

/** What is stored and read back. */
export interface Campaign extends CampaignInput {
  readonly id: string;
  readonly createdAt: string;
  readonly updatedAt: string;
}

/**
 * The campaign entity type.
 *
 * @example
 * await fetch(`${router}/campaign/spring-sale`, {
 *   method: 'PUT',
 *   headers: { 'content-type': 'application/json' },
 *   body: JSON.stringify({ name: 'Spring sale', status: 'draft', budgetCents: 50000 }),
 * });
 */
export const campaign = defineEntity<CampaignInput, Campaign>({
  type: 'campaign',
  input: campaignInputSchema,
  keyField: 'id',
  serverFields: ['createdAt', 'updatedAt'],
  build: (input, { key, now, previous }) => ({
    id: key,
    ...input,
    createdAt: previous?.createdAt ?? now.toISOString(),
    updatedAt: now.toISOString(),
  }),
});

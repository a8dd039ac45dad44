/**
 * The campaign entity: what an advertiser runs, keyed by its id.
 *
 * Scale-agnostic: this file says what a valid campaign is and how a write becomes the
 * stored state, and nothing about where campaigns live. `createdAt` and `updatedAt` are
 * the service's to set; a client may send them back unchanged and they are ignored.
 *
 * A write whose body carries a `profile` part stores the campaign's own fields and sends the
 * part to the campaign's profile entity (`set-targets`, with a revision); the campaign reads
 * `profileSync: pending` until the profile answers `targets-applied` for that revision.
 */
import { defineEntity, withMessages } from '@isx/core';
import { profileTargetsSchema, targetsAppliedSchema, type TargetsApplied } from '@isx/profile';
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
    /** Targeting for the campaign's profile entity: sent to it, not stored here. */
    profile: profileTargetsSchema.optional(),
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
export interface Campaign extends Omit<CampaignInput, 'profile'> {
  readonly id: string;
  readonly createdAt: string;
  readonly updatedAt: string;
  /** Whether the profile holds the latest targeting sent (absent until one is sent). */
  readonly profileSync?: 'pending' | 'applied';
  /** How many times targeting was sent to the profile. */
  readonly profileRevision?: number;
  /** The revision the profile last said it holds. */
  readonly profileAppliedRevision?: number;
}

const PROFILE_FIELDS = ['profileSync', 'profileRevision', 'profileAppliedRevision'] as const;

function profileFieldsOf(previous: Campaign | undefined): Partial<Campaign> {
  const kept: Record<string, unknown> = {};
  for (const field of PROFILE_FIELDS) if (previous?.[field] !== undefined) kept[field] = previous[field];
  return kept;
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
  serverFields: ['createdAt', 'updatedAt', ...PROFILE_FIELDS],
  build: ({ profile, ...fields }, { key, now, previous }) => {
    const state: Campaign = {
      id: key,
      ...fields,
      ...profileFieldsOf(previous),
      createdAt: previous?.createdAt ?? now.toISOString(),
      updatedAt: now.toISOString(),
    };
    if (profile === undefined) return state;
    // The profile part goes to the campaign's profile entity, in the same write as the campaign.
    const revision = (previous?.profileRevision ?? 0) + 1;
    return withMessages<Campaign>(
      { ...state, profileSync: 'pending', profileRevision: revision },
      { to: { type: 'profile', key }, kind: 'set-targets', payload: { ...profile, revision } },
    );
  },
  receives: {
    'targets-applied': {
      payload: targetsAppliedSchema,
      apply: (state: Campaign | undefined, { revision }: TargetsApplied) => {
        // A campaign deleted meanwhile has nothing to record.
        if (state === undefined) return undefined;
        const applied = Math.max(revision, state.profileAppliedRevision ?? 0);
        return {
          ...state,
          profileAppliedRevision: applied,
          profileSync: applied >= (state.profileRevision ?? 0) ? 'applied' : 'pending',
        };
      },
    },
  },
});

/**
 * The profile entity: a campaign's targeting, keyed like its campaign (DESIGN §7).
 *
 * A profile is written by messages: a campaign whose update carries a `profile` part sends it
 * here as `set-targets` with the campaign's profile revision, and the profile answers
 * `targets-applied` with that revision, which the campaign records. A revision older than the
 * one changes only the count of updates applied, and is still answered, so the campaign learns
 * where it stands. `updates` counts every message applied: with the campaign's revision it
 * shows each was applied exactly once.
 * Scale-agnostic: nothing here knows where campaigns or profiles live.
 */
import { defineEntity, withMessages } from '@isx/core';
import { z } from 'zod';

export const OS_TARGETS = ['android', 'ios', 'windows', 'macos', 'linux'] as const;
export const DEVICE_TARGETS = ['phone', 'tablet', 'desktop', 'tv'] as const;

const distinct = <T>(values: readonly T[]): boolean => new Set(values).size === values.length;

/** A campaign's targeting: each list from its enumerated set, without repeats. */
export const profileTargetsSchema = z.strictObject({
  osTargets: z.array(z.enum(OS_TARGETS)).refine(distinct, 'osTargets must not repeat a value'),
  deviceTargets: z.array(z.enum(DEVICE_TARGETS)).refine(distinct, 'deviceTargets must not repeat a value'),
  geoTargets: z
    .array(z.string().regex(/^[A-Z]{2}$/, 'a country is an ISO 3166-1 alpha-2 code, like FR'))
    .max(250)
    .refine(distinct, 'geoTargets must not repeat a country')
    .optional(),
});
export type ProfileTargets = z.infer<typeof profileTargetsSchema>;

/** `set-targets`, from a campaign: its targeting at a revision. */
export const setTargetsSchema = profileTargetsSchema.extend({ revision: z.int().min(1) });
export type SetTargets = z.infer<typeof setTargetsSchema>;

/** `targets-applied`, back to the campaign: the revision the profile now holds. */
export const targetsAppliedSchema = z.strictObject({ revision: z.int().min(1) });
export type TargetsApplied = z.infer<typeof targetsAppliedSchema>;

/** What is stored and read back. */
export interface Profile extends ProfileTargets {
  readonly id: string;
  /** The campaign whose targeting this is. */
  readonly campaign: string;
  /** The campaign's profile revision it holds (0 when written directly). */
  readonly revision: number;
  /** How many `set-targets` messages it has applied, older revisions included: each counts once. */
  readonly updates: number;
  readonly updatedAt: string;
}

export const profile = defineEntity<ProfileTargets, Profile>({
  type: 'profile',
  input: profileTargetsSchema,
  keyField: 'id',
  serverFields: ['campaign', 'revision', 'updates', 'updatedAt'],
  build: (input, { key, now, previous }) => ({
    id: key,
    ...input,
    campaign: previous?.campaign ?? key,
    revision: previous?.revision ?? 0,
    updates: previous?.updates ?? 0,
    updatedAt: now.toISOString(),
  }),
  receives: {
    'set-targets': {
      payload: setTargetsSchema,
      apply: (state: Profile | undefined, payload: SetTargets, { key, now, from }) => {
        const { revision, ...targets } = payload;
        const updates = (state?.updates ?? 0) + 1;
        const next: Profile =
          state === undefined || revision > state.revision
            ? { id: key, ...targets, campaign: from.key, revision, updates, updatedAt: now.toISOString() }
            : { ...state, updates };
        const answer = { to: from, kind: 'targets-applied', payload: { revision: next.revision } };
        return withMessages(next, answer);
      },
    },
  },
});

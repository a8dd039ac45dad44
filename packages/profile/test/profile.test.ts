/** The profile entity: its targeting schema and how it applies a campaign's `set-targets`. */
import { expect } from 'chai';
import { outcomeOf } from '@isx/core';
import { profile, profileTargetsSchema, type Profile } from '@isx/profile';

const now = new Date('2026-11-23T10:00:00Z');
const from = { type: 'campaign', key: 'spring' };
const handler = profile.receives['set-targets']!;
const apply: typeof handler.apply = (state, payload, ctx) => handler.apply(state, payload, ctx);

describe('the profile entity', () => {
  it('accepts targeting from the enumerated sets, and refuses unknown values, repeats and bad countries', () => {
    expect(
      profileTargetsSchema.safeParse({
        osTargets: ['ios', 'android'],
        deviceTargets: ['phone'],
        geoTargets: ['FR'],
      }).success,
    ).to.equal(true);
    expect(profileTargetsSchema.safeParse({ osTargets: ['beos'], deviceTargets: [] }).success).to.equal(
      false,
    );
    expect(profileTargetsSchema.safeParse({ osTargets: ['ios', 'ios'], deviceTargets: [] }).success).to.equal(
      false,
    );
    expect(
      profileTargetsSchema.safeParse({ osTargets: [], deviceTargets: [], geoTargets: ['France'] }).success,
    ).to.equal(false);
    expect(profileTargetsSchema.safeParse({ osTargets: [], deviceTargets: [], extra: 1 }).success).to.equal(
      false,
    );
  });

  it('takes a newer revision from its campaign and answers with it', () => {
    const payload = profile.receives['set-targets']!.payload.parse({
      osTargets: ['ios'],
      deviceTargets: ['tablet'],
      revision: 2,
    });
    const { state, messages } = outcomeOf(apply(undefined, payload, { key: 'spring', now, from }));
    expect(state).to.deep.equal({
      id: 'spring',
      osTargets: ['ios'],
      deviceTargets: ['tablet'],
      campaign: 'spring',
      revision: 2,
      updates: 1,
      updatedAt: now.toISOString(),
    });
    expect(messages).to.deep.equal([{ to: from, kind: 'targets-applied', payload: { revision: 2 } }]);
  });

  it('keeps the targeting it holds for an older revision, counts the update, and says which revision it holds', () => {
    const held: Profile = {
      id: 'spring',
      osTargets: ['linux'],
      deviceTargets: [],
      campaign: 'spring',
      revision: 5,
      updates: 5,
      updatedAt: 'then',
    };
    const { state, messages } = outcomeOf(
      apply(held, { osTargets: ['ios'], deviceTargets: [], revision: 3 }, { key: 'spring', now, from }),
    );
    expect(state).to.deep.equal({ ...held, updates: 6 });
    expect(messages[0]?.payload).to.deep.equal({ revision: 5 });
  });
});

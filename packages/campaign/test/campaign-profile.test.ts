/** A campaign's profile part: sent to its profile entity with a revision, and the answer recorded. */
import { expect } from 'chai';
import { campaign, campaignInputSchema, type Campaign } from '@isx/campaign';
import { outcomeOf } from '@isx/core';

const valid = { name: 'Spring sale', status: 'draft', budgetCents: 50_000 };
const targets = { osTargets: ['ios'], deviceTargets: ['phone', 'tablet'], geoTargets: ['FR', 'DE'] };
const now = new Date('2026-11-23T10:00:00Z');
const handler = campaign.receives['targets-applied']!;
const applied: typeof handler.apply = (state, payload, ctx) => handler.apply(state, payload, ctx);
const from = { type: 'profile', key: 'spring' };

function build(input: unknown, previous?: Campaign) {
  return outcomeOf(campaign.build(campaignInputSchema.parse(input), { key: 'spring', now, previous }));
}

describe('the campaign entity and its profile', function () {
  it('refuses a profile part with unknown targets, validating it here as the profile does', function () {
    expect(
      campaignInputSchema.safeParse({ ...valid, profile: { osTargets: ['beos'], deviceTargets: [] } })
        .success,
    ).to.equal(false);
  });

  it('sends the profile part to its profile entity with a revision, storing only the campaign’s fields', function () {
    const { state, messages } = build({ ...valid, profile: targets });
    expect(state).to.deep.include({ profileSync: 'pending', profileRevision: 1 });
    expect(state).not.to.have.property('profile');
    expect(messages).to.deep.equal([
      { to: { type: 'profile', key: 'spring' }, kind: 'set-targets', payload: { ...targets, revision: 1 } },
    ]);
    const again = build({ ...valid, profile: targets }, state);
    expect(again.messages[0]?.payload).to.deep.include({ revision: 2 });
  });

  it('keeps the profile fields and sends nothing on a write without a profile part', function () {
    const first = build({ ...valid, profile: targets }).state;
    const { state, messages } = build({ ...valid, status: 'active' }, first);
    expect(messages).to.deep.equal([]);
    expect(state).to.deep.include({ status: 'active', profileSync: 'pending', profileRevision: 1 });
  });

  it('reads applied once the profile answers for the latest revision, and pending while a later one is out', function () {
    const once = build({ ...valid, profile: targets }).state;
    const twice = build({ ...valid, profile: targets }, once).state;
    const ctx = { key: 'spring', now, from };
    const early = outcomeOf(applied(twice, { revision: 1 }, ctx)).state;
    expect(early).to.deep.include({ profileSync: 'pending', profileAppliedRevision: 1 });
    const late = outcomeOf(applied(early, { revision: 2 }, ctx)).state;
    expect(late).to.deep.include({ profileSync: 'applied', profileAppliedRevision: 2 });
    expect(
      outcomeOf(applied(undefined, { revision: 2 }, ctx)).state,
      'a deleted campaign records nothing',
    ).to.equal(undefined);
  });
});

import { expect } from 'chai';
import { campaign, campaignInputSchema } from '@isx/campaign';
import { outcomeOf } from '@isx/core';

const valid = { name: 'Spring sale', status: 'draft', budgetCents: 50_000 };

describe('the campaign entity', function () {
  it('accepts a minimal valid campaign', function () {
    expect(campaignInputSchema.safeParse(valid).success).to.equal(true);
  });

  it('accepts ISO dates and date-times, comparing offsets as instants', function () {
    expect(
      campaignInputSchema.safeParse({ ...valid, startsAt: '2026-05-01', endsAt: '2026-06-01' }).success,
    ).to.equal(true);
    const withTimes = { ...valid, startsAt: '2026-05-01T09:00:00Z', endsAt: '2026-05-01T10:00:00+02:00' };
    expect(campaignInputSchema.safeParse(withTimes).success, 'offsets are compared as instants').to.equal(
      false,
    );
    expect(
      campaignInputSchema.safeParse({ ...withTimes, endsAt: '2026-05-01T12:00:00+02:00' }).success,
    ).to.equal(true);
  });

  it('refuses endsAt before or equal to startsAt, on the endsAt path', function () {
    for (const endsAt of ['2026-04-30', '2026-05-01']) {
      const result = campaignInputSchema.safeParse({ ...valid, startsAt: '2026-05-01', endsAt });
      expect(result.success).to.equal(false);
      expect(result.error?.issues[0]?.path).to.deep.equal(['endsAt']);
    }
  });

  it('refuses a missing name, an empty name and a name over 200 characters', function () {
    const { name: _name, ...missing } = valid;
    for (const candidate of [missing, { ...valid, name: '   ' }, { ...valid, name: 'x'.repeat(201) }]) {
      expect(campaignInputSchema.safeParse(candidate).success).to.equal(false);
    }
  });

  it('refuses a status outside draft, active, paused and archived', function () {
    for (const status of ['draft', 'active', 'paused', 'archived']) {
      expect(campaignInputSchema.safeParse({ ...valid, status }).success, status).to.equal(true);
    }
    expect(campaignInputSchema.safeParse({ ...valid, status: 'running' }).success).to.equal(false);
  });

  it('refuses a negative, fractional or unsafe budget', function () {
    for (const budgetCents of [-1, 1.5, 2 ** 53, '100']) {
      expect(campaignInputSchema.safeParse({ ...valid, budgetCents }).success, String(budgetCents)).to.equal(
        false,
      );
    }
    expect(campaignInputSchema.safeParse({ ...valid, budgetCents: 0 }).success).to.equal(true);
  });

  it('refuses fields it does not know, so a typo is not silently dropped', function () {
    expect(campaignInputSchema.safeParse({ ...valid, budget: 10 }).success).to.equal(false);
  });

  it('refuses a date that is not ISO 8601', function () {
    expect(campaignInputSchema.safeParse({ ...valid, startsAt: '01/05/2026' }).success).to.equal(false);
  });

  it('builds the stored state with the key as id and service-set timestamps', function () {
    const now = new Date('2026-11-23T10:00:00Z');
    const input = campaignInputSchema.parse(valid);
    const { state } = outcomeOf(campaign.build(input, { key: 'spring', now, previous: undefined }));
    expect(state).to.deep.equal({
      id: 'spring',
      ...valid,
      createdAt: now.toISOString(),
      updatedAt: now.toISOString(),
    });
  });

  it('keeps createdAt from the previous state and moves updatedAt', function () {
    const first = outcomeOf(
      campaign.build(campaignInputSchema.parse(valid), {
        key: 'spring',
        now: new Date('2026-01-01T00:00:00Z'),
        previous: undefined,
      }),
    ).state;
    const second = outcomeOf(
      campaign.build(campaignInputSchema.parse({ ...valid, status: 'active' }), {
        key: 'spring',
        now: new Date('2026-02-01T00:00:00Z'),
        previous: first,
      }),
    ).state;
    expect(second.createdAt).to.equal('2026-01-01T00:00:00.000Z');
    expect(second.updatedAt).to.equal('2026-02-01T00:00:00.000Z');
    expect(second.status).to.equal('active');
  });

  it('declares id as its key field and the timestamps as server fields', function () {
    expect(campaign.type).to.equal('campaign');
    expect(campaign.keyField).to.equal('id');
    expect(campaign.serverFields).to.deep.equal([
      'createdAt',
      'updatedAt',
      'profileSync',
      'profileRevision',
      'profileAppliedRevision',
    ]);
  });
});

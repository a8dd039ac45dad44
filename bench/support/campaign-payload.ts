/**
 * The write every isx benchmark sends: a campaign of about 300 bytes of JSON, built from the
 * longest name the campaign schema accepts (200 characters) and every other field.
 *
 * Bodies and keys are prepared before the clock starts, so the generator spends nothing on
 * them per request. Each body must stay valid for `@isx/campaign`'s schema: a benchmark that
 * measures 400s measures nothing.
 */

/** The campaign schema's longest name. */
export const MAX_NAME_LENGTH = 200;

/** What `PUT /campaign/:key` receives; the same shape `@isx/campaign` validates. */
export interface CampaignBody {
  readonly name: string;
  readonly status: 'draft' | 'active' | 'paused' | 'archived';
  readonly budgetCents: number;
  readonly startsAt: string;
  readonly endsAt: string;
}

/** Key `i` of a benchmark: `bench-000042`. */
export function benchKey(i: number): string {
  return `bench-${String(i).padStart(6, '0')}`;
}

/** The campaign written to key `i`: a 200-character name, dates and a budget. */
export function campaignBody(i: number): CampaignBody {
  const name = `Benchmark campaign ${i} `;
  return {
    name: name.padEnd(MAX_NAME_LENGTH, 'abcdefghijklmnopqrstuvwxyz').slice(0, MAX_NAME_LENGTH),
    status: 'active',
    budgetCents: 1_000_000 + i,
    startsAt: '2026-05-01T09:00:00Z',
    endsAt: '2026-06-30T18:00:00Z',
  };
}

/** `count` keys and their bodies as JSON bytes, ready to send. */
export function preparedCampaigns(count: number): Array<{ key: string; body: CampaignBody; bytes: Buffer }> {
  return Array.from({ length: count }, (_, i) => {
    const body = campaignBody(i);
    return { key: benchKey(i), body, bytes: Buffer.from(JSON.stringify(body)) };
  });
}

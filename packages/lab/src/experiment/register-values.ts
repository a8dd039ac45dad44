/**
 * The bodies a workload writes. Each write carries one unique string (the register's
 * value) in a field of the entity, and the rest of the body is fixed and valid, so every
 * write the store refuses is refused for a reason the checker understands. With profile
 * parts, a campaign write also carries the targeting drawn from its value, which the
 * campaign sends to its profile entity.
 */
import { targetingFor } from '../activities/profile-targeting.js';

/** How to carry a unique value in an entity of one type, and read it back. */
export interface RegisterCodec {
  body(value: string): Record<string, unknown>;
  read(data: Record<string, unknown>): string | null;
}

const CODECS: Readonly<Record<string, RegisterCodec>> = {
  campaign: {
    body: (value) => ({
      name: value,
      status: 'draft',
      budgetCents: 100,
      startsAt: '2026-01-01T00:00:00Z',
      endsAt: '2026-02-01T00:00:00Z',
    }),
    read: (data) => (typeof data.name === 'string' ? data.name : null),
  },
};

/** The codec of an entity type, or an error naming the types a workload can drive. */
export function registerCodec(type: string, options: { withProfile?: boolean } = {}): RegisterCodec {
  const codec = CODECS[type];
  if (!codec)
    throw new Error(`the lab has no workload for type "${type}"; it knows ${Object.keys(CODECS).join(', ')}`);
  if (!options.withProfile) return codec;
  if (type !== 'campaign') throw new Error(`only campaign writes carry a profile part, not ${type}`);
  return { ...codec, body: (value) => ({ ...codec.body(value), profile: targetingFor(value) }) };
}

/**
 * The bodies a workload writes. Each write carries one unique string (the register's
 * value) in a field of the entity, and the rest of the body is fixed and valid, so every
 * write the store refuses is refused for a reason the checker understands.
 */

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
export function registerCodec(type: string): RegisterCodec {
  const codec = CODECS[type];
  if (!codec)
    throw new Error(`the lab has no workload for type "${type}"; it knows ${Object.keys(CODECS).join(', ')}`);
  return codec;
}

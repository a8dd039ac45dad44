/**
 * Partitioners map a key to the partition key that shard ranges are drawn over.
 *
 * `hash` spreads keys evenly (8 lowercase hex digits of a 32-bit hash); `lexical` keeps
 * the key itself, so ranges read like the phone-book split of phase 1. A partitioner is
 * fixed for the life of an entity type: changing it would move every entity.
 */
import { z } from 'zod';
import { hash32 } from './internal/hash32.js';

export const partitionerNameSchema = z.enum(['hash', 'lexical']);
export type PartitionerName = z.infer<typeof partitionerNameSchema>;

/** Maps a valid key to its partition key. */
export interface Partitioner {
  readonly name: PartitionerName;
  partitionKey(key: string): string;
}

export const hashPartitioner: Partitioner = {
  name: 'hash',
  partitionKey: (key) => hash32(key).toString(16).padStart(8, '0'),
};

export const lexicalPartitioner: Partitioner = {
  name: 'lexical',
  partitionKey: (key) => key,
};

/** The partitioner of a given name. */
export function partitionerFor(name: PartitionerName): Partitioner {
  return name === 'hash' ? hashPartitioner : lexicalPartitioner;
}

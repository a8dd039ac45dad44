/**
 * Where a partition key sits along a type's key space, from 0 to 1, to draw shards as
 * segments of a bar. Hash keys are 8 hex digits of a 32-bit hash, so their position is exact;
 * lexical keys are placed by their first characters, which is enough to see the ranges.
 */
export function keyPosition(partitionKey: string | null, partitioner: 'hash' | 'lexical'): number {
  if (partitionKey === null) return 1;
  if (partitionKey === '') return 0;
  if (partitioner === 'hash') {
    const digits = `${partitionKey}00000000`.slice(0, 8);
    const value = Number.parseInt(digits, 16);
    return Number.isFinite(value) ? value / 2 ** 32 : 0;
  }
  let position = 0;
  let scale = 1;
  for (const char of partitionKey.slice(0, 4)) {
    scale /= 128;
    position += Math.min(127, char.charCodeAt(0)) * scale;
  }
  return position;
}

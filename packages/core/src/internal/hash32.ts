/**
 * A 32-bit hash of a string's UTF-8 bytes: FNV-1a, then the murmur3 finaliser so that
 * keys differing in one character land far apart. Stable forever: changing it moves data.
 */
const encoder = new TextEncoder();

export function hash32(text: string): number {
  let h = 0x811c9dc5;
  for (const byte of encoder.encode(text)) {
    h ^= byte;
    h = Math.imul(h, 0x01000193);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

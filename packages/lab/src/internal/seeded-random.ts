/**
 * A small seeded pseudo-random source (mulberry32) and a way to derive independent
 * streams from one seed, so every random choice of an experiment (operation mix, fault
 * targets, proxy drops) is reproducible from the spec's seed alone. Not for cryptography.
 */

/** A source of floats in [0, 1). */
export type Random = () => number;

/** A seeded source; the same seed always yields the same sequence. */
export function seededRandom(seed: number): Random {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A source for one purpose (`faults`, `client-3`, `proxy router->n1`), independent of the others. */
export function deriveRandom(seed: number, label: string): Random {
  let hash = 0x811c9dc5 ^ seed;
  for (let i = 0; i < label.length; i += 1) hash = Math.imul(hash ^ label.charCodeAt(i), 0x01000193);
  return seededRandom(hash >>> 0);
}

/** An integer in [0, n). */
export function pickIndex(random: Random, n: number): number {
  return Math.min(n - 1, Math.floor(random() * n));
}

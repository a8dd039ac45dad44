/**
 * The targeting a workload's campaign write carries in its `profile` part, drawn from the
 * write's unique value. Because it is a function of the value, the checker can tell from a
 * campaign's final name which targeting its profile must end with.
 */
import { DEVICE_TARGETS, OS_TARGETS, type ProfileTargets } from '@isx/profile';

const COUNTRIES = ['FR', 'DE', 'JP', 'BR', 'US', 'IN', 'NG', 'AU'] as const;

/** A 32-bit FNV-1a hash: stable across runs and processes. */
function hash(value: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < value.length; i += 1) {
    h ^= value.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}

/** The members of `set` whose bit is on in `bits`, in the set's order. */
function subset<T>(set: readonly T[], bits: number): T[] {
  return set.filter((_, index) => (bits >>> index) & 1);
}

/** The targeting that goes with a workload value. Different values mostly give different targetings. */
export function targetingFor(value: string): ProfileTargets {
  const h = hash(value);
  return {
    osTargets: subset(OS_TARGETS, h),
    deviceTargets: subset(DEVICE_TARGETS, h >>> 5),
    geoTargets: subset(COUNTRIES, h >>> 9),
  };
}

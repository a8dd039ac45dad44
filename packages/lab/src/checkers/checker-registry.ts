/**
 * The checkers an experiment spec can name. A new checker joins by adding its name to the
 * spec schema and a line here.
 */
import type { CheckerName } from '@isx/core';
import { ActivitiesChecker } from './activities.js';
import { AvailabilityChecker } from './availability.js';
import { CopiesChecker } from './copies.js';
import type { Checker } from './checker.js';
import { DurabilityChecker } from './durability.js';
import { LinearizabilityChecker } from './linearizability.js';

const FACTORIES: Readonly<Record<CheckerName, () => Checker>> = {
  durability: () => new DurabilityChecker(),
  linearizability: () => new LinearizabilityChecker(),
  availability: () => new AvailabilityChecker(),
  copies: () => new CopiesChecker(),
  activities: () => new ActivitiesChecker(),
};

/** The checkers named, in the order given. */
export function checkersFor(names: readonly CheckerName[]): Checker[] {
  return names.map((name) => FACTORIES[name]());
}

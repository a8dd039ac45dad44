/**
 * `@isx/profile`: the profile service.
 *
 * Exports the profile entity, which holds a campaign's targeting and is kept up to date by the
 * campaign's messages, and the schemas of those messages, so both sides validate them.
 *
 * @packageDocumentation
 */
export {
  DEVICE_TARGETS,
  OS_TARGETS,
  profile,
  profileTargetsSchema,
  setTargetsSchema,
  targetsAppliedSchema,
} from './profile.js';
export type { Profile, ProfileTargets, SetTargets, TargetsApplied } from './profile.js';

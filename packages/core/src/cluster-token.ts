/**
 * The cluster token: the shared secret that internal routes (registration, heartbeats, map
 * pulls, shard copies) require. Public entity routes never ask for it.
 *
 * Compared in constant time, so a wrong token reveals nothing of the right one by timing.
 */
export const CLUSTER_TOKEN_HEADER = 'x-isx-cluster-token';
export const CLUSTER_TOKEN_ENV = 'ISX_CLUSTER_TOKEN';

/** True when `offered` equals `expected`, in time that depends only on their lengths. */
export function tokensMatch(offered: string | undefined, expected: string): boolean {
  if (offered === undefined || offered.length !== expected.length) return false;
  let difference = 0;
  for (let i = 0; i < expected.length; i += 1) difference |= offered.charCodeAt(i) ^ expected.charCodeAt(i);
  return difference === 0;
}

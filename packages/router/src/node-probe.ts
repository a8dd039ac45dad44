/**
 * Asks each node whether it is up, for `GET /cluster` in phase 1 (where nodes do not yet
 * send heartbeats). A probe that does not answer in time counts as down.
 */
import { healthSchema } from '@isx/core';

export type ProbeResult = 'up' | 'down';

export async function probeNode(url: string, timeoutMs: number): Promise<ProbeResult> {
  try {
    const response = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(timeoutMs) });
    if (!response.ok) return 'down';
    return healthSchema.safeParse(await response.json()).success ? 'up' : 'down';
  } catch {
    return 'down';
  }
}

/**
 * Polls `probe` every `everyMs` (200 by default) until it returns a value, or fails after `ms`
 * naming `what`: how tests, demos and examples wait for a cluster to reach a state, without timed
 * assertions. In core so that every package's tests can use it (`@isx/lab` re-exports it).
 */
import { setTimeout as sleep } from 'node:timers/promises';

export async function until<T>(
  what: string,
  ms: number,
  probe: () => Promise<T | undefined>,
  everyMs = 200,
): Promise<T> {
  const deadline = performance.now() + ms;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (performance.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await sleep(everyMs);
  }
}

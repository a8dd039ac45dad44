/**
 * The steady flow of campaign updates of the phase-4 demo: concurrent writers, each owning a
 * slice of the keys, write campaigns whose body carries a `profile` part, retrying a write whose
 * outcome is unknown until it is acknowledged, and remember what each key was last given.
 * Writes go through the public HTTP API only.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { targetingFor } from '@isx/lab';
import type { ProfileTargets } from '@isx/profile';

/** The `code` of an error body (`{ error: { code, message } }`), or `?`. */
function errorCode(text: string): string {
  try {
    return (JSON.parse(text) as { error?: { code?: string } }).error?.code ?? '?';
  } catch {
    return '?';
  }
}

/**
 * Writes a campaign with a profile part until the router acknowledges it; returns what each
 * attempt with an unknown outcome got (`503 SHARD_MOVING`, `network error`). Such an attempt may have
 * committed, so its retry can make one more revision: still right, if each is applied once.
 */
export async function putCampaign(
  routerUrl: string,
  key: string,
  n: number,
  profile: ProfileTargets,
): Promise<string[]> {
  const body = JSON.stringify({ name: `${key} #${n}`, status: 'active', budgetCents: 100 * n, profile });
  const started = performance.now();
  const unknown: string[] = [];
  while (performance.now() - started < 30_000) {
    const response = await fetch(`${routerUrl}/campaign/${key}`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body,
      signal: AbortSignal.timeout(15_000),
    }).catch(() => undefined);
    const text = (await response?.text().catch(() => '')) ?? '';
    if (response?.status === 200) return unknown;
    if (response !== undefined && response.status !== 421 && response.status < 500) {
      throw new Error(`PUT /campaign/${key} was refused: ${response.status} ${text}`);
    }
    unknown.push(response === undefined ? 'network error' : `${response.status} ${errorCode(text)}`);
    await sleep(50);
  }
  throw new Error(`PUT /campaign/${key} was not acknowledged within 30 s`);
}

/**
 * What the demo knows of a key from its own writes: writes acknowledged, what each attempt of
 * unknown outcome got, and the targeting of the last acknowledged write.
 */
export interface Written {
  writes: number;
  unknown: string[];
  targeting: ProfileTargets;
}

/** Concurrent writers, each owning a slice of the keys, so one key's writes never overlap. */
export class CampaignFlow {
  acknowledged = 0;
  readonly written = new Map<string, Written>();
  #stopping = false;
  readonly done: Promise<void>;

  constructor(routerUrl: string, keys: readonly string[], writers: number) {
    const slices = Array.from({ length: writers }, (_, w) => keys.filter((_, i) => i % writers === w));
    this.done = Promise.all(slices.map((slice) => this.#write(routerUrl, slice))).then(() => undefined);
  }

  async #write(routerUrl: string, keys: readonly string[]): Promise<void> {
    for (let n = 1; !this.#stopping; n += 1) {
      for (const key of keys) {
        if (this.#stopping) return;
        // Each update's targeting differs, so a profile ends right only by holding the last one.
        const targeting = targetingFor(`${key}#${n}`);
        const unknown = await putCampaign(routerUrl, key, n, targeting);
        const before = this.written.get(key);
        this.written.set(key, { writes: n, unknown: [...(before?.unknown ?? []), ...unknown], targeting });
        this.acknowledged += 1;
      }
    }
  }

  /** Attempts with an unknown outcome, over all keys. */
  get unknown(): string[] {
    return [...this.written.values()].flatMap((w) => w.unknown);
  }

  /** Lets each writer finish the write it has begun; resolves with the error that stopped one, if any. */
  async stop(): Promise<Error | undefined> {
    this.#stopping = true;
    return this.done.then(
      () => undefined,
      (error: unknown) => (error instanceof Error ? error : new Error('a writer failed')),
    );
  }
}

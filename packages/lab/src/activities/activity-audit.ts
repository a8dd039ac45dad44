/**
 * Reads, through the router, what both sides of every campaign → profile activity hold once
 * a run has healed: the campaign and its profile, each one's activity state (sequences sent,
 * acknowledged and applied, the pending queue), and the cluster's dead letters. It first
 * waits for every queue to drain and for two readings in a row to agree, so the activities
 * checker judges a settled cluster and can say how long draining took. It only reads: it never delivers, replays or repairs.
 */
import {
  activityStateSchema,
  deadLettersAnswerSchema,
  type ActivityState,
  type DeadLetterView,
} from '@isx/core';
import { setTimeout as sleep } from 'node:timers/promises';

/** Both sides of one key's activity. An entity that does not exist reads as undefined. */
export interface KeyAudit {
  readonly key: string;
  readonly campaign?: Record<string, unknown> | undefined;
  readonly profile?: Record<string, unknown> | undefined;
  /** The campaign's activity state (the sender of `set-targets`). */
  readonly sender: ActivityState;
  /** The profile's activity state (the sender of `targets-applied`). */
  readonly receiver: ActivityState;
}

/** What the audit found. */
export interface ActivityAudit {
  /** Whether every queue of every audited entity was empty when the audit read it. */
  readonly drained: boolean;
  /** How long after the audit began the queues were found empty (or when it gave up). */
  readonly drainMs: number;
  readonly keys: readonly KeyAudit[];
  readonly deadLetters: readonly DeadLetterView[];
  /** Nodes the router could not ask for their dead letters. */
  readonly unanswered: readonly string[];
}

export interface AuditOptions {
  /** How long to wait for the queues to drain. */
  readonly drainMs: number;
  /** Called about once a second while waiting, with the number of messages still queued. */
  readonly onWaiting?: (queued: number, elapsedMs: number) => void;
}

/** Waits until every queue of `keys` has drained (or `drainMs` passes), then reads both sides of each. */
export async function auditActivities(
  routerUrl: string,
  keys: readonly string[],
  options: AuditOptions,
): Promise<ActivityAudit> {
  const started = performance.now();
  let lastNote = started;
  let drainedBefore: string | undefined;
  for (;;) {
    const snapshot = await readKeys(routerUrl, keys).catch(() => undefined);
    const queued = snapshot === undefined ? Number.NaN : queuedMessages(snapshot);
    const elapsed = performance.now() - started;
    // The four reads of a key are not one snapshot: an answer may be on its way between them.
    // Once drained, the cluster stops changing, so two equal drained readings in a row are settled.
    const reading = queued === 0 ? JSON.stringify(snapshot) : undefined;
    if ((reading !== undefined && reading === drainedBefore) || elapsed > options.drainMs) {
      const dead = await readDeadLetters(routerUrl);
      return {
        drained: queued === 0,
        drainMs: Math.round(elapsed),
        keys: snapshot ?? (await readKeys(routerUrl, keys)),
        ...dead,
      };
    }
    drainedBefore = reading;
    if (performance.now() - lastNote >= 1_000) {
      lastNote = performance.now();
      options.onWaiting?.(queued, elapsed);
    }
    await sleep(reading === undefined ? 200 : 100);
  }
}

/** Messages still queued on either side, over all keys. */
export function queuedMessages(keys: readonly KeyAudit[]): number {
  const queued = (activity: ActivityState): number =>
    Object.values(activity.out ?? {}).reduce((sum, partner) => sum + partner.pending.length, 0);
  return keys.reduce((sum, key) => sum + queued(key.sender) + queued(key.receiver), 0);
}

async function readKeys(routerUrl: string, keys: readonly string[]): Promise<KeyAudit[]> {
  return Promise.all(
    keys.map(async (key) => {
      const [campaign, profile, sender, receiver] = await Promise.all([
        readData(routerUrl, `campaign/${encodeURIComponent(key)}`),
        readData(routerUrl, `profile/${encodeURIComponent(key)}`),
        readActivity(routerUrl, `campaign/${encodeURIComponent(key)}`),
        readActivity(routerUrl, `profile/${encodeURIComponent(key)}`),
      ]);
      return { key, campaign, profile, sender, receiver };
    }),
  );
}

async function readData(routerUrl: string, path: string): Promise<Record<string, unknown> | undefined> {
  const response = await fetch(`${routerUrl}/${path}`, { signal: AbortSignal.timeout(5_000) });
  const body = (await response.json()) as { data?: Record<string, unknown> };
  if (response.status === 404) return undefined;
  if (response.status !== 200) throw new Error(`GET /${path} answered ${response.status}`);
  return body.data;
}

async function readActivity(routerUrl: string, path: string): Promise<ActivityState> {
  const response = await fetch(`${routerUrl}/${path}/activities`, { signal: AbortSignal.timeout(5_000) });
  // An entity never written has no activity.
  if (response.status === 404) {
    await response.arrayBuffer();
    return {};
  }
  if (response.status !== 200) throw new Error(`GET /${path}/activities answered ${response.status}`);
  const body = (await response.json()) as { activity?: unknown };
  return activityStateSchema.parse(body.activity ?? {});
}

async function readDeadLetters(
  routerUrl: string,
): Promise<{ deadLetters: DeadLetterView[]; unanswered: string[] }> {
  const response = await fetch(`${routerUrl}/cluster/dead-letters`, { signal: AbortSignal.timeout(5_000) });
  const answer = deadLettersAnswerSchema.parse(await response.json());
  return { deadLetters: answer.deadLetters, unanswered: answer.unanswered ?? [] };
}

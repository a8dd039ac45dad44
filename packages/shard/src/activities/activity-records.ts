/**
 * Pure changes to an entity's activity state (see `activityStateSchema` in `@isx/core`): the
 * entity host applies them inside the write that also changes the entity, so a message is
 * queued, applied or acknowledged in the same atomic batch as the state it belongs with.
 */
import {
  addressName,
  type ActivityState,
  type EntityAddress,
  type OutgoingActivity,
  type OutgoingMessage,
} from '@isx/core';

const NO_PARTNER: OutgoingActivity = { sent: 0, acked: 0, pending: [] };

/** Queues `messages` for delivery, numbering them per receiver after the last one sent. */
export function queueMessages(
  activity: ActivityState | undefined,
  messages: readonly OutgoingMessage[],
  sentAt: string,
): ActivityState | undefined {
  if (messages.length === 0) return activity;
  const out: Record<string, OutgoingActivity> = { ...activity?.out };
  for (const message of messages) {
    const partner = addressName(message.to);
    const before = out[partner] ?? NO_PARTNER;
    const seq = before.sent + 1;
    out[partner] = {
      ...before,
      sent: seq,
      pending: [...before.pending, { seq, kind: message.kind, payload: message.payload, sentAt }],
    };
  }
  return { ...activity, out };
}

/** Whether message `seq` from `from` was applied already (a repeat, to acknowledge without effect). */
export function isRepeat(activity: ActivityState | undefined, from: EntityAddress, seq: number): boolean {
  return seq <= (activity?.in?.[addressName(from)]?.applied ?? 0);
}

/** Records that message `seq` from `from` was applied. */
export function recordApplied(
  activity: ActivityState | undefined,
  from: EntityAddress,
  seq: number,
): ActivityState {
  return { ...activity, in: { ...activity?.in, [addressName(from)]: { applied: seq } } };
}

/** Drops the messages to `partner` up to `seq`, which it acknowledged. */
export function acknowledge(
  activity: ActivityState | undefined,
  partner: string,
  seq: number,
): ActivityState | undefined {
  const before = activity?.out?.[partner];
  if (!before || seq <= before.acked) return activity;
  const after: OutgoingActivity = {
    ...before,
    acked: Math.min(seq, before.sent),
    pending: before.pending.filter((m) => m.seq > seq),
  };
  return { ...activity, out: { ...activity.out, [partner]: after } };
}

/** Moves message `seq` to `partner` from the pending queue to the dead letters. */
export function park(
  activity: ActivityState | undefined,
  partner: string,
  seq: number,
  why: { reason: string; attempts: number; at: string },
): ActivityState | undefined {
  const before = activity?.out?.[partner];
  const message = before?.pending.find((m) => m.seq === seq);
  if (!before || !message) return activity;
  return {
    ...activity,
    out: { ...activity.out, [partner]: { ...before, pending: before.pending.filter((m) => m.seq !== seq) } },
    dead: [
      ...(activity.dead ?? []),
      { ...message, to: partner, reason: why.reason, attempts: why.attempts, parkedAt: why.at },
    ],
  };
}

/**
 * Puts dead letters back in the queue (all of them, or those to `partner`, or the one with
 * `seq`), each under a new sequence number after the last one sent: the receiver may have
 * applied later messages of the pair meanwhile, and would take an old number for a repeat.
 */
export function requeueDead(
  activity: ActivityState | undefined,
  which: { partner?: string | undefined; seq?: number | undefined },
): { activity: ActivityState | undefined; requeued: number } {
  const dead = activity?.dead ?? [];
  const chosen = dead.filter(
    (d) =>
      (which.partner === undefined || d.to === which.partner) &&
      (which.seq === undefined || d.seq === which.seq),
  );
  if (chosen.length === 0) return { activity, requeued: 0 };
  const out: Record<string, OutgoingActivity> = { ...activity?.out };
  for (const letter of chosen) {
    const before = out[letter.to] ?? NO_PARTNER;
    const seq = before.sent + 1;
    out[letter.to] = {
      ...before,
      sent: seq,
      pending: [
        ...before.pending,
        { seq, kind: letter.kind, payload: letter.payload, sentAt: letter.sentAt },
      ],
    };
  }
  const rest = dead.filter((d) => !chosen.includes(d));
  return {
    activity: { ...activity, out, ...(rest.length > 0 ? { dead: rest } : { dead: [] }) },
    requeued: chosen.length,
  };
}

/**
 * Activities applied exactly once (issue 7). Every campaign write of the workload carries a
 * profile part, which the campaign sends to its profile entity (`set-targets`), and the
 * profile answers (`targets-applied`). Once the run has healed and the queues have drained,
 * the two sides of each key must agree:
 * - every message sent was applied once: the profile's count of updates applied, the
 *   sequence it recorded as applied, and the campaign's sequence sent are one number;
 * - every acknowledged write sent its message: no fewer messages than acknowledged writes,
 *   and no more than the writes that may have happened (acknowledged or uncertain);
 * - every answer came back once: the campaign applied each answer the profile sent;
 * - every queue drained and nothing was parked as a dead letter;
 * - the profile ends with the targeting of the campaign's last write, at its revision.
 * It reads the audit the runner took and the operations of the history; it changes neither.
 */
import { targetingFor } from '../activities/profile-targeting.js';
import type { KeyAudit } from '../activities/activity-audit.js';
import type { Operation } from '../history/operations.js';
import type { Anomaly, Checker, CheckerContext, CheckerResult } from './checker.js';

const WRITES: ReadonlySet<string> = new Set(['write', 'cas', 'create']);

/** The per-key numbers the checker compares. */
interface KeyFigures {
  readonly acknowledgedWrites: number;
  readonly uncertainWrites: number;
  readonly sent: number;
  readonly acked: number;
  readonly pending: number;
  readonly applied: number;
  readonly updates: number;
  readonly answersSent: number;
  readonly answersAcked: number;
  readonly answersPending: number;
  readonly answersApplied: number;
}

export class ActivitiesChecker implements Checker {
  readonly name = 'activities';

  check(context: CheckerContext): CheckerResult {
    const audit = context.activities;
    if (audit === undefined) {
      return {
        checker: this.name,
        valid: 'unknown',
        summary: 'the activities could not be read after the run, so exactly-once was not checked',
        figures: {},
        anomalies: [],
      };
    }
    const writesByKey = new Map<string, Operation[]>();
    for (const op of context.operations) {
      if (!op.final && WRITES.has(op.f)) writesByKey.set(op.key, [...(writesByKey.get(op.key) ?? []), op]);
    }
    const anomalies: Anomaly[] = [];
    const totals = { sent: 0, applied: 0, updates: 0, answers: 0, acknowledgedWrites: 0, uncertainWrites: 0 };
    for (const key of audit.keys) {
      const writes = writesByKey.get(key.key) ?? [];
      const figures = figuresOf(key, writes);
      totals.sent += figures.sent;
      totals.applied += figures.applied;
      totals.updates += figures.updates;
      totals.answers += figures.answersApplied;
      totals.acknowledgedWrites += figures.acknowledgedWrites;
      totals.uncertainWrites += figures.uncertainWrites;
      for (const [kind, message] of problemsOf(key, figures)) {
        anomalies.push({ kind, key: key.key, message, operations: writes });
      }
    }
    for (const dead of audit.deadLetters) {
      anomalies.push({
        kind: 'dead-letter',
        key: dead.sender.key,
        message: `${dead.sender.type}/${dead.sender.key} parked message ${dead.seq} (${dead.kind}) to ${dead.to}: ${dead.reason}`,
        operations: [],
      });
    }
    const notes = [
      audit.drained
        ? `every queue had drained ${audit.drainMs} ms after the cluster went quiet`
        : `messages were still queued ${audit.drainMs} ms after the cluster went quiet`,
      ...(audit.unanswered.length === 0
        ? []
        : [`dead letters of ${audit.unanswered.join(', ')} could not be read`]),
    ];
    const valid = anomalies.length === 0 && audit.drained && audit.unanswered.length === 0;
    return {
      checker: this.name,
      valid,
      summary: valid
        ? `${totals.sent} message(s) sent by ${audit.keys.length} campaign(s), each applied exactly once by its profile and answered once; every queue drained in ${audit.drainMs} ms`
        : `${anomalies.length} anomal${anomalies.length === 1 ? 'y' : 'ies'}: ${[...new Set(anomalies.map((a) => a.kind))].join(', ') || 'queues not drained'}`,
      figures: {
        keys: audit.keys.length,
        messagesSent: totals.sent,
        messagesApplied: totals.applied,
        profileUpdates: totals.updates,
        answersApplied: totals.answers,
        acknowledgedWrites: totals.acknowledgedWrites,
        uncertainWrites: totals.uncertainWrites,
        drainMs: audit.drainMs,
        deadLetters: audit.deadLetters.length,
        anomalies: anomalies.length,
      },
      anomalies,
      notes,
    };
  }
}

function figuresOf(key: KeyAudit, writes: readonly Operation[]): KeyFigures {
  const toProfile = key.sender.out?.[`profile/${key.key}`];
  const toCampaign = key.receiver.out?.[`campaign/${key.key}`];
  const updates = key.profile?.updates;
  return {
    acknowledgedWrites: writes.filter((op) => op.outcome === 'ok').length,
    uncertainWrites: writes.filter((op) => op.outcome === 'info').length,
    sent: toProfile?.sent ?? 0,
    acked: toProfile?.acked ?? 0,
    pending: toProfile?.pending.length ?? 0,
    applied: key.receiver.in?.[`campaign/${key.key}`]?.applied ?? 0,
    updates: typeof updates === 'number' ? updates : 0,
    answersSent: toCampaign?.sent ?? 0,
    answersAcked: toCampaign?.acked ?? 0,
    answersPending: toCampaign?.pending.length ?? 0,
    answersApplied: key.sender.in?.[`profile/${key.key}`]?.applied ?? 0,
  };
}

/** Each way the two sides of a key disagree, as `[kind, message]`. */
function problemsOf(key: KeyAudit, f: KeyFigures): [string, string][] {
  const problems: [string, string][] = [];
  const k = key.key;
  if (f.updates > f.sent || f.applied > f.sent) {
    problems.push([
      'applied-twice',
      `campaign ${k} sent ${f.sent} message(s) but profile ${k} applied ${f.updates} update(s) (applied sequence ${f.applied})`,
    ]);
  } else if (f.updates < f.sent || f.applied < f.sent) {
    problems.push([
      'lost-message',
      `campaign ${k} sent ${f.sent} message(s) but profile ${k} applied ${f.updates} update(s) (applied sequence ${f.applied})`,
    ]);
  } else if (f.updates !== f.applied) {
    problems.push([
      'applied-twice',
      `profile ${k} counted ${f.updates} update(s) but recorded ${f.applied} as applied`,
    ]);
  }
  if (f.sent < f.acknowledgedWrites) {
    problems.push([
      'lost-send',
      `campaign ${k} acknowledged ${f.acknowledgedWrites} write(s) with a profile part but sent only ${f.sent} message(s)`,
    ]);
  }
  if (f.sent > f.acknowledgedWrites + f.uncertainWrites) {
    problems.push([
      'phantom-send',
      `campaign ${k} sent ${f.sent} message(s), more than the ${f.acknowledgedWrites + f.uncertainWrites} write(s) that may have happened`,
    ]);
  }
  if (f.answersApplied !== f.answersSent) {
    problems.push([
      f.answersApplied > f.answersSent ? 'applied-twice' : 'lost-message',
      `profile ${k} sent ${f.answersSent} answer(s) and campaign ${k} applied ${f.answersApplied}`,
    ]);
  }
  if (f.pending > 0 || f.acked < f.sent || f.answersPending > 0 || f.answersAcked < f.answersSent) {
    problems.push([
      'undrained',
      `campaign ${k}: ${f.acked} of ${f.sent} acknowledged, ${f.pending} queued; profile ${k}: ${f.answersAcked} of ${f.answersSent} answers acknowledged, ${f.answersPending} queued`,
    ]);
  }
  const revision = Number(key.campaign?.profileRevision ?? 0);
  if (revision !== f.sent) {
    problems.push([
      'torn-write',
      `campaign ${k} counts profile revision ${revision} but its outbox numbered ${f.sent} message(s): state and message were not written together`,
    ]);
  }
  const wrong = wrongProfile(key);
  if (wrong !== undefined) problems.push(['wrong-profile', wrong]);
  return problems;
}

/** Why the profile does not hold the campaign's last targeting at its revision, or undefined. */
function wrongProfile({ key, campaign, profile }: KeyAudit): string | undefined {
  if (campaign === undefined)
    return profile === undefined ? undefined : `profile ${key} exists without its campaign`;
  const revision = campaign.profileRevision === undefined ? undefined : Number(campaign.profileRevision);
  if (revision === undefined)
    return profile === undefined ? undefined : `profile ${key} exists but campaign ${key} never sent one`;
  if (profile === undefined)
    return `campaign ${key} is at profile revision ${revision} but profile ${key} does not exist`;
  if (profile.revision !== revision) {
    return `campaign ${key} is at profile revision ${revision}, profile ${key} at ${String(profile.revision)}`;
  }
  if (campaign.profileAppliedRevision !== revision || campaign.profileSync !== 'applied') {
    return `campaign ${key} records revision ${String(campaign.profileAppliedRevision)} applied (${String(campaign.profileSync)}) where its profile holds ${revision}`;
  }
  const expected = targetingFor(String(campaign.name));
  const held = {
    osTargets: profile.osTargets,
    deviceTargets: profile.deviceTargets,
    geoTargets: profile.geoTargets,
  };
  if (JSON.stringify(held) !== JSON.stringify(expected)) {
    return `profile ${key} holds ${JSON.stringify(held)}, not the targeting of campaign ${key}'s last write (${String(campaign.name)}): ${JSON.stringify(expected)}`;
  }
  return undefined;
}

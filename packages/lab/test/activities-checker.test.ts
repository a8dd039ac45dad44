/**
 * The activities checker on audits built by hand: a settled pair of campaign and profile is
 * valid, and each way of breaking exactly-once (a message applied twice or lost, an
 * acknowledged write that sent nothing, a queue that never drained, a dead letter, a profile
 * left with the wrong targeting) is named.
 */
import { expect } from 'chai';
import { parseExperimentSpec, type ActivityState } from '@isx/core';
import type { ActivityAudit, KeyAudit } from '../src/activities/activity-audit.js';
import { targetingFor } from '../src/activities/profile-targeting.js';
import { ActivitiesChecker } from '../src/checkers/activities.js';
import type { CheckerResult } from '../src/checkers/checker.js';
import type { Operation } from '../src/history/operations.js';
import { op } from './support/operations.js';

const spec = parseExperimentSpec({
  name: 't',
  description: 'd',
  seed: 1,
  cluster: { nodes: 2, services: ['campaign', 'profile'] },
  workload: { durationMs: 1000, withProfile: true, mix: { delete: 0 } },
  checkers: ['activities'],
});

const drained = (n: number) => ({ sent: n, acked: n, pending: [] });

/** A key whose campaign wrote `revisions` times, last with `last`, all delivered and answered. */
function settledKey(key: string, revisions: number, last: string): KeyAudit {
  return {
    key,
    campaign: {
      name: last,
      profileRevision: revisions,
      profileAppliedRevision: revisions,
      profileSync: 'applied',
    },
    profile: { ...targetingFor(last), campaign: key, revision: revisions, updates: revisions },
    sender: {
      out: { [`profile/${key}`]: drained(revisions) },
      in: { [`profile/${key}`]: { applied: revisions } },
    },
    receiver: {
      out: { [`campaign/${key}`]: drained(revisions) },
      in: { [`campaign/${key}`]: { applied: revisions } },
    },
  };
}

const writes = (key: string, ok: number, info = 0): Operation[] => [
  ...Array.from({ length: ok }, (_, i) => op({ f: 'write', key, value: `v${i}`, at: i, until: i + 1 })),
  ...Array.from({ length: info }, (_, i) =>
    op({
      f: 'write',
      key,
      value: `u${i}`,
      at: 50 + i,
      until: 60,
      outcome: 'info',
      result: { error: 'TIMEOUT' },
    }),
  ),
];

function check(keys: KeyAudit[], operations: Operation[], extra: Partial<ActivityAudit> = {}): CheckerResult {
  const activities: ActivityAudit = {
    drained: true,
    drainMs: 12,
    keys,
    deadLetters: [],
    unanswered: [],
    ...extra,
  };
  return new ActivitiesChecker().check({ spec, operations, faults: [], workloadNs: 1e9, activities });
}

const kinds = (result: CheckerResult): string[] => result.anomalies.map((a) => a.kind);

describe('the activities checker', function () {
  it('finds a settled pair valid, counting messages and answers', function () {
    const result = check([settledKey('k0', 3, 'v2')], writes('k0', 3));
    expect(result.valid, result.summary).to.equal(true);
    expect(result.figures).to.include({
      messagesSent: 3,
      messagesApplied: 3,
      profileUpdates: 3,
      answersApplied: 3,
    });
  });

  it('allows a message sent by a write whose outcome was unknown', function () {
    expect(check([settledKey('k0', 3, 'v1')], writes('k0', 2, 1)).valid).to.equal(true);
  });

  it('names a message applied twice', function () {
    const key = settledKey('k0', 3, 'v2');
    const twice = { ...key, profile: { ...key.profile, updates: 4 } };
    const result = check([twice], writes('k0', 3));
    expect(result.valid).to.equal(false);
    expect(kinds(result)).to.deep.equal(['applied-twice']);
  });

  it('names a message lost after it was sent', function () {
    const key = settledKey('k0', 3, 'v2');
    const receiver: ActivityState = { ...key.receiver, in: { 'campaign/k0': { applied: 2 } } };
    const lost = { ...key, receiver, profile: { ...key.profile, updates: 2 } };
    expect(kinds(check([lost], writes('k0', 3)))).to.include('lost-message');
  });

  it('names an acknowledged write that sent nothing, and a message no write accounts for', function () {
    expect(kinds(check([settledKey('k0', 2, 'v1')], writes('k0', 3)))).to.include('lost-send');
    expect(kinds(check([settledKey('k0', 4, 'v1')], writes('k0', 3)))).to.include('phantom-send');
  });

  it('names a queue that did not drain, and is invalid when the audit gave up waiting', function () {
    const key = settledKey('k0', 2, 'v1');
    const pending = { seq: 2, kind: 'set-targets', payload: {}, sentAt: 'then' };
    const stuck = {
      ...key,
      sender: { ...key.sender, out: { 'profile/k0': { sent: 2, acked: 1, pending: [pending] } } },
    };
    expect(kinds(check([stuck], writes('k0', 2)))).to.include('undrained');
    expect(check([key], writes('k0', 2), { drained: false }).valid).to.equal(false);
  });

  it('names a dead letter', function () {
    const dead = {
      sender: { type: 'campaign', key: 'k0' },
      to: 'profile/k0',
      seq: 1,
      kind: 'set-targets',
      payload: {},
      sentAt: 'then',
      reason: 'MAX_ATTEMPTS',
      attempts: 20,
      parkedAt: 'now',
    };
    expect(kinds(check([settledKey('k0', 1, 'v0')], writes('k0', 1), { deadLetters: [dead] }))).to.deep.equal(
      ['dead-letter'],
    );
  });

  it('names a profile left with a targeting other than the last write’s', function () {
    const key = settledKey('k0', 2, 'v1');
    const wrong = { ...key, profile: { ...key.profile, ...targetingFor('v0'), osTargets: ['tv-os'] } };
    expect(kinds(check([wrong], writes('k0', 2)))).to.deep.equal(['wrong-profile']);
  });

  it('cannot judge without an audit', function () {
    const result = new ActivitiesChecker().check({ spec, operations: [], faults: [], workloadNs: 1 });
    expect(result.valid).to.equal('unknown');
  });
});

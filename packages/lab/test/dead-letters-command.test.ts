/** `isx dead-letters`: the table, and the usage it insists on for a replay. */
import { expect } from 'chai';
import { deadLettersCommand, deadLettersTable } from '../src/dead-letters-command.js';

describe('isx dead-letters', () => {
  it('lists each dead letter with its sender, receiver, reason and attempts, and names unanswered nodes', () => {
    const table = deadLettersTable({
      deadLetters: [
        {
          sender: { type: 'campaign', key: 'spring' },
          to: 'profile/spring',
          seq: 3,
          kind: 'set-targets',
          payload: {},
          sentAt: '2026-11-23T10:00:00.000Z',
          reason: 'MAX_ATTEMPTS (last: NODE_UNAVAILABLE)',
          attempts: 20,
          parkedAt: '2026-11-23T10:02:00.000Z',
        },
      ],
      unanswered: ['node-4'],
    });
    expect(table).to.match(/SENDER\s+TO\s+SEQ\s+KIND\s+ATTEMPTS\s+REASON\s+PARKED AT/);
    expect(table).to.match(/campaign\/spring\s+profile\/spring\s+3\s+set-targets\s+20\s+MAX_ATTEMPTS/);
    expect(table).to.match(/not asked: node-4/);
    expect(deadLettersTable({ deadLetters: [] })).to.equal('No dead letters.');
  });

  it('refuses a replay without a sender of the form type/key, before asking anyone', async () => {
    for (const args of [
      ['replay'],
      ['replay', 'spring'],
      ['resend', 'campaign/spring'],
      ['replay', 'campaign/a', 'x'],
    ]) {
      const error = await deadLettersCommand(args, () => undefined).then(
        () => undefined,
        (e: Error) => e,
      );
      expect(error?.message, args.join(' ')).to.match(/usage: isx dead-letters/);
    }
  });
});

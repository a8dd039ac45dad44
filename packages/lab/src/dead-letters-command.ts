/**
 * `isx dead-letters`: the messages senders gave up on (DESIGN §7), from
 * `GET /cluster/dead-letters`; `isx dead-letters replay SENDER [--to RECEIVER] [--seq N]` has the
 * sender's primary send them again (`POST /cluster/dead-letters/replay`, with the cluster token).
 */
import { parseArgs } from 'node:util';
import {
  CLUSTER_TOKEN_ENV,
  CLUSTER_TOKEN_HEADER,
  deadLettersAnswerSchema,
  deadLettersFlagsSchema,
  parseAddressName,
  validationError,
  type DeadLettersAnswer,
} from '@isx/core';
import { formatTable } from './table.js';

export const DEAD_LETTERS_USAGE =
  'usage: isx dead-letters [--router URL] [--json]\n       isx dead-letters replay SENDER [--to RECEIVER] [--seq N] [--router URL]';

/** Runs the command; resolves with the exit status (2: bad usage or a refused request). */
export async function deadLettersCommand(
  args: readonly string[],
  write: (text: string) => void = (text) => process.stdout.write(text),
): Promise<number> {
  const { values, positionals } = parseArgs({
    args: [...args],
    allowPositionals: true,
    options: {
      router: { type: 'string' },
      json: { type: 'boolean' },
      to: { type: 'string' },
      seq: { type: 'string' },
    },
  });
  const parsed = deadLettersFlagsSchema.safeParse(values);
  if (!parsed.success) throw new Error(validationError(parsed.error, 'command line').message);
  const flags = parsed.data;
  const router = flags.router.replace(/\/+$/, '');
  if (positionals.length === 0) {
    const answer = deadLettersAnswerSchema.parse(
      await (await fetch(`${router}/cluster/dead-letters`)).json(),
    );
    write(flags.json ? `${JSON.stringify(answer, null, 2)}\n` : `${deadLettersTable(answer)}\n`);
    return 0;
  }
  const sender = positionals[1] === undefined ? undefined : parseAddressName(positionals[1]);
  if (positionals[0] !== 'replay' || !sender || positionals.length > 2) throw new Error(DEAD_LETTERS_USAGE);
  const token = process.env[CLUSTER_TOKEN_ENV];
  if (!token) throw new Error(`${CLUSTER_TOKEN_ENV} must hold the cluster token`);
  const response = await fetch(`${router}/cluster/dead-letters/replay`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', [CLUSTER_TOKEN_HEADER]: token },
    body: JSON.stringify({
      sender,
      ...(flags.to === undefined ? {} : { to: flags.to }),
      ...(flags.seq === undefined ? {} : { seq: flags.seq }),
    }),
  });
  const answer = (await response.json()) as { requeued?: number; error?: { code: string; message: string } };
  if (!response.ok)
    throw new Error(`${answer.error?.code ?? response.status}: ${answer.error?.message ?? ''}`);
  write(`${answer.requeued ?? 0} message(s) of ${positionals[1]} are queued again.\n`);
  return 0;
}

/** The dead letters as a table, oldest first. */
export function deadLettersTable(answer: DeadLettersAnswer): string {
  const missing =
    answer.unanswered && answer.unanswered.length > 0
      ? `\n(not asked: ${answer.unanswered.join(', ')}; their dead letters are not listed)`
      : '';
  if (answer.deadLetters.length === 0) return `No dead letters.${missing}`;
  return (
    formatTable(
      ['SENDER', 'TO', 'SEQ', 'KIND', 'ATTEMPTS', 'REASON', 'PARKED AT'],
      answer.deadLetters.map((d) => [
        `${d.sender.type}/${d.sender.key}`,
        d.to,
        String(d.seq),
        d.kind,
        String(d.attempts),
        d.reason,
        d.parkedAt,
      ]),
    ) + missing
  );
}

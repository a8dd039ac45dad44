/**
 * The advertiser entity: a budget, and the tentative holds bookings have on it.
 *
 * A booking asks to `reserve` an amount; the advertiser holds it if the uncommitted remainder
 * covers it and answers `reservation-held`, or refuses with `reservation-refused`. The booking
 * later sends `confirm` (the hold becomes spent) or `cancel` (the hold is released). After every
 * write and every message, `spentCents + heldCents <= budgetCents`: that is the invariant this
 * entity alone keeps, without any transaction spanning it and its bookings.
 *
 * Each handler is idempotent and safe in any order, on its own: it decides from what it
 * already knows of the booking (an open hold, or how the booking ended), not from message
 * numbers. A booking that ended is remembered in `closed`, so that a repeated or late
 * `reserve` cannot hold money again for a booking that will never confirm or cancel it.
 *
 * Scale-agnostic: nothing here knows where advertisers or bookings live.
 */
import {
  defineEntity,
  IsxError,
  withMessages,
  type HandleContext,
  type Outcome,
  type OutgoingMessage,
} from '@isx/core';
import { z } from 'zod';
import {
  ADVERTISER_TYPE,
  cancelSchema,
  confirmSchema,
  KINDS,
  reserveSchema,
  type Reserve,
  type ReservationRefused,
} from './messages.js';

/** What a client writes to `PUT /advertiser/:id`. */
export const advertiserInputSchema = z.strictObject({
  name: z.string().trim().min(1, 'name must not be empty').max(200),
  budgetCents: z
    .int({ error: 'budgetCents is a whole number of cents' })
    .min(0, 'budgetCents must not be negative'),
});
export type AdvertiserInput = z.infer<typeof advertiserInputSchema>;

/** How a booking the advertiser is done with ended. */
export const CLOSED_OUTCOMES = ['confirmed', 'cancelled', 'refused'] as const;
export type ClosedOutcome = (typeof CLOSED_OUTCOMES)[number];

/** What is stored and read back. */
export interface Advertiser extends AdvertiserInput {
  readonly id: string;
  /** Money spent: confirmed holds. Final: a later cancel does not give it back. */
  readonly spentCents: number;
  /** Tentative holds by booking key: promised, neither spent nor released yet. */
  readonly holds: Readonly<Record<string, number>>;
  /** The sum of `holds`. */
  readonly heldCents: number;
  /** `budgetCents - spentCents - heldCents`: the most a new reservation may take. */
  readonly availableCents: number;
  /** How each booking it is done with ended, by booking key, so a repeat changes nothing. */
  readonly closed: Readonly<Record<string, ClosedOutcome>>;
  readonly createdAt: string;
  readonly updatedAt: string;
}

type Ledger = Omit<Advertiser, 'heldCents' | 'availableCents'>;

/** The state with its totals worked out from the ledger: they are never set any other way. */
function withTotals(ledger: Ledger): Advertiser {
  const { holds, closed, createdAt, updatedAt, ...money } = ledger;
  const heldCents = Object.values(holds).reduce((sum, amount) => sum + amount, 0);
  const availableCents = money.budgetCents - money.spentCents - heldCents;
  return { ...money, heldCents, availableCents, holds, closed, createdAt, updatedAt };
}

/** A record's own entry: booking keys such as `constructor` must not find inherited members. */
function entryOf<T>(record: Readonly<Record<string, T>>, key: string): T | undefined {
  return Object.hasOwn(record, key) ? record[key] : undefined;
}

function withoutHold(holds: Readonly<Record<string, number>>, booking: string): Record<string, number> {
  return Object.fromEntries(Object.entries(holds).filter(([key]) => key !== booking));
}

function refusal(to: HandleContext['from'], payload: ReservationRefused): OutgoingMessage {
  return { to, kind: KINDS.refused, payload };
}

/** An answer that leaves the advertiser as it was. */
function answerOnly(message: OutgoingMessage): Outcome<Advertiser | undefined> {
  return withMessages<Advertiser | undefined>(undefined, message);
}

/**
 * `reserve`: hold the amount if the remainder covers it. A booking already holding is answered
 * with its hold again, one already refused with the refusal again; one that confirmed or
 * cancelled is not answered (it has moved on) and nothing is held for it.
 */
function reserve(
  state: Advertiser | undefined,
  { amountCents }: Reserve,
  { from, now }: HandleContext,
): Outcome<Advertiser | undefined> | undefined {
  if (state === undefined) {
    // There is no advertiser to remember this: a later advertiser of that key starts afresh.
    return answerOnly(refusal(from, { amountCents, reason: 'no-such-advertiser', availableCents: 0 }));
  }
  const booking = from.key;
  const held = entryOf(state.holds, booking);
  if (held !== undefined) {
    return answerOnly({ to: from, kind: KINDS.held, payload: { amountCents: held } });
  }
  const ended = entryOf(state.closed, booking);
  const availableCents = state.availableCents;
  if (ended === 'refused')
    return answerOnly(refusal(from, { amountCents, reason: 'over-budget', availableCents }));
  if (ended !== undefined) return undefined;
  const updatedAt = now.toISOString();
  if (amountCents > availableCents) {
    return withMessages<Advertiser | undefined>(
      withTotals({ ...state, closed: { ...state.closed, [booking]: 'refused' }, updatedAt }),
      refusal(from, { amountCents, reason: 'over-budget', availableCents }),
    );
  }
  return withMessages<Advertiser | undefined>(
    withTotals({ ...state, holds: { ...state.holds, [booking]: amountCents }, updatedAt }),
    { to: from, kind: KINDS.held, payload: { amountCents } },
  );
}

/**
 * `confirm`: the booking's hold becomes spent. Without an open hold there is nothing to spend:
 * a repeat (already confirmed), a confirm after a cancel, or one for a booking never held is
 * ignored, because money is only ever spent from a hold, so the budget can never be overrun.
 */
function confirm(state: Advertiser | undefined, _payload: unknown, { from, now }: HandleContext) {
  const held = state === undefined ? undefined : entryOf(state.holds, from.key);
  if (state === undefined || held === undefined) return undefined;
  return withTotals({
    ...state,
    spentCents: state.spentCents + held,
    holds: withoutHold(state.holds, from.key),
    closed: { ...state.closed, [from.key]: 'confirmed' },
    updatedAt: now.toISOString(),
  });
}

/**
 * `cancel`: the booking's hold is released. A cancel after a confirm changes nothing (spent is
 * final; giving money back would be an operation of its own), nor does a repeat. A cancel
 * that arrives before any reserve of that booking is remembered, so the late reserve holds
 * nothing.
 */
function cancel(state: Advertiser | undefined, _payload: unknown, { from, now }: HandleContext) {
  if (state === undefined) return undefined;
  const booking = from.key;
  const held = entryOf(state.holds, booking);
  if (held === undefined && entryOf(state.closed, booking) !== undefined) return undefined;
  return withTotals({
    ...state,
    holds: withoutHold(state.holds, booking),
    closed: { ...state.closed, [booking]: 'cancelled' },
    updatedAt: now.toISOString(),
  });
}

/**
 * The advertiser entity type. A write sets its name and budget; the ledger (`spentCents`,
 * `holds`, `closed`) changes only by its bookings' messages. A budget below what is already
 * spent or held is refused with `409 CONFLICT`.
 *
 * @example
 * await fetch(`${router}/advertiser/acme`, {
 *   method: 'PUT',
 *   headers: { 'content-type': 'application/json' },
 *   body: JSON.stringify({ name: 'ACME', budgetCents: 10000 }),
 * });
 */
export const advertiser = defineEntity<AdvertiserInput, Advertiser>({
  type: ADVERTISER_TYPE,
  input: advertiserInputSchema,
  keyField: 'id',
  serverFields: ['spentCents', 'holds', 'heldCents', 'availableCents', 'closed', 'createdAt', 'updatedAt'],
  build: (input, { key, now, previous }) => {
    const next = withTotals({
      id: key,
      ...input,
      spentCents: previous?.spentCents ?? 0,
      holds: previous?.holds ?? {},
      closed: previous?.closed ?? {},
      createdAt: previous?.createdAt ?? now.toISOString(),
      updatedAt: now.toISOString(),
    });
    if (next.availableCents < 0) {
      const committedCents = next.spentCents + next.heldCents;
      throw new IsxError(
        'CONFLICT',
        `budgetCents ${input.budgetCents} is below the ${committedCents} cents already spent or held.`,
        {
          details: { budgetCents: input.budgetCents, spentCents: next.spentCents, heldCents: next.heldCents },
        },
      );
    }
    return next;
  },
  receives: {
    [KINDS.reserve]: { payload: reserveSchema, apply: reserve },
    [KINDS.confirm]: { payload: confirmSchema, apply: confirm },
    [KINDS.cancel]: { payload: cancelSchema, apply: cancel },
  },
});

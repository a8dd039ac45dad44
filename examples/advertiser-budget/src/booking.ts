/**
 * The booking entity: a campaign flight that wants to spend an amount of one advertiser's
 * budget, keyed by its own id.
 *
 * Creating a booking sends `reserve` to its advertiser; it reads `reservation: requested`
 * until the advertiser answers `held` or `refused`. The client then writes its `decision`,
 * `confirm` or `cancel`, and the booking sends it on: `confirmed` and `cancelled` are final.
 * A decision written while the answer is still on its way is kept and acted on when the hold
 * arrives, so the client never has to wait for the advertiser. The booking is the only side
 * that decides; the advertiser only keeps its promise.
 *
 * Every handler is idempotent: an answer the booking has already taken changes nothing, and a
 * hold it does not want (it was deleted, refused, or has cancelled) is released with `cancel`,
 * so no money stays held for a booking that will never confirm it.
 *
 * Scale-agnostic: nothing here knows where bookings or advertisers live.
 */
import {
  defineEntity,
  isValidKey,
  IsxError,
  withMessages,
  type HandleContext,
  type Outcome,
} from '@isx/core';
import { z } from 'zod';
import {
  ADVERTISER_TYPE,
  amountCentsSchema,
  BOOKING_TYPE,
  KINDS,
  REFUSAL_REASONS,
  reservationHeldSchema,
  reservationRefusedSchema,
  type ReservationRefused,
} from './messages.js';

/** What the client decides to do with the hold. */
export const DECISIONS = ['confirm', 'cancel'] as const;
export type Decision = (typeof DECISIONS)[number];

/** Where the booking's reservation stands; `refused`, `confirmed` and `cancelled` are final. */
export const RESERVATIONS = ['requested', 'held', 'refused', 'confirmed', 'cancelled'] as const;
export type Reservation = (typeof RESERVATIONS)[number];

/** What a client writes to `PUT /booking/:id`. */
export const bookingInputSchema = z.strictObject({
  advertiser: z
    .string()
    .refine(isValidKey, 'advertiser is the key of an advertiser: 1–256 characters of A-Z a-z 0-9 . _ ~ : -'),
  amountCents: amountCentsSchema,
  decision: z.enum(DECISIONS, { error: 'decision is "confirm" or "cancel"' }).optional(),
});
export type BookingInput = z.infer<typeof bookingInputSchema>;

/** What is stored and read back. */
export interface Booking extends BookingInput {
  readonly id: string;
  readonly reservation: Reservation;
  /** Why the advertiser refused: only when `reservation` is `refused`. */
  readonly refusal?: {
    readonly reason: (typeof REFUSAL_REASONS)[number];
    readonly availableCents: number;
  };
  readonly createdAt: string;
  readonly updatedAt: string;
}

/** The advertiser and the amount are the booking's terms: fixed once it has asked. */
function checkSameTerms(previous: Booking, input: BookingInput): void {
  if (input.advertiser === previous.advertiser && input.amountCents === previous.amountCents) return;
  throw new IsxError(
    'CONFLICT',
    `A booking's advertiser and amountCents cannot change once it has asked for them; create another booking.`,
    { details: { advertiser: previous.advertiser, amountCents: previous.amountCents } },
  );
}

/** The decision after a write: a body without one keeps it; a decision once taken is final. */
function decisionAfter(previous: Booking, wanted: Decision | undefined): Decision | undefined {
  if (wanted === undefined || wanted === previous.decision) return previous.decision;
  if (previous.decision !== undefined) {
    throw new IsxError(
      'CONFLICT',
      `This booking has already decided to ${previous.decision}; that is final.`,
      {
        details: { decision: previous.decision, reservation: previous.reservation },
      },
    );
  }
  if (previous.reservation === 'refused') {
    throw new IsxError(
      'CONFLICT',
      'The advertiser refused this booking: nothing is held, so there is nothing to confirm or cancel.',
      { details: { reservation: previous.reservation, refusal: previous.refusal } },
    );
  }
  return wanted;
}

/** What each decision sends to the advertiser, and where it leaves the reservation. */
const SETTLEMENTS = {
  confirm: { kind: KINDS.confirm, reservation: 'confirmed' },
  cancel: { kind: KINDS.cancel, reservation: 'cancelled' },
} as const satisfies Record<Decision, { kind: string; reservation: Reservation }>;

/**
 * A held booking that has decided sends its decision to its advertiser and is final from then
 * on: the message is durable with this state, so the advertiser will apply it; there is nothing
 * left to wait for. A booking without a decision stays as it is.
 */
function settleIfDecided(booking: Booking): Booking | Outcome<Booking> {
  if (booking.decision === undefined) return booking;
  const { kind, reservation } = SETTLEMENTS[booking.decision];
  return withMessages<Booking>(
    { ...booking, reservation },
    { to: { type: ADVERTISER_TYPE, key: booking.advertiser }, kind, payload: {} },
  );
}

/**
 * `reservation-held`: a requested booking now holds (and settles at once if it has decided).
 * A repeat changes nothing; a hold it does not want is released.
 */
function held(state: Booking | undefined, _payload: unknown, { from, now }: HandleContext) {
  if (state?.reservation === 'requested') {
    return settleIfDecided({ ...state, reservation: 'held', updatedAt: now.toISOString() });
  }
  if (state?.reservation === 'held' || state?.reservation === 'confirmed') return undefined;
  return withMessages<Booking | undefined>(undefined, { to: from, kind: KINDS.cancel, payload: {} });
}

/** `reservation-refused`: a requested booking is refused, with the reason; anything later is ignored. */
function refused(
  state: Booking | undefined,
  { reason, availableCents }: ReservationRefused,
  ctx: HandleContext,
) {
  if (state?.reservation !== 'requested') return undefined;
  const next: Booking = {
    ...state,
    reservation: 'refused',
    refusal: { reason, availableCents },
    updatedAt: ctx.now.toISOString(),
  };
  return next;
}

/**
 * The booking entity type. A first write asks its advertiser for `amountCents`; a later write
 * may add the `decision`. Changing the terms, changing a decision, or deciding on a refused
 * booking is refused with `409 CONFLICT`. Deleting a booking does not release its hold: cancel
 * it first (a hold answered to a booking deleted while it asked is released).
 *
 * @example
 * await fetch(`${router}/booking/spring-flight`, {
 *   method: 'PUT',
 *   headers: { 'content-type': 'application/json' },
 *   body: JSON.stringify({ advertiser: 'acme', amountCents: 2500 }),
 * });
 * // later, once it reads reservation: 'held'
 * await fetch(`${router}/booking/spring-flight`, {
 *   method: 'PATCH',
 *   headers: { 'content-type': 'application/json' },
 *   body: JSON.stringify({ decision: 'confirm' }),
 * });
 */
export const booking = defineEntity<BookingInput, Booking>({
  type: BOOKING_TYPE,
  input: bookingInputSchema,
  keyField: 'id',
  serverFields: ['reservation', 'refusal', 'createdAt', 'updatedAt'],
  build: (input, { key, now, previous }) => {
    const updatedAt = now.toISOString();
    if (previous === undefined) {
      return withMessages<Booking>(
        { id: key, ...input, reservation: 'requested', createdAt: updatedAt, updatedAt },
        {
          to: { type: ADVERTISER_TYPE, key: input.advertiser },
          kind: KINDS.reserve,
          payload: { amountCents: input.amountCents },
        },
      );
    }
    checkSameTerms(previous, input);
    const decision = decisionAfter(previous, input.decision);
    const next: Booking = { ...previous, ...(decision === undefined ? {} : { decision }), updatedAt };
    return previous.reservation === 'held' ? settleIfDecided(next) : next;
  },
  receives: {
    [KINDS.held]: { payload: reservationHeldSchema, apply: held },
    [KINDS.refused]: { payload: reservationRefusedSchema, apply: refused },
  },
});

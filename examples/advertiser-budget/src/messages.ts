/**
 * The contract between a booking and its advertiser: every message kind they exchange, with
 * the zod schema its receiver checks before its handler runs (a payload the schema refuses is
 * refused for good, and never reaches the handler).
 *
 * booking → advertiser: `reserve` (hold this much for me), later `confirm` (spend the hold) or
 * `cancel` (release it). advertiser → booking: `reservation-held` or `reservation-refused`.
 * A hold is named by the booking that asked for it, the message's sender, never by a field of
 * the payload, so no booking can touch another's hold. This module only describes messages.
 */
import { z } from 'zod';

/** The entity type names of the two sides, as they appear in URLs and message addresses. */
export const ADVERTISER_TYPE = 'advertiser';
export const BOOKING_TYPE = 'booking';

/** The message kinds, by what they mean. */
export const KINDS = {
  reserve: 'reserve',
  confirm: 'confirm',
  cancel: 'cancel',
  held: 'reservation-held',
  refused: 'reservation-refused',
} as const;

/** An amount of money to hold or spend: a whole, positive number of cents. */
export const amountCentsSchema = z
  .int({ error: 'an amount is a whole number of cents' })
  .min(1, 'an amount is at least 1 cent');

/** `reserve`: hold this amount for the sending booking. */
export const reserveSchema = z.strictObject({ amountCents: amountCentsSchema });
export type Reserve = z.infer<typeof reserveSchema>;

/** `confirm`: spend what is held for the sending booking. The hold says how much. */
export const confirmSchema = z.strictObject({});

/** `cancel`: release what is held for the sending booking. */
export const cancelSchema = z.strictObject({});

/** `reservation-held`: the advertiser holds this amount for the booking. */
export const reservationHeldSchema = z.strictObject({ amountCents: amountCentsSchema });
export type ReservationHeld = z.infer<typeof reservationHeldSchema>;

/** Why an advertiser refuses: its budget cannot cover the amount, or it does not exist. */
export const REFUSAL_REASONS = ['over-budget', 'no-such-advertiser'] as const;

/** `reservation-refused`: nothing is held; `availableCents` is what was left uncommitted. */
export const reservationRefusedSchema = z.strictObject({
  amountCents: amountCentsSchema,
  reason: z.enum(REFUSAL_REASONS),
  availableCents: z.int().min(0),
});
export type ReservationRefused = z.infer<typeof reservationRefusedSchema>;

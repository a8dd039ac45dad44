/**
 * `@isx/example-advertiser-budget`: Helland's tentative operations between two entities.
 *
 * An advertiser holds a budget; a booking asks it to reserve an amount, and later confirms or
 * cancels the hold. There is no transaction across the two: only messages, delivered at least
 * once and applied exactly once, and handlers that stay right when a message is repeated or
 * comes late. `main.js` starts a node of the service.
 *
 * @example
 * import { advertiserBudgetService } from '@isx/example-advertiser-budget';
 * import { runNodeMain } from '@isx/shard';
 * await runNodeMain(advertiserBudgetService, ['--router', 'http://127.0.0.1:4000', '--data', './data']);
 *
 * @packageDocumentation
 */
export { advertiser, advertiserInputSchema, CLOSED_OUTCOMES } from './advertiser.js';
export type { Advertiser, AdvertiserInput, ClosedOutcome } from './advertiser.js';
export { booking, bookingInputSchema, DECISIONS, RESERVATIONS } from './booking.js';
export type { Booking, BookingInput, Decision, Reservation } from './booking.js';
export {
  ADVERTISER_TYPE,
  amountCentsSchema,
  BOOKING_TYPE,
  cancelSchema,
  confirmSchema,
  KINDS,
  REFUSAL_REASONS,
  reservationHeldSchema,
  reservationRefusedSchema,
  reserveSchema,
} from './messages.js';
export type { Reserve, ReservationHeld, ReservationRefused } from './messages.js';
export { advertiserBudgetService } from './service.js';

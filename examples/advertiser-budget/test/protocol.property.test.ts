/**
 * Properties of the tentative operation, over many random interleavings (fast-check): the
 * advertiser's invariant holds after every step whatever arrives, in whatever order, however
 * often; and once the network is quiet, the advertiser and its bookings agree exactly.
 */
import { expect } from 'chai';
import fc from 'fast-check';
import { advertiser, DECISIONS, type Advertiser } from '@isx/example-advertiser-budget';
import { deliver, stateAfter, write } from './support/entity-harness.js';
import { SimulatedWorld } from './support/simulated-world.js';

const BUDGET = 10_000;
const BOOKINGS = ['b0', 'b1', 'b2', 'b3', 'b4', 'b5'];

function expectInvariant(state: Advertiser, spentBefore: number): void {
  const heldCents = Object.values(state.holds).reduce((sum, amount) => sum + amount, 0);
  expect(state.heldCents, 'heldCents is the sum of the holds').to.equal(heldCents);
  expect(state.spentCents + heldCents, 'spent + held <= budget').to.be.at.most(state.budgetCents);
  expect(state.availableCents).to.equal(state.budgetCents - state.spentCents - heldCents);
  expect(state.spentCents, 'spent never goes back').to.be.at.least(spentBefore);
}

const bookingIndex = fc.integer({ min: 0, max: BOOKINGS.length - 1 });
const direction = fc.constantFrom('to-advertiser' as const, 'to-booking' as const);
const step = fc.oneof(
  fc.record({ op: fc.constant('create' as const), booking: bookingIndex }),
  fc.record({
    op: fc.constant('decide' as const),
    booking: bookingIndex,
    decision: fc.constantFrom(...DECISIONS),
  }),
  fc.record({ op: fc.constant('deliver' as const), booking: bookingIndex, direction }),
  fc.record({ op: fc.constant('redeliver' as const), booking: bookingIndex, direction }),
);

describe('the tentative operation between an advertiser and its bookings (properties)', () => {
  it('keeps spent + held within the budget whatever messages arrive, in any order, repeated', () => {
    const message = fc.record({
      booking: bookingIndex,
      kind: fc.constantFrom('reserve', 'confirm', 'cancel'),
      amountCents: fc.integer({ min: 1, max: 6_000 }),
    });
    fc.assert(
      fc.property(fc.array(message, { maxLength: 60 }), (messages) => {
        let state = write(advertiser, 'acme', undefined, { name: 'ACME', budgetCents: BUDGET }).state!;
        for (const { booking, kind, amountCents } of messages) {
          const result = deliver(advertiser, 'acme', state, {
            from: { type: 'booking', key: BOOKINGS[booking]! },
            kind,
            payload: kind === 'reserve' ? { amountCents } : {},
          });
          const before = state.spentCents;
          state = stateAfter(state, result)!;
          expectInvariant(state, before);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('ends with the advertiser and every booking agreeing on what is spent and what is held', () => {
    const amounts = fc.array(fc.integer({ min: 1, max: 5_000 }), {
      minLength: BOOKINGS.length,
      maxLength: BOOKINGS.length,
    });
    fc.assert(
      fc.property(amounts, fc.array(step, { maxLength: 80 }), (amountOf, steps) => {
        const world = new SimulatedWorld(BUDGET);
        for (const s of steps) {
          const key = BOOKINGS[s.booking]!;
          const amountCents = amountOf[s.booking]!;
          const before = world.advertiser.spentCents;
          if (s.op === 'create') world.writeBooking(key, { amountCents });
          if (s.op === 'decide' && world.bookings.has(key))
            world.writeBooking(key, { amountCents, decision: s.decision });
          if (s.op === 'deliver') world.deliverNext(key, s.direction);
          if (s.op === 'redeliver') world.redeliver(key, s.direction);
          expectInvariant(world.advertiser, before);
        }
        world.drain();
        expectAgreement(world);
      }),
      { numRuns: 300 },
    );
  });
});

function expectAgreement(world: SimulatedWorld): void {
  const { advertiser: state } = world;
  let confirmed = 0;
  let held = 0;
  for (const [key, booking] of world.bookings) {
    expect(booking?.reservation, `${key} is not stuck`).to.not.equal('requested');
    if (booking?.decision !== undefined) {
      expect(booking.reservation, `${key} acted on its decision`).to.be.oneOf([
        'confirmed',
        'cancelled',
        'refused',
      ]);
    }
    const hold = Object.hasOwn(state.holds, key) ? state.holds[key] : undefined;
    if (booking?.reservation === 'held') held += booking.amountCents;
    if (booking?.reservation === 'confirmed') confirmed += booking.amountCents;
    expect(hold, `${key} is held on both sides or neither`).to.equal(
      booking?.reservation === 'held' ? booking.amountCents : undefined,
    );
    expect(state.closed[key] === 'confirmed', `${key} is confirmed on both sides or neither`).to.equal(
      booking?.reservation === 'confirmed',
    );
  }
  expect(state.spentCents, 'spent is what the bookings confirmed').to.equal(confirmed);
  expect(state.heldCents, 'held is what the bookings hold').to.equal(held);
}

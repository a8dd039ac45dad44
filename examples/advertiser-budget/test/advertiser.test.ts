/** The advertiser entity: its budget, and how it holds, spends and releases money for bookings. */
import { expect } from 'chai';
import {
  advertiser,
  advertiserInputSchema,
  reserveSchema,
  type Advertiser,
} from '@isx/example-advertiser-budget';
import { deliver, NOW, stateAfter, write } from './support/entity-harness.js';

const fromBooking = (key: string) => ({ type: 'booking', key });
const reserve = (state: Advertiser | undefined, booking: string, amountCents: number) =>
  deliver(advertiser, 'acme', state, {
    from: fromBooking(booking),
    kind: 'reserve',
    payload: { amountCents },
  });
const confirm = (state: Advertiser | undefined, booking: string) =>
  deliver(advertiser, 'acme', state, { from: fromBooking(booking), kind: 'confirm', payload: {} });
const cancel = (state: Advertiser | undefined, booking: string) =>
  deliver(advertiser, 'acme', state, { from: fromBooking(booking), kind: 'cancel', payload: {} });

/** ACME with a budget of 100.00 and nothing committed yet. */
function fresh(budgetCents = 10_000): Advertiser {
  return write(advertiser, 'acme', undefined, { name: 'ACME', budgetCents }).state!;
}

/** Applies a result and returns the state after it, for chains of messages. */
const after = (state: Advertiser | undefined, result: ReturnType<typeof reserve>) =>
  stateAfter(state, result)!;

describe('the advertiser entity', () => {
  describe('its input', () => {
    it('accepts a name and a whole, non-negative budget in cents, and nothing else', () => {
      expect(advertiserInputSchema.safeParse({ name: 'ACME', budgetCents: 0 }).success).to.equal(true);
      for (const bad of [
        { name: 'ACME', budgetCents: -1 },
        { name: 'ACME', budgetCents: 10.5 },
        { name: '  ', budgetCents: 1 },
        { name: 'ACME', budgetCents: 1, spentCents: 0 },
        { name: 'ACME' },
      ]) {
        expect(advertiserInputSchema.safeParse(bad).success, JSON.stringify(bad)).to.equal(false);
      }
    });

    it('refuses a reserve payload that is not a positive whole amount, or carries anything else', () => {
      expect(reserveSchema.safeParse({ amountCents: 1 }).success).to.equal(true);
      for (const bad of [{ amountCents: 0 }, { amountCents: 2.5 }, {}, { amountCents: 5, booking: 'x' }]) {
        expect(reserveSchema.safeParse(bad).success, JSON.stringify(bad)).to.equal(false);
      }
    });
  });

  describe('a client write', () => {
    it('starts with nothing spent or held', () => {
      expect(fresh()).to.deep.equal({
        id: 'acme',
        name: 'ACME',
        budgetCents: 10_000,
        spentCents: 0,
        heldCents: 0,
        availableCents: 10_000,
        holds: {},
        closed: {},
        createdAt: NOW.toISOString(),
        updatedAt: NOW.toISOString(),
      });
    });

    it('keeps the ledger when the budget changes, and refuses a budget below what is spent or held', () => {
      const holding = after(fresh(), reserve(fresh(), 'b1', 6_000));
      const raised = write(advertiser, 'acme', holding, { name: 'ACME', budgetCents: 20_000 }).state!;
      expect(raised).to.deep.include({ budgetCents: 20_000, heldCents: 6_000, availableCents: 14_000 });
      expect(raised.holds).to.deep.equal({ b1: 6_000 });
      expect(() => write(advertiser, 'acme', holding, { name: 'ACME', budgetCents: 5_999 }))
        .to.throw(/below the 6000 cents already spent or held/)
        .with.property('code', 'CONFLICT');
    });
  });

  describe('reserve', () => {
    it('holds an amount the remainder covers, and answers reservation-held', () => {
      const { state, messages } = reserve(fresh(), 'b1', 6_000);
      expect(state).to.deep.include({ spentCents: 0, heldCents: 6_000, availableCents: 4_000 });
      expect(state!.holds).to.deep.equal({ b1: 6_000 });
      expect(messages).to.deep.equal([
        { to: fromBooking('b1'), kind: 'reservation-held', payload: { amountCents: 6_000 } },
      ]);
    });

    it('refuses an amount above the uncommitted remainder, says what was left, and remembers it', () => {
      const holding = after(fresh(), reserve(fresh(), 'b1', 6_000));
      const { state, messages } = reserve(holding, 'b2', 4_001);
      expect(state).to.deep.include({ heldCents: 6_000, availableCents: 4_000 });
      expect(state!.closed).to.deep.equal({ b2: 'refused' });
      expect(messages).to.deep.equal([
        {
          to: fromBooking('b2'),
          kind: 'reservation-refused',
          payload: { amountCents: 4_001, reason: 'over-budget', availableCents: 4_000 },
        },
      ]);
    });

    it('holds exactly the remainder', () => {
      const holding = after(fresh(), reserve(fresh(), 'b1', 6_000));
      expect(reserve(holding, 'b2', 4_000).state).to.deep.include({ heldCents: 10_000, availableCents: 0 });
    });

    it('answers a repeat with the same hold and holds nothing more', () => {
      const holding = after(fresh(), reserve(fresh(), 'b1', 6_000));
      const { state, messages } = reserve(holding, 'b1', 6_000);
      expect(state, 'the entity is left as it was').to.equal(undefined);
      expect(messages).to.deep.equal([
        { to: fromBooking('b1'), kind: 'reservation-held', payload: { amountCents: 6_000 } },
      ]);
    });

    it('answers a repeat of a refused reservation with a refusal, even once money has been freed', () => {
      let state = after(fresh(), reserve(fresh(), 'b1', 6_000));
      state = after(state, reserve(state, 'b2', 5_000));
      state = after(state, cancel(state, 'b1'));
      const { state: unchanged, messages } = reserve(state, 'b2', 5_000);
      expect(unchanged).to.equal(undefined);
      expect(messages[0]).to.deep.include({ kind: 'reservation-refused' });
    });

    it('holds nothing, and says nothing, for a booking that has already confirmed or cancelled', () => {
      let state = after(fresh(), reserve(fresh(), 'b1', 1_000));
      state = after(state, confirm(state, 'b1'));
      state = after(state, reserve(state, 'b2', 1_000));
      state = after(state, cancel(state, 'b2'));
      for (const booking of ['b1', 'b2']) {
        expect(reserve(state, booking, 1_000), booking).to.deep.equal({ state: undefined, messages: [] });
      }
    });

    it('refuses a reservation when the advertiser does not exist, and creates nothing', () => {
      const { state, messages } = reserve(undefined, 'b1', 100);
      expect(state).to.equal(undefined);
      expect(messages).to.deep.equal([
        {
          to: fromBooking('b1'),
          kind: 'reservation-refused',
          payload: { amountCents: 100, reason: 'no-such-advertiser', availableCents: 0 },
        },
      ]);
    });

    it('treats booking keys that name members of Object.prototype as ordinary bookings', () => {
      let state = fresh();
      for (const booking of ['constructor', 'toString', '__proto__', 'hasOwnProperty']) {
        state = after(state, reserve(state, booking, 1_000));
      }
      expect(state.heldCents).to.equal(4_000);
      state = after(state, confirm(state, 'constructor'));
      state = after(state, cancel(state, '__proto__'));
      expect(state).to.deep.include({ spentCents: 1_000, heldCents: 2_000, availableCents: 7_000 });
      expect(Object.keys(state.holds).sort()).to.deep.equal(['hasOwnProperty', 'toString']);
    });
  });

  describe('confirm', () => {
    it('turns the hold into money spent', () => {
      const holding = after(fresh(), reserve(fresh(), 'b1', 6_000));
      const { state, messages } = confirm(holding, 'b1');
      expect(state).to.deep.include({ spentCents: 6_000, heldCents: 0, availableCents: 4_000 });
      expect(state!.holds).to.deep.equal({});
      expect(state!.closed).to.deep.equal({ b1: 'confirmed' });
      expect(messages).to.deep.equal([]);
    });

    it('spends once when repeated', () => {
      const holding = after(fresh(), reserve(fresh(), 'b1', 6_000));
      const spent = after(holding, confirm(holding, 'b1'));
      expect(confirm(spent, 'b1')).to.deep.equal({ state: undefined, messages: [] });
    });

    it('spends nothing for a booking it holds nothing for: never held, refused, or cancelled', () => {
      let state = after(fresh(), reserve(fresh(), 'b1', 20_000));
      state = after(state, reserve(state, 'b2', 1_000));
      state = after(state, cancel(state, 'b2'));
      for (const booking of ['stranger', 'b1', 'b2']) {
        expect(confirm(state, booking), booking).to.deep.equal({ state: undefined, messages: [] });
      }
    });
  });

  describe('cancel', () => {
    it('releases the hold', () => {
      const holding = after(fresh(), reserve(fresh(), 'b1', 6_000));
      const { state } = cancel(holding, 'b1');
      expect(state).to.deep.include({ spentCents: 0, heldCents: 0, availableCents: 10_000 });
      expect(state!.closed).to.deep.equal({ b1: 'cancelled' });
    });

    it('gives nothing back after a confirm: spent is final', () => {
      const holding = after(fresh(), reserve(fresh(), 'b1', 6_000));
      const spent = after(holding, confirm(holding, 'b1'));
      expect(cancel(spent, 'b1')).to.deep.equal({ state: undefined, messages: [] });
    });

    it('releases once when repeated', () => {
      const holding = after(fresh(), reserve(fresh(), 'b1', 6_000));
      const released = after(holding, cancel(holding, 'b1'));
      expect(cancel(released, 'b1')).to.deep.equal({ state: undefined, messages: [] });
    });

    it('remembers a cancel that overtakes its reserve, so the late reserve holds nothing', () => {
      const cancelled = after(fresh(), cancel(fresh(), 'b1'));
      expect(cancelled.closed).to.deep.equal({ b1: 'cancelled' });
      expect(reserve(cancelled, 'b1', 1_000)).to.deep.equal({ state: undefined, messages: [] });
    });

    it('does not turn a refusal into a cancel', () => {
      const refused = after(fresh(), reserve(fresh(), 'b1', 20_000));
      expect(cancel(refused, 'b1')).to.deep.equal({ state: undefined, messages: [] });
    });
  });
});

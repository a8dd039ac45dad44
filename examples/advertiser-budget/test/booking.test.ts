/** The booking entity: how it asks for a hold, takes the answer, and settles its decision. */
import { expect } from 'chai';
import { booking, bookingInputSchema, type Booking } from '@isx/example-advertiser-budget';
import { deliver, NOW, write } from './support/entity-harness.js';

const ACME = { type: 'advertiser', key: 'acme' };
const terms = { advertiser: 'acme', amountCents: 2_500 };

const put = (previous: Booking | undefined, body: unknown) => write(booking, 'flight', previous, body);
const held = (state: Booking | undefined) =>
  deliver(booking, 'flight', state, {
    from: ACME,
    kind: 'reservation-held',
    payload: { amountCents: 2_500 },
  });
const refused = (state: Booking | undefined) =>
  deliver(booking, 'flight', state, {
    from: ACME,
    kind: 'reservation-refused',
    payload: { amountCents: 2_500, reason: 'over-budget', availableCents: 1_000 },
  });

/** A booking that has asked and not heard back yet. */
const requested = (): Booking => put(undefined, terms).state!;
/** A booking its advertiser holds money for. */
const holding = (): Booking => held(requested()).state!;

describe('the booking entity', () => {
  it('accepts an advertiser key, a positive whole amount and an optional decision, and nothing else', () => {
    expect(bookingInputSchema.safeParse({ ...terms, decision: 'confirm' }).success).to.equal(true);
    for (const bad of [
      { ...terms, advertiser: 'a b' },
      { ...terms, amountCents: 0 },
      { ...terms, amountCents: 1.5 },
      { ...terms, decision: 'maybe' },
      { ...terms, reservation: 'held' },
      { amountCents: 1 },
    ]) {
      expect(bookingInputSchema.safeParse(bad).success, JSON.stringify(bad)).to.equal(false);
    }
  });

  describe('a client write', () => {
    it('creates the booking as requested and asks its advertiser to reserve the amount', () => {
      const { state, messages } = put(undefined, terms);
      expect(state).to.deep.equal({
        id: 'flight',
        advertiser: 'acme',
        amountCents: 2_500,
        reservation: 'requested',
        createdAt: NOW.toISOString(),
        updatedAt: NOW.toISOString(),
      });
      expect(messages).to.deep.equal([{ to: ACME, kind: 'reserve', payload: { amountCents: 2_500 } }]);
    });

    it('asks only once: writing the same terms again sends nothing', () => {
      for (const previous of [requested(), holding()]) {
        const { state, messages } = put(previous, terms);
        expect(state?.reservation).to.equal(previous.reservation);
        expect(messages).to.deep.equal([]);
      }
    });

    it('sends a decision on a held booking to the advertiser, and is final from then on', () => {
      const confirmed = put(holding(), { ...terms, decision: 'confirm' });
      expect(confirmed.state).to.deep.include({ reservation: 'confirmed', decision: 'confirm' });
      expect(confirmed.messages).to.deep.equal([{ to: ACME, kind: 'confirm', payload: {} }]);
      const cancelled = put(holding(), { ...terms, decision: 'cancel' });
      expect(cancelled.state).to.deep.include({ reservation: 'cancelled', decision: 'cancel' });
      expect(cancelled.messages).to.deep.equal([{ to: ACME, kind: 'cancel', payload: {} }]);
    });

    it('sends a decision once: repeating it, or writing without it, changes nothing', () => {
      const confirmed = put(holding(), { ...terms, decision: 'confirm' }).state!;
      for (const body of [{ ...terms, decision: 'confirm' }, terms]) {
        const { state, messages } = put(confirmed, body);
        expect(state).to.deep.include({ reservation: 'confirmed', decision: 'confirm' });
        expect(messages).to.deep.equal([]);
      }
    });

    it('keeps a decision written before the answer, and sends it when the hold arrives', () => {
      const decided = put(requested(), { ...terms, decision: 'cancel' });
      expect(decided.state).to.deep.include({ reservation: 'requested', decision: 'cancel' });
      expect(decided.messages).to.deep.equal([]);
      const { state, messages } = held(decided.state);
      expect(state).to.deep.include({ reservation: 'cancelled' });
      expect(messages).to.deep.equal([{ to: ACME, kind: 'cancel', payload: {} }]);
    });

    it('takes a decision in the very first write', () => {
      const { state, messages } = put(undefined, { ...terms, decision: 'confirm' });
      expect(state).to.deep.include({ reservation: 'requested', decision: 'confirm' });
      expect(messages.map((m) => m.kind)).to.deep.equal(['reserve']);
      expect(held(state).messages).to.deep.equal([{ to: ACME, kind: 'confirm', payload: {} }]);
    });

    it('refuses to change its terms, to change a decision, or to decide on a refused booking', () => {
      expect(() => put(holding(), { ...terms, amountCents: 2_600 }))
        .to.throw(/cannot change/)
        .with.property('code', 'CONFLICT');
      expect(() => put(holding(), { ...terms, advertiser: 'globex' })).to.throw(/cannot change/);
      const confirmed = put(holding(), { ...terms, decision: 'confirm' }).state!;
      expect(() => put(confirmed, { ...terms, decision: 'cancel' }))
        .to.throw(/already decided to confirm/)
        .with.property('code', 'CONFLICT');
      const refusedBooking = refused(requested()).state!;
      expect(() => put(refusedBooking, { ...terms, decision: 'confirm' }))
        .to.throw(/refused this booking/)
        .with.property('code', 'CONFLICT');
    });
  });

  describe('the advertiser’s answer', () => {
    it('moves a requested booking to held', () => {
      const { state, messages } = held(requested());
      expect(state).to.deep.include({ reservation: 'held' });
      expect(messages).to.deep.equal([]);
    });

    it('moves a requested booking to refused, with the reason and what was left', () => {
      const { state } = refused(requested());
      expect(state).to.deep.include({
        reservation: 'refused',
        refusal: { reason: 'over-budget', availableCents: 1_000 },
      });
    });

    it('ignores a repeated hold, and any refusal once the booking has its answer', () => {
      const confirmed = put(holding(), { ...terms, decision: 'confirm' }).state!;
      for (const state of [holding(), confirmed]) {
        expect(held(state), state.reservation).to.deep.equal({ state: undefined, messages: [] });
        expect(refused(state), state.reservation).to.deep.equal({ state: undefined, messages: [] });
      }
    });

    it('releases a hold it does not want: after a refusal, after a cancel, or once deleted', () => {
      const refusedBooking = refused(requested()).state!;
      const cancelled = put(holding(), { ...terms, decision: 'cancel' }).state!;
      for (const state of [refusedBooking, cancelled, undefined]) {
        expect(held(state), state?.reservation ?? 'deleted').to.deep.equal({
          state: undefined,
          messages: [{ to: ACME, kind: 'cancel', payload: {} }],
        });
      }
    });
  });
});

/** Messages between entities as the scale-agnostic layer sees them: outcomes, addresses, handler kinds. */
import { expect } from 'chai';
import { z } from 'zod';
import {
  activityStateSchema,
  addressName,
  defineEntity,
  hasPendingMessages,
  outcomeOf,
  outgoingMessageSchema,
  parseAddressName,
  storedValueSchema,
  withMessages,
} from '../src/index.js';

describe('messages between entities', () => {
  it('returns a bare state with no messages, and a state with its messages from withMessages', () => {
    expect(outcomeOf({ a: 1 })).to.deep.equal({ state: { a: 1 }, messages: [] });
    const message = { to: { type: 'profile', key: 'c1' }, kind: 'set-targets', payload: { os: ['ios'] } };
    expect(outcomeOf(withMessages({ a: 1 }, message))).to.deep.equal({
      state: { a: 1 },
      messages: [message],
    });
    expect(
      outcomeOf<{ state: number; messages: never[] }>({ state: 1, messages: [] }),
      'a state that merely looks like an outcome stays a state',
    ).to.deep.equal({
      state: { state: 1, messages: [] },
      messages: [],
    });
  });

  it('names an address type/key and reads the name back, refusing what is not one', () => {
    expect(addressName({ type: 'profile', key: 'c-1' })).to.equal('profile/c-1');
    expect(parseAddressName('profile/c-1')).to.deep.equal({ type: 'profile', key: 'c-1' });
    expect(parseAddressName('profile')).to.equal(undefined);
    expect(parseAddressName('Profile/c1')).to.equal(undefined);
    expect(parseAddressName('profile/a b')).to.equal(undefined);
  });

  it('checks a message: a valid address, a kind, and a JSON payload', () => {
    expect(
      outgoingMessageSchema.safeParse({ to: { type: 'profile', key: 'c1' }, kind: 'set', payload: null })
        .success,
    ).to.equal(true);
    expect(
      outgoingMessageSchema.safeParse({ to: { type: 'profile', key: 'a b' }, kind: 'set', payload: 1 })
        .success,
    ).to.equal(false);
    expect(
      outgoingMessageSchema.safeParse({ to: { type: 'profile', key: 'c1' }, kind: 'Set', payload: 1 })
        .success,
    ).to.equal(false);
    expect(
      outgoingMessageSchema.safeParse({ to: { type: 'profile', key: 'c1' }, kind: 'set', payload: () => 1 })
        .success,
    ).to.equal(false);
  });

  it('refuses to define an entity that accepts a badly named message kind', () => {
    const payload = z.object({});
    expect(() =>
      defineEntity({
        type: 'profile',
        input: z.object({}),
        receives: { SetTargets: { payload, apply: () => ({}) } },
      }),
    ).to.throw(TypeError, /SetTargets/);
    const profile = defineEntity({
      type: 'profile',
      input: z.object({}),
      receives: { 'set-targets': { payload, apply: () => ({}) } },
    });
    expect(Object.keys(profile.receives)).to.deep.equal(['set-targets']);
  });

  it('keeps the activity state in a stored value, and tells whether messages wait', () => {
    const value = {
      version: 2,
      updatedAt: 'now',
      data: { a: 1 },
      activity: {
        out: {
          'profile/c1': { sent: 1, acked: 0, pending: [{ seq: 1, kind: 'set', payload: {}, sentAt: 'now' }] },
        },
        in: { 'campaign/c1': { applied: 4 } },
      },
    };
    expect(storedValueSchema.parse(value)).to.deep.equal(value);
    expect(hasPendingMessages(value.activity)).to.equal(true);
    expect(
      hasPendingMessages(
        activityStateSchema.parse({ out: { 'profile/c1': { sent: 1, acked: 1, pending: [] } } }),
      ),
    ).to.equal(false);
    expect(hasPendingMessages(undefined)).to.equal(false);
  });
});

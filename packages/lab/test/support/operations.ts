import type { Operation } from '../../src/history/operations.js';

let next = 0;

/** A hand-built operation; times are in milliseconds for readability. */
export function op(
  fields: Partial<Operation> & Pick<Operation, 'f' | 'key'> & { at: number; until: number },
): Operation {
  const { at, until, ...rest } = fields;
  next += 1;
  return {
    index: next,
    process: next,
    outcome: 'ok',
    result: {},
    final: false,
    ...rest,
    invokeNs: at * 1e6,
    completeNs: until * 1e6,
  };
}

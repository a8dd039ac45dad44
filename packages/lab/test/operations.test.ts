import { expect } from 'chai';
import type { HistoryEvent } from '@isx/core';
import { faultWindows } from '../src/history/fault-windows.js';
import { pairOperations } from '../src/history/operations.js';

describe('pairing a history into operations', function () {
  const events: HistoryEvent[] = [
    { type: 'invoke', process: 0, f: 'write', key: 'k0', value: 'v1', timeNs: 10 },
    { type: 'invoke', process: 1, f: 'read', key: 'k0', timeNs: 11 },
    { type: 'nemesis', phase: 'start', fault: 'kill', target: 'n1', timeNs: 12 },
    { type: 'ok', process: 1, f: 'read', key: 'k0', value: null, timeNs: 20 },
    { type: 'info', process: 0, f: 'write', key: 'k0', error: 'TIMEOUT', timeNs: 30 },
    { type: 'invoke', process: 2, f: 'cas', key: 'k0', value: 'v2', expectedVersion: 1, timeNs: 31 },
    { type: 'nemesis', phase: 'end', fault: 'kill', target: 'n1', timeNs: 40 },
    { type: 'invoke', process: 3, f: 'delete', key: 'k1', timeNs: 41 },
    { type: 'fail', process: 3, f: 'delete', key: 'k1', error: 'NOT_FOUND', timeNs: 45 },
  ];

  it('matches each completion to its invocation, keeping invocation order', function () {
    const { operations } = pairOperations(events);
    expect(operations.map((o) => [o.f, o.outcome])).to.deep.equal([
      ['write', 'info'],
      ['read', 'ok'],
      ['cas', 'info'],
      ['delete', 'fail'],
    ]);
    expect(operations[0]).to.deep.include({ value: 'v1', invokeNs: 10, completeNs: 30 });
    expect(operations[1]!.result).to.deep.include({ value: null });
  });

  it('treats an operation the run never completed as info', function () {
    const cas = pairOperations(events).operations[2]!;
    expect(cas).to.deep.include({ outcome: 'info', expectedVersion: 1, completeNs: 45 });
  });

  it('refuses a completion without an invocation', function () {
    expect(() => pairOperations([{ type: 'ok', process: 9, f: 'read', key: 'k', timeNs: 1 }])).to.throw(
      /never invoked/,
    );
  });

  it('pairs fault events into windows, closing an open one at the end of the run and marking it unfinished', function () {
    const windows = faultWindows(
      [
        ...pairOperations(events).nemesis,
        { type: 'nemesis', phase: 'start', fault: 'pause', target: 'n2', timeNs: 50 },
      ],
      100,
    );
    expect(windows).to.deep.equal([
      { fault: 'kill', target: 'n1', detail: undefined, startNs: 12, endNs: 40 },
      { fault: 'pause', target: 'n2', detail: undefined, startNs: 50, endNs: 100, unfinished: true },
    ]);
  });
});

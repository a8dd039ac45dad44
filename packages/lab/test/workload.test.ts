import { expect } from 'chai';
import { parseExperimentSpec, type HistoryEvent } from '@isx/core';
import type { OperationCompletion, OperationRequest } from '../src/experiment/operation-client.js';
import { Workload } from '../src/experiment/workload.js';
import { HistoryWriter } from '../src/history/history-file.js';
import { pairOperations } from '../src/history/operations.js';

/** A stand-in store that answers at once; every fifth write ends in `info`. */
function fakeClient(seen: OperationRequest[]) {
  return {
    perform(request: OperationRequest): Promise<OperationCompletion> {
      seen.push(request);
      const info = request.f === 'write' && seen.length % 5 === 0;
      return new Promise((resolve) =>
        setTimeout(() => resolve(info ? { type: 'info', error: 'TIMEOUT' } : { type: 'ok', version: 1 }), 1),
      );
    },
  };
}

function run(rate: object, seed = 3) {
  const spec = parseExperimentSpec({
    name: 'w',
    description: 'd',
    seed,
    workload: { clients: 3, keys: 4, durationMs: 150, rate },
  });
  const seen: OperationRequest[] = [];
  const history = new HistoryWriter(undefined);
  const workload = new Workload({ spec: spec.workload, seed: spec.seed, client: fakeClient(seen), history });
  return { workload, history, seen, done: workload.run() };
}

describe('the workload', function () {
  it('records every invocation with its completion, one operation at a time per process', async function () {
    const { history, done } = run({ mode: 'closed' });
    await done;
    const { operations } = pairOperations(history.events);
    expect(operations.length).to.be.greaterThan(10);
    expect(history.events.filter((e) => e.type === 'invoke')).to.have.length(operations.length);
  });

  it('writes a value never written before in every write, cas and create', async function () {
    const { seen, done } = run({ mode: 'closed' });
    await done;
    const values = seen.filter((r) => r.value !== undefined).map((r) => r.value);
    expect(new Set(values).size).to.equal(values.length);
  });

  it('retires a process after an info and never uses it again', async function () {
    const { history, done } = run({ mode: 'closed' });
    await done;
    const events = history.events.filter(
      (e): e is Extract<HistoryEvent, { process: number }> => e.type !== 'nemesis',
    );
    const infos = events.flatMap((e, at) => (e.type === 'info' ? [{ process: e.process, at }] : []));
    expect(infos.length).to.be.greaterThan(0);
    for (const { process, at } of infos) {
      const later = events.slice(at + 1).filter((e) => e.process === process && e.type === 'invoke');
      expect(later, `process ${process} after its info`).to.have.length(0);
    }
  });

  it('keeps its choices of operations and keys to the seed', async function () {
    const a = run({ mode: 'closed' }, 5);
    const b = run({ mode: 'closed' }, 5);
    await Promise.all([a.done, b.done]);
    const n = Math.min(a.seen.length, b.seen.length);
    expect(a.seen.slice(0, n).map((r) => `${r.f} ${r.key}`)).to.deep.equal(
      b.seen.slice(0, n).map((r) => `${r.f} ${r.key}`),
    );
  });

  it('in open loop, starts operations at the given rate, counting starts with every process busy as skipped', async function () {
    const { workload, seen, done } = run({ mode: 'open', perSecond: 200 });
    await done;
    // 150 ms at 200/s offers 30 starts; each one either ran or was skipped.
    expect(seen.length + workload.counts.skipped).to.equal(30);
    expect(seen.length).to.be.greaterThan(0);
  });
});

/**
 * Durability: after every fault healed and the cluster went quiet, the final read of each
 * key must show the last acknowledged write, or a write that may have come after it.
 *
 * Written values are unique, so the final value names the write that produced it (or, for
 * an absent key, a delete or the empty start). An acknowledged mutation is lost when every
 * write that could have produced the final value was acknowledged before it began: the
 * store then forgot it. A write whose outcome is unknown (`info`) may have taken effect at
 * any later time, so it can always explain a final value. The checker never counts a key
 * it could not read at the end as durable; it reports it as unknown.
 */
import type { Operation } from '../history/operations.js';
import type { Anomaly, Checker, CheckerContext, CheckerResult } from './checker.js';

const MUTATIONS = new Set(['write', 'cas', 'create', 'delete']);

/** The value a mutation leaves behind (`null` for a delete). */
function produced(op: Operation): string | null {
  return op.f === 'delete' ? null : (op.value ?? null);
}

/** True when `producer` took effect, for certain, before `later` was invoked. */
function strictlyBefore(producer: Operation | 'initial', later: Operation): boolean {
  if (producer === 'initial') return true;
  return producer.outcome === 'ok' && producer.completeNs < later.invokeNs;
}

export class DurabilityChecker implements Checker {
  readonly name = 'durability';

  check(context: CheckerContext): CheckerResult {
    const byKey = groupByKey(context.operations);
    const anomalies: Anomaly[] = [];
    let acknowledged = 0;
    let lost = 0;
    const unread: string[] = [];
    for (const [key, operations] of byKey) {
      const mutations = operations.filter((op) => !op.final && MUTATIONS.has(op.f) && op.outcome !== 'fail');
      const acked = mutations.filter((op) => op.outcome === 'ok');
      acknowledged += acked.length;
      const finalRead = operations.filter((op) => op.final && op.f === 'read' && op.outcome === 'ok').at(-1);
      if (!finalRead) {
        if (acked.length > 0) unread.push(key);
        continue;
      }
      const value = finalRead.result.value ?? null;
      const producers: (Operation | 'initial')[] = mutations.filter((op) => produced(op) === value);
      if (value === null) producers.push('initial');
      if (producers.length === 0) {
        anomalies.push({
          kind: 'unknown-value',
          key,
          message: `the final read of ${key} found "${value}", which no operation wrote`,
          operations: [finalRead],
        });
        continue;
      }
      for (const write of acked) {
        if (!producers.every((producer) => strictlyBefore(producer, write))) continue;
        lost += 1;
        const shown = producers.filter((p): p is Operation => p !== 'initial');
        anomalies.push({
          kind: 'lost-write',
          key,
          message: `${write.f} of ${key} (${describe(write)}) was acknowledged, but the final read found ${
            value === null ? 'no entity' : `"${value}"`
          }, written before it began`,
          operations: [...shown, write, finalRead].sort((a, b) => a.index - b.index),
        });
      }
    }
    const valid = anomalies.length > 0 ? false : unread.length > 0 ? 'unknown' : true;
    const summary =
      valid === true
        ? `every one of ${acknowledged} acknowledged writes survived (or was superseded)`
        : valid === 'unknown'
          ? `no write was lost among the keys read, but ${unread.length} key(s) could not be read at the end: ${unread.join(', ')}`
          : `${lost} of ${acknowledged} acknowledged writes lost; ${anomalies.length} anomalies`;
    return {
      checker: this.name,
      valid,
      summary,
      figures: {
        keys: byKey.size,
        acknowledgedWrites: acknowledged,
        lostWrites: lost,
        unreadKeys: unread.length,
      },
      anomalies,
    };
  }
}

function describe(op: Operation): string {
  return op.f === 'delete' ? 'delete' : `value "${op.value ?? ''}"`;
}

function groupByKey(operations: readonly Operation[]): Map<string, Operation[]> {
  const byKey = new Map<string, Operation[]>();
  for (const op of operations) {
    const list = byKey.get(op.key);
    if (list) list.push(op);
    else byKey.set(op.key, [op]);
  }
  return byKey;
}

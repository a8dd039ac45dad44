/**
 * The failure detector: from heartbeat arrival times to `alive`, `suspect` and `dead`.
 *
 * A node is suspect after `suspectAfterMs` without a heartbeat and dead after
 * `deadAfterMs`; a heartbeat from a suspect or dead node makes it alive again. Time comes
 * from the injected clock's monotonic reading, so tests drive it without sleeping. It only
 * observes: what a death means for the shard map is the cluster manager's business.
 */
import type { Clock } from '@isx/core';

export type Liveness = 'alive' | 'suspect' | 'dead';

export interface LivenessChange {
  readonly nodeId: string;
  readonly from: Liveness;
  readonly to: Liveness;
}

export interface FailureDetectorOptions {
  suspectAfterMs: number;
  deadAfterMs: number;
  clock: Clock;
  /** Told of every change, from a heartbeat or a sweep, as it is returned. */
  onChange?: (change: LivenessChange) => void;
}

export class FailureDetector {
  readonly #options: FailureDetectorOptions;
  readonly #lastSeen = new Map<string, number>();
  readonly #status = new Map<string, Liveness>();

  constructor(options: FailureDetectorOptions) {
    if (options.deadAfterMs <= options.suspectAfterMs)
      throw new RangeError('deadAfterMs must exceed suspectAfterMs');
    this.#options = options;
  }

  /** Records a heartbeat (or a registration) from a node; returns the change it caused, if any. */
  heartbeat(nodeId: string): LivenessChange | undefined {
    this.#lastSeen.set(nodeId, this.#options.clock.monotonic());
    const from = this.#status.get(nodeId);
    this.#status.set(nodeId, 'alive');
    if (from === undefined || from === 'alive') return undefined;
    const change: LivenessChange = { nodeId, from, to: 'alive' };
    this.#options.onChange?.(change);
    return change;
  }

  /** Starts watching a node known from before a restart, as if it had just been heard from. */
  watch(nodeId: string): void {
    if (!this.#lastSeen.has(nodeId)) this.heartbeat(nodeId);
  }

  forget(nodeId: string): void {
    this.#lastSeen.delete(nodeId);
    this.#status.delete(nodeId);
  }

  status(nodeId: string): Liveness | undefined {
    return this.#status.get(nodeId);
  }

  /** Milliseconds since the node's last heartbeat, or `undefined` for an unknown node. */
  ageMs(nodeId: string): number | undefined {
    const seen = this.#lastSeen.get(nodeId);
    return seen === undefined ? undefined : this.#options.clock.monotonic() - seen;
  }

  /** Re-evaluates every node and returns the changes since the last sweep. */
  sweep(): LivenessChange[] {
    const changes: LivenessChange[] = [];
    const now = this.#options.clock.monotonic();
    for (const [nodeId, seen] of this.#lastSeen) {
      const age = now - seen;
      const to: Liveness =
        age >= this.#options.deadAfterMs ? 'dead' : age >= this.#options.suspectAfterMs ? 'suspect' : 'alive';
      const from = this.#status.get(nodeId) ?? 'alive';
      if (to !== from) {
        this.#status.set(nodeId, to);
        const change: LivenessChange = { nodeId, from, to };
        this.#options.onChange?.(change);
        changes.push(change);
      }
    }
    return changes;
  }
}

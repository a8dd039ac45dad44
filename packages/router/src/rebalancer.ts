/**
 * The rebalancer of a replicated cluster (DESIGN §6): it keeps planning the next steps with
 * `planReplicaActions` and carries them out with a `ReplicaMover`, at most `maxConcurrent` at a
 * time and never two on one shard, until every shard has its copies and the copies and
 * primaries are spread evenly, and every draining node holds nothing.
 *
 * It is woken by whatever may call for a step (a node joining, dying, coming back or being
 * drained, a replica dropped) and also looks by itself every few seconds. A step that fails is
 * logged and its shard left alone for a while before it is planned again; the map is only ever
 * changed by the mover, through the cluster's one-at-a-time commit. What it is doing is shown
 * in `GET /cluster` as moves, with their phase and progress.
 */
import { IsxError, type MoveView } from '@isx/core';
import type { Logger } from 'pino';
import type { ClusterEvents } from './cluster-events.js';
import type { MoveCluster } from './move-coordinator.js';
import {
  planReplicaActions,
  primaryMoveSteps,
  type PlacementNode,
  type ReplicaAction,
} from './replica-placement.js';
import type { CopyOutcome, ReplicaMover, StepProgress } from './replica-mover.js';

/** How long a shard whose step failed is left alone. */
const FAILED_STEP_PAUSE_MS = 2_000;
/** How often it looks for work unasked. */
const TICK_MS = 3_000;

export interface RebalancerOptions {
  cluster: MoveCluster;
  mover: ReplicaMover;
  factor: number;
  minInSync: number;
  /** Live nodes (alive; not suspect or dead), the types each serves and whether it is draining. */
  liveNodes(): PlacementNode[];
  /** Steps at once (default 2). */
  maxConcurrent?: number;
  logger: Logger;
  /** Told after every finished step, e.g. with how long a hand-over paused its shard. */
  onStep?: (action: ReplicaAction, outcome: { ok: boolean; pausedMs?: number }) => void;
  /** Told when each step starts and how it ends, whether planned or asked for (`perform`). */
  events?: ClusterEvents | undefined;
}

export class Rebalancer {
  readonly #options: RebalancerOptions;
  readonly #running = new Map<string, { action: ReplicaAction; view: MoveView; done: Promise<void> }>();
  readonly #pausedUntil = new Map<string, number>();
  readonly #totals = { steps: 0, failedSteps: 0, entitiesCopied: 0, bytesCopied: 0 };
  #wake: (() => void) | undefined;
  #loop: Promise<void> | undefined;
  #kicked = false;
  #closed = false;
  readonly #ticker: NodeJS.Timeout;

  constructor(options: RebalancerOptions) {
    this.#options = options;
    this.#ticker = setInterval(() => this.kick(), TICK_MS);
    this.#ticker.unref();
  }

  /** The steps in progress, as `GET /cluster` shows them. */
  get moves(): MoveView[] {
    return [...this.#running.values()].map((r) => ({ ...r.view }));
  }

  /** Steps finished and what their copies brought over, since the router started. */
  get totals(): { steps: number; failedSteps: number; entitiesCopied: number; bytesCopied: number } {
    return { ...this.#totals };
  }

  /** Whether a step is running on the shard. */
  isBusy(shardId: string): boolean {
    return this.#running.has(shardId);
  }

  /** Plans again now (a node joined, died, came back or is draining). */
  kick(): void {
    if (this.#closed) return;
    this.#kicked = true;
    if (this.#wake) this.#wake();
    else this.#loop ??= this.#run().finally(() => (this.#loop = undefined));
  }

  /** Resolves once nothing is running and a fresh plan finds nothing to do. */
  async settled(): Promise<void> {
    while (this.#loop) await this.#loop;
  }

  /** Stops planning; steps already running finish. */
  async close(): Promise<void> {
    this.#closed = true;
    clearInterval(this.#ticker);
    this.#wake?.();
    await this.settled();
  }

  async #run(): Promise<void> {
    for (;;) {
      this.#kicked = false;
      if (!this.#closed) {
        try {
          this.#startSteps();
        } catch (error) {
          this.#options.logger.warn(
            { err: error instanceof Error ? error.message : String(error) },
            'rebalancing could not plan',
          );
        }
      }
      if (this.#running.size === 0 && !this.#kicked) return;
      // Wait for a step to finish or for a kick, then plan again.
      await new Promise<void>((resolve) => {
        this.#wake = resolve;
        for (const step of this.#running.values()) void step.done.then(resolve);
        if (this.#kicked) resolve();
      });
      this.#wake = undefined;
    }
  }

  #startSteps(): void {
    const { cluster, factor, minInSync } = this.#options;
    const room = (this.#options.maxConcurrent ?? 2) - this.#running.size;
    if (room <= 0) return;
    const now = performance.now();
    const busy = new Set<string>();
    for (const [shardId, until] of this.#pausedUntil) {
      if (until > now) busy.add(shardId);
      else this.#pausedUntil.delete(shardId);
    }
    const shards = Object.entries(cluster.map().config.types).flatMap(([type, layout]) =>
      layout.shards
        .filter((s) => s.backups !== undefined)
        .map((s) => ({ id: s.id, type, node: s.node, backups: s.backups ?? [] })),
    );
    const actions = planReplicaActions({
      shards,
      nodes: this.#options.liveNodes(),
      factor,
      minInSync,
      busy,
      inProgress: [...this.#running.values()].map((r) => r.action),
      limit: room,
    });
    for (const action of actions) this.#start(action);
  }

  /**
   * Makes `to` the primary of the shard now (an operator's `isx move`); resolves with the old
   * primary, what a new copy brought over and how long the hand-over paused the shard.
   */
  async movePrimary(
    shardId: string,
    to: string,
  ): Promise<{ from: string; pausedMs?: number; copied?: CopyOutcome }> {
    const { type, shard } = this.#options.cluster.findShard(shardId);
    const placed = { id: shard.id, type, node: shard.node, backups: shard.backups ?? [] };
    const steps = primaryMoveSteps(placed, to);
    return { from: shard.node, ...(await this.perform(steps)) };
  }

  /**
   * Runs `steps` on one shard now, one after another, and resolves with how long a hand-over
   * among them paused the shard. Refused with `MOVE_IN_PROGRESS` while a step runs on the shard.
   */
  async perform(steps: readonly ReplicaAction[]): Promise<{ pausedMs?: number; copied?: CopyOutcome }> {
    const first = steps[0];
    if (!first) return {};
    if (this.#running.has(first.shardId)) {
      throw new IsxError(
        'MOVE_IN_PROGRESS',
        `Shard ${first.shardId} is being moved; try again once it is done.`,
      );
    }
    const view = this.#viewOf(first);
    let release!: () => void;
    const done = new Promise<void>((resolve) => (release = resolve));
    this.#running.set(first.shardId, { action: first, view, done });
    try {
      let outcome: { pausedMs?: number; copied?: CopyOutcome } = {};
      for (const step of steps) {
        Object.assign(view, this.#viewOf(step));
        outcome = { ...outcome, ...(await this.#execute(step, (p) => Object.assign(view, p))) };
      }
      return outcome;
    } finally {
      this.#running.delete(first.shardId);
      release();
      this.kick();
    }
  }

  #viewOf(action: ReplicaAction): MoveView {
    const { type, shard } = this.#options.cluster.findShard(action.shardId);
    return {
      shardId: action.shardId,
      type,
      kind: action.kind,
      reason: action.reason,
      from: action.kind === 'add-replica' ? shard.node : action.from,
      ...(action.kind === 'remove-replica' ? {} : { to: action.to }),
      phase: action.kind === 'remove-replica' ? 'removing' : 'catching-up',
      startedAt: new Date().toISOString(),
    };
  }

  /** Carries out one step; resolves with a hand-over's pause or an added replica's copy. */
  async #execute(
    action: ReplicaAction,
    progress: (p: StepProgress) => void,
  ): Promise<{ pausedMs?: number; copied?: CopyOutcome }> {
    const { events } = this.#options;
    events?.moveStarted(action.kind, action);
    const outcome = await this.#carryOut(action, progress).catch((error: unknown) => {
      this.#totals.failedSteps += 1;
      events?.moveFinished(action.kind, 'failed', action);
      throw error;
    });
    this.#totals.steps += 1;
    events?.moveFinished(action.kind, 'done', action);
    this.#totals.entitiesCopied += outcome.copied?.entities ?? 0;
    this.#totals.bytesCopied += outcome.copied?.bytes ?? 0;
    return outcome;
  }

  async #carryOut(
    action: ReplicaAction,
    progress: (p: StepProgress) => void,
  ): Promise<{ pausedMs?: number; copied?: CopyOutcome }> {
    const { mover } = this.#options;
    switch (action.kind) {
      case 'add-replica':
        return { copied: await mover.addReplica(action.shardId, action.to, progress) };
      case 'transfer-primary':
        return { pausedMs: await mover.transferPrimary(action.shardId, action.to, progress) };
      case 'move-replica': {
        const copied = await mover.addReplica(action.shardId, action.to, progress);
        await mover.removeReplica(action.shardId, action.from, progress);
        return { copied };
      }
      case 'remove-replica':
        await mover.removeReplica(action.shardId, action.from, progress);
        return {};
    }
  }

  #start(action: ReplicaAction): void {
    const { logger } = this.#options;
    const view = this.#viewOf(action);
    logger.info({ ...action }, 'rebalancing step started');
    const done = this.#execute(action, (p) => Object.assign(view, p))
      .then((outcome) =>
        this.#options.onStep?.(action, {
          ok: true,
          ...(outcome.pausedMs === undefined ? {} : { pausedMs: outcome.pausedMs }),
        }),
      )
      .catch((error: unknown) => {
        this.#pausedUntil.set(action.shardId, performance.now() + FAILED_STEP_PAUSE_MS);
        logger.warn(
          { ...action, err: error instanceof Error ? error.message : String(error) },
          'rebalancing step failed; it will be planned again',
        );
        this.#options.onStep?.(action, { ok: false });
      })
      .finally(() => {
        this.#running.delete(action.shardId);
      });
    this.#running.set(action.shardId, { action, view, done });
  }
}

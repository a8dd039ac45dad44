/**
 * The operator's steps on a replicated cluster, carried out for the nemesis with the real
 * means an operator has: `join` starts spare nodes, `drain` asks the router to empty a node
 * (and, to leave, stops it with SIGINT once it holds no copy), `terminate` sends SIGTERM so
 * the node drains itself and exits (and restarts it later, for a rolling restart), and
 * `split` asks the router to split a shard.
 *
 * Each step is a window in the history that lasts as long as the step does, not a fixed
 * time: a join or a split until the cluster is balanced again (no step under way, copies and
 * primaries within one per node), a drain until the node holds nothing (and has stopped), a
 * terminate until the node has exited or, if it is restarted, until it holds copies again in
 * a balanced cluster. A window still open when the run ends shows a step that never finished. It never fakes an effect: what it reports is
 * what the router's `GET /cluster` and the processes showed.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { ClusterView, FaultSpec } from '@isx/core';
import { fetchClusterView } from '../cluster-tables.js';
import type { ManagedProcess } from '../managed-process.js';
import type { ClusterAdmin } from './cluster-admin.js';
import { isBalanced, shardHoldingKey } from './cluster-probe.js';
import type { FaultRecorder } from './fault-recorder.js';
import type { LabNetwork } from './lab-network.js';

/** How long SIGTERM may take before the node is killed: longer than the node's own drain timeout (120 s). */
const TERMINATE_GRACE_MS = 130_000;

export interface RebalancingStepsOptions {
  readonly admin: ClusterAdmin;
  readonly routerUrl: string;
  /** The workload's entity type, for `split` with `shardOf`. */
  readonly type: string;
  readonly network: LabNetwork;
  /** The nodes by lab name; a spare appears here once it has joined. */
  readonly nodes: ReadonlyMap<string, ManagedProcess>;
  /** Router-assigned id → lab name. */
  readonly namesById: Map<string, string>;
  readonly recorder: FaultRecorder;
  /** The spares not started yet, in order (the list shrinks as they join). */
  readonly spares: readonly string[];
  /** Starts the next spare and waits for its registration; its name, or undefined when none is left. */
  readonly startSpare: () => Promise<string | undefined>;
  /** Whether the nemesis has killed the node: the kill, not a step, brings it back. */
  readonly isKilled: (node: string) => boolean;
  /** How often `GET /cluster` is polled while a step is followed (default 200 ms). */
  readonly pollMs?: number;
}

interface Termination {
  readonly signalledAt: number;
  /** Resolves once the process has exited, with how it went. */
  readonly exited: Promise<string>;
  readonly restartPlanned: boolean;
  restarting: boolean;
}

export class RebalancingSteps {
  readonly #options: RebalancingStepsOptions;
  readonly #left = new Set<string>();
  readonly #terminations = new Map<string, Termination>();
  readonly #follows = new Set<Promise<void>>();
  #closed = false;

  constructor(options: RebalancingStepsOptions) {
    this.#options = options;
  }

  /** Nodes that should be up at the end: every node started, less those that left. */
  get expectedNodes(): number {
    return this.#options.nodes.size - this.#left.size;
  }

  /** Whether the node left the cluster for good (drained and stopped, or terminated with no restart). */
  hasLeft(node: string): boolean {
    return this.#left.has(node);
  }

  /** Whether the node was sent SIGTERM and has not been restarted since. */
  isTerminating(node: string): boolean {
    return this.#terminations.has(node);
  }

  /** Starts the next `count` spares; the windows end once they hold copies and the cluster is balanced. */
  async join(count: number): Promise<string> {
    const joined: Array<{ name: string; id: string; registered: string }> = [];
    for (let i = 0; i < count; i += 1) {
      const name = this.#options.spares[0];
      if (name === undefined) break;
      const started = performance.now();
      this.#options.recorder.start('join', name, `${name} started: it registers and receives replicas`);
      await this.#options.startSpare();
      joined.push({ name, id: this.#idOf(name), registered: since(started) });
    }
    if (joined.length === 0) return 'none (no spare left)';
    const started = performance.now();
    this.#follow(
      (view) =>
        isBalanced(view) &&
        joined.every(({ id }) => {
          const node = view.nodes.find((n) => n.id === id);
          return node?.status === 'alive' && (node.replicas ?? node.shards) > 0;
        }),
      (view) => {
        for (const { name, id, registered } of joined) {
          const node = view.nodes.find((n) => n.id === id);
          this.#options.recorder.end(
            'join',
            name,
            `${name} registered as ${id} in ${registered}; it holds ${node?.replicas ?? node?.shards ?? 0} copies ` +
              `(${primaries(node?.shards ?? 0)}), balanced ${since(started)} after it registered`,
          );
        }
      },
    );
    return joined.map((j) => j.name).join(',');
  }

  /** Asks the router to empty `node`; with `leave`, stops it with SIGINT once it holds nothing. */
  async drain(node: string, leave: boolean): Promise<string> {
    const { recorder } = this.#options;
    if (this.#left.has(node)) return `${node} (already left)`;
    const id = this.#idOf(node);
    const started = performance.now();
    let held: number;
    try {
      held = (await this.#options.admin.drain(id)).replicas;
    } catch (error) {
      recorder.start('drain', node, `drain of ${node} (${id}) requested`);
      recorder.end('drain', node, `refused: ${(error as Error).message}`);
      return `${node} (refused)`;
    }
    recorder.start(
      'drain',
      node,
      `${node} (${id}) draining, holding ${held} copies${leave ? '; it leaves once it holds none' : ''}`,
    );
    this.#follow(
      (view) => copiesOf(view, id) === 0,
      async () => {
        if (this.#options.isKilled(node)) {
          recorder.end('drain', node, `${node} was killed while draining; it holds no copy now`);
          return;
        }
        if (!leave) {
          recorder.end('drain', node, `${node} holds no copy after ${since(started)}; it stays up, draining`);
          return;
        }
        const emptied = since(started);
        const exit = await this.#leave(node);
        recorder.end(
          'drain',
          node,
          `${node} emptied in ${emptied}, then stopped with SIGINT (${exit}): it has left`,
        );
      },
    );
    return node;
  }

  /**
   * SIGTERM: the node drains itself and exits. With `restart`, {@link restartTerminated}
   * brings it back on its data directory; without, it has left once it exits.
   */
  terminate(node: string, restart: boolean): string {
    if (this.#left.has(node)) return `${node} (already left)`;
    if (this.#terminations.has(node)) return node;
    const child = this.#process(node);
    const id = this.#idOf(node);
    const signalledAt = performance.now();
    this.#options.recorder.start(
      'terminate',
      node,
      `${node} (${id}, pid ${child.pid ?? '?'}) sent SIGTERM: it drains itself, then exits`,
    );
    const exited = (async () => {
      await child.stop(TERMINATE_GRACE_MS, 'SIGTERM');
      // Its callers must now see a refusal, as they would without a proxy in between.
      await Promise.all(this.#options.network.linksInto(node).map((proxy) => proxy.suspend()));
      const view = await fetchClusterView(this.#options.routerUrl).catch(() => undefined);
      const held = view === undefined ? '?' : String(copiesOf(view, id));
      return `exited (${child.exitStatus ?? '?'}) ${since(signalledAt)} after SIGTERM, holding ${held} copies in the map`;
    })();
    const termination: Termination = { signalledAt, exited, restartPlanned: restart, restarting: false };
    this.#terminations.set(node, termination);
    if (!restart) {
      this.#track(
        exited.then((how) => {
          // A kill meanwhile brings the node back, and ends the window itself.
          if (this.#terminations.get(node) !== termination || this.#options.isKilled(node)) return;
          this.#terminations.delete(node);
          this.#left.add(node);
          this.#options.recorder.end('terminate', node, `${node} ${how}: it has left`);
        }),
      );
    }
    return node;
  }

  /** Ends a termination that a kill overtook: the kill's restart brought the node back. */
  abandonTermination(node: string, why: string): void {
    if (this.#terminations.delete(node)) this.#options.recorder.end('terminate', node, why);
  }

  /** Restarts a terminated node on its data directory once it has exited; the window ends once it is balanced in again. */
  restartTerminated(node: string): void {
    const termination = this.#terminations.get(node);
    if (!termination || termination.restarting) return;
    termination.restarting = true;
    this.#track(
      (async () => {
        const how = await termination.exited;
        // A kill meanwhile has its own restart.
        if (this.#terminations.get(node) !== termination || this.#options.isKilled(node)) return;
        this.#terminations.delete(node);
        // The node held nothing when it left, so no caller is waiting on it: its links open
        // before it starts, and the router's first steps towards it find it as soon as it registers.
        await Promise.all(this.#options.network.linksInto(node).map((proxy) => proxy.resume()));
        const child = this.#process(node);
        await child.start();
        const id = this.#idOf(node);
        this.#options.namesById.set(id, node);
        const restarted = `restarted on its data directory ${since(termination.signalledAt)} after SIGTERM`;
        const restartedAt = performance.now();
        this.#follow(
          (view) => isBalanced(view) && copiesOf(view, id) > 0,
          (view) =>
            this.#options.recorder.end(
              'terminate',
              node,
              `${node} ${how}; ${restarted}; it holds ${copiesOf(view, id)} copies again, balanced ${since(restartedAt)} later`,
            ),
        );
      })(),
    );
  }

  /** Splits a shard; the window ends once the cluster is balanced again. */
  async split(
    shard: Extract<FaultSpec, { kind: 'split' }>['shard'],
    at: string | undefined,
  ): Promise<string> {
    const { admin, recorder, routerUrl, type } = this.#options;
    const shardId = typeof shard === 'string' ? shard : await shardHoldingKey(routerUrl, type, shard.shardOf);
    const started = performance.now();
    recorder.start('split', shardId, `split of ${shardId}${at === undefined ? '' : ` at ${at}`} requested`);
    let halves: string;
    try {
      const { left, right } = await admin.split(shardId, at);
      halves = `split at ${JSON.stringify(right.range.start)} into ${left.id} and ${right.id}`;
    } catch (error) {
      recorder.end('split', shardId, `refused: ${(error as Error).message}`);
      return `${shardId} (refused)`;
    }
    this.#follow(isBalanced, () =>
      recorder.end('split', shardId, `${halves}; balanced ${since(started)} after the request`),
    );
    return shardId;
  }

  /**
   * Restarts the terminated nodes whose restart was planned but not yet due, then waits up
   * to `timeoutMs` for every step followed to end; false if one has not.
   */
  async finish(timeoutMs: number): Promise<boolean> {
    for (const [node, termination] of this.#terminations) {
      if (termination.restartPlanned) this.restartTerminated(node);
    }
    const deadline = performance.now() + timeoutMs;
    while (this.#follows.size > 0) {
      const left = deadline - performance.now();
      if (left <= 0) return false;
      await Promise.race([Promise.all([...this.#follows]), sleep(left)]);
    }
    return true;
  }

  /** The windows still open, as `kind target`: steps that have not finished. */
  get unfinished(): string[] {
    return this.#options.recorder.openWindows
      .filter(([fault]) => ['join', 'drain', 'terminate', 'split'].includes(fault))
      .map(([fault, target]) => `${fault} ${target}`);
  }

  /** Stops following: windows still open stay open, and the history shows them unfinished. */
  close(): void {
    this.#closed = true;
  }

  /** Polls `GET /cluster` until `done` holds, then runs `then`; the router may be down meanwhile. */
  #follow(done: (view: ClusterView) => boolean, then: (view: ClusterView) => void | Promise<void>): void {
    this.#track(
      (async () => {
        while (!this.#closed) {
          const view = await fetchClusterView(this.#options.routerUrl).catch(() => undefined);
          if (view !== undefined && done(view)) {
            await then(view);
            return;
          }
          await sleep(this.#options.pollMs ?? 200);
        }
      })(),
    );
  }

  #track(work: Promise<void>): void {
    const tracked: Promise<void> = work.finally(() => this.#follows.delete(tracked));
    this.#follows.add(tracked);
  }

  /** Stops an emptied node for good; says how it exited (`code 0`, or `signal SIGKILL` after the grace). */
  async #leave(node: string): Promise<string> {
    const child = this.#process(node);
    await Promise.all(this.#options.network.linksInto(node).map((proxy) => proxy.suspend()));
    const stopping = performance.now();
    await child.stop();
    this.#left.add(node);
    return `${child.exitStatus ?? '?'} after ${since(stopping)}`;
  }

  #process(node: string): ManagedProcess {
    const child = this.#options.nodes.get(node);
    if (!child) throw new Error(`no node ${node}; nodes are ${[...this.#options.nodes.keys()].join(', ')}`);
    return child;
  }

  /** The node's current router id (a wiped node has a new one). */
  #idOf(node: string): string {
    const id = this.#process(node).reportedId;
    if (id === undefined) throw new Error(`${node} has not reported its id`);
    return id;
  }
}

/** Copies the node holds in the view (led or backed up); 0 for a node the view lacks. */
function copiesOf(view: ClusterView, id: string): number {
  const node = view.nodes.find((n) => n.id === id);
  return node === undefined ? 0 : (node.replicas ?? node.shards);
}

function primaries(count: number): string {
  return `${count} ${count === 1 ? 'primary' : 'primaries'}`;
}

function since(startedAt: number): string {
  return `${((performance.now() - startedAt) / 1000).toFixed(1)} s`;
}

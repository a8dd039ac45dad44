/**
 * The nemesis: carries out the faults of the schedule on the real cluster and records each
 * one's start and end in the history.
 *
 * - `kill`: SIGKILL, to a node or the router. The links into it stop accepting, so callers
 *   see a refused connection, as they would without a proxy in between. Undone by a restart
 *   on the same data directory (the router keeps its port, so every link still reaches it).
 * - `pause`: SIGSTOP, undone by SIGCONT. The node's sockets stay open and silent.
 * - `partition`, `delay`, `drop`, `reset`: set on the link's proxy, undone by healing it. A
 *   link whose end names a service stands for every link to or from that service's nodes.
 * - `heal`: heals every link and resumes every paused node. Killed processes stay down until
 *   a `restart` (or the end of the run).
 * - `join`, `drain`, `terminate`, `split`: the operator's steps, carried out by
 *   {@link RebalancingSteps}; each window lasts as long as its step.
 * It never fakes an effect: a kill is a real signal to a real process, a drain a real call
 * to the router.
 */
import { rm } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { isServiceEnd, type FaultSpec, type LinkSpec } from '@isx/core';
import { fetchClusterView } from '../cluster-tables.js';
import type { HistoryWriter } from '../history/history-file.js';
import type { ManagedProcess } from '../managed-process.js';
import { ClusterAdmin } from './cluster-admin.js';
import { nodeHoldingKey } from './cluster-probe.js';
import { FaultRecorder } from './fault-recorder.js';
import { linkName, type PlannedFault } from './fault-schedule.js';
import type { LabNetwork } from './lab-network.js';
import { RebalancingSteps } from './rebalancing-steps.js';

/** How long a `moving` target waits for a step to be under way. */
const MOVING_WAIT_MS = 10_000;
/** How long the end of a run waits for the operator's steps to finish. */
const STEPS_FINISH_MS = 60_000;
const LINK_FAULTS: ReadonlySet<string> = new Set(['partition', 'delay', 'drop', 'reset']);

type ProcessTarget = Extract<FaultSpec, { kind: 'kill' }>['target'];

export interface NemesisOptions {
  /** Each node's data directory, by lab name (for `kill` with `wipe`). */
  readonly dataDirs: ReadonlyMap<string, string>;
  readonly network: LabNetwork;
  /** The nodes by lab name (`n1`, …); a spare appears once it has joined. */
  readonly nodes: ReadonlyMap<string, ManagedProcess>;
  /** Router-assigned node id → lab name; a wiped node's new id is added when it restarts. */
  readonly namesById: Map<string, string>;
  /** The router's process, for `kill router`. */
  readonly router: ManagedProcess;
  readonly routerUrl: string;
  /** The cluster token, for the operator's calls (drain, split). */
  readonly clusterToken: string;
  /** The spares not started yet, in order; `startSpare` starts the first. */
  readonly spares: readonly string[];
  readonly startSpare: () => Promise<string | undefined>;
  /** The service each node runs, by lab name (spares included). */
  readonly servicesByName: ReadonlyMap<string, string>;
  readonly type: string;
  readonly history: HistoryWriter;
}

export class Nemesis {
  readonly #options: NemesisOptions;
  readonly #recorder: FaultRecorder;
  readonly #steps: RebalancingSteps;
  readonly #killed = new Set<string>();
  readonly #wiped = new Set<string>();
  readonly #paused = new Set<string>();
  readonly #restarts = new Set<Promise<void>>();
  /** The restart under way of each node, so that a kill waits for the process it kills to be up. */
  readonly #restarting = new Map<string, Promise<void>>();

  constructor(options: NemesisOptions) {
    this.#options = options;
    this.#recorder = new FaultRecorder(options.history);
    this.#steps = new RebalancingSteps({
      admin: new ClusterAdmin(options.routerUrl, options.clusterToken),
      routerUrl: options.routerUrl,
      type: options.type,
      network: options.network,
      nodes: options.nodes,
      namesById: options.namesById,
      recorder: this.#recorder,
      spares: options.spares,
      startSpare: options.startSpare,
      isKilled: (node) => this.#killed.has(node),
    });
  }

  /** Short descriptions of the faults in force, for the progress line. */
  get active(): string[] {
    return this.#recorder.active;
  }

  /** Nodes that should be up once the run has settled: those started, less those that left. */
  get expectedNodes(): number {
    return this.#steps.expectedNodes;
  }

  /** The operator's steps still under way, as `kind target`. */
  get unfinishedSteps(): string[] {
    return this.#steps.unfinished;
  }

  /** Starts a fault; returns what it hit (a node, the router, a link or a shard). */
  async apply(planned: PlannedFault): Promise<string> {
    const { fault } = planned;
    switch (fault.kind) {
      case 'kill':
        return this.#onTarget(fault.target, (node) => this.#kill(node, fault.wipe));
      case 'restart': {
        const targets = fault.target === undefined ? [...this.#killed] : [await this.#resolve(fault.target)];
        for (const name of targets) if (name !== undefined) this.#restart(name);
        await this.settleRestarts();
        return targets.join(',') || 'none';
      }
      case 'pause':
        return this.#onTarget(fault.target, (node) => this.#pause(node));
      case 'heal':
        this.healNetworkAndResume();
        return 'all';
      case 'join':
        return this.#steps.join(fault.count);
      case 'drain':
        return this.#onTarget(fault.target, (node) => this.#steps.drain(node, fault.leave));
      case 'terminate':
        return this.#onTarget(fault.target, (node) =>
          this.#steps.terminate(node, planned.untilMs !== undefined),
        );
      case 'split':
        return this.#steps.split(fault.shard, fault.at);
      default:
        return this.#shapeLink(fault);
    }
  }

  /** Undoes what `apply` did to `target` (after the fault's `durationMs`). */
  undo(planned: PlannedFault, target: string): void {
    switch (planned.fault.kind) {
      case 'kill':
        this.#restart(target);
        return;
      case 'pause':
        this.#resume(target);
        return;
      case 'terminate':
        this.#steps.restartTerminated(target);
        return;
      case 'partition':
      case 'delay':
      case 'drop':
      case 'reset':
        for (const link of this.#linksOf(target)) this.#options.network.link(link).heal();
        this.#recorder.end(planned.fault.kind, target);
        return;
      default:
        return;
    }
  }

  /** Heals every link and resumes every paused node (killed processes stay down). */
  healNetworkAndResume(): void {
    this.#options.network.healAll();
    for (const [fault, target] of this.#recorder.openWindows) {
      if (LINK_FAULTS.has(fault)) this.#recorder.end(fault, target);
    }
    for (const node of [...this.#paused]) this.#resume(node);
  }

  /**
   * Ends every fault: heals, resumes and restarts every killed process, and waits for the
   * restarts; then waits for the operator's steps under way (drains, terminations and their
   * restarts, the rebalancing after joins and splits). Returns false if a step did not finish.
   */
  async healEverything(): Promise<boolean> {
    this.healNetworkAndResume();
    for (const name of [...this.#killed]) this.#restart(name);
    await this.settleRestarts();
    return this.#steps.finish(STEPS_FINISH_MS);
  }

  /** Waits for restarts under way; a restart that fails is recorded and rethrown. */
  async settleRestarts(): Promise<void> {
    while (this.#restarts.size > 0) await Promise.all([...this.#restarts]);
  }

  /** Stops following the operator's steps; their open windows stay open in the history. */
  close(): void {
    this.#steps.close();
  }

  /** Resolves the target and acts on it, unless it has left or no node fits a `moving` target. */
  async #onTarget(target: ProcessTarget, act: (name: string) => string | Promise<string>): Promise<string> {
    const name = await this.#resolve(target);
    if (name === undefined) return 'none (no step under way)';
    if (this.#steps.hasLeft(name)) return `${name} (has left)`;
    return act(name);
  }

  async #resolve(target: ProcessTarget): Promise<string | undefined> {
    if (typeof target === 'string') return target;
    if ('moving' in target) return this.#nodeInMove(target.moving);
    const type = target.type ?? this.#options.type;
    const id = await nodeHoldingKey(this.#options.routerUrl, type, target.primaryOf);
    const name = this.#options.namesById.get(id);
    if (!name)
      throw new Error(`the router places ${type}/${target.primaryOf} on ${id}, which the lab did not start`);
    return name;
  }

  /** A running lab node at the `end` of a step under way, waiting for one a while; undefined if none came. */
  async #nodeInMove(end: 'from' | 'to'): Promise<string | undefined> {
    const deadline = performance.now() + MOVING_WAIT_MS;
    while (performance.now() < deadline) {
      const view = await fetchClusterView(this.#options.routerUrl).catch(() => undefined);
      for (const move of view?.moves ?? []) {
        const name = move[end] === undefined ? undefined : this.#options.namesById.get(move[end]);
        if (name !== undefined && this.#options.nodes.get(name)?.running) return name;
      }
      await sleep(50);
    }
    return undefined;
  }

  async #kill(name: string, wipe: boolean): Promise<string> {
    // A node still starting after its last kill is killed once it is up: a SIGKILL to a process
    // that has not answered yet would fail its start, not test the cluster.
    await this.#restarting.get(name)?.catch(() => undefined);
    const child = this.#process(name);
    if (this.#killed.has(name)) return name;
    this.#killed.add(name);
    const pid = child.pid;
    const underWay = await this.#stepsUnderWay();
    await Promise.all(this.#options.network.linksInto(name).map((proxy) => proxy.suspend()));
    await child.kill();
    if (wipe) {
      await rm(this.#options.dataDirs.get(name)!, { recursive: true, force: true });
      this.#wiped.add(name);
    }
    this.#recorder.start(
      'kill',
      name,
      `${name} (pid ${pid ?? '?'}) killed with SIGKILL${wipe ? ', data directory deleted' : ''}${underWay}`,
    );
    return name;
  }

  #restart(name: string): void {
    if (!this.#killed.has(name)) return;
    this.#killed.delete(name);
    const restart = (async () => {
      // Links open only once the process answers: until then its callers must see a refusal,
      // not a connection the proxy accepts and then resets (which would look like a lost answer).
      const child = this.#process(name);
      await child.start();
      await Promise.all(this.#options.network.linksInto(name).map((proxy) => proxy.resume()));
      if (name !== 'router' && child.reportedId) this.#options.namesById.set(child.reportedId, name);
      const wiped = this.#wiped.delete(name);
      this.#recorder.end(
        'kill',
        name,
        wiped
          ? `${name} restarted empty, as ${child.reportedId ?? '?'}`
          : `${name} restarted on its data directory`,
      );
      // A node killed while it drained after SIGTERM came back through the kill.
      this.#steps.abandonTermination(name, `${name} was killed while it drained; the kill restarted it`);
    })();
    const tracked = restart.finally(() => {
      this.#restarts.delete(tracked);
      this.#restarting.delete(name);
    });
    // Whoever waits for it sees a failure; until then it must not end the run as an unhandled rejection.
    tracked.catch(() => undefined);
    this.#restarts.add(tracked);
    this.#restarting.set(name, tracked);
  }

  /** `, while 2 step(s) were under way: …` when the router is moving copies, for the kill's detail. */
  async #stepsUnderWay(): Promise<string> {
    const view = await fetchClusterView(this.#options.routerUrl).catch(() => undefined);
    const moves = view?.moves ?? [];
    if (moves.length === 0) return '';
    const nameOf = (id: string | undefined): string =>
      id === undefined ? '-' : (this.#options.namesById.get(id) ?? id);
    const steps = moves.map(
      (m) => `${m.kind ?? 'move'} ${m.shardId} ${nameOf(m.from)}→${nameOf(m.to)} (${m.phase})`,
    );
    return `, while ${moves.length} step(s) were under way: ${steps.join('; ')}`;
  }

  #pause(node: string): string {
    if (this.#paused.has(node) || this.#killed.has(node)) return node;
    this.#process(node).signal('SIGSTOP');
    this.#paused.add(node);
    this.#recorder.start('pause', node, `${node} stopped with SIGSTOP`);
    return node;
  }

  #resume(node: string): void {
    if (!this.#paused.delete(node)) return;
    if (this.#process(node).running) this.#process(node).signal('SIGCONT');
    this.#recorder.end('pause', node, `${node} resumed with SIGCONT`);
  }

  #shapeLink(fault: Extract<FaultSpec, { link: LinkSpec }>): string {
    const name = linkName(fault.link);
    const links = this.#linksOf(name);
    const set = (faults: Parameters<LabNetwork['set']>[1]): void => {
      for (const link of links) this.#options.network.set(link, faults);
    };
    const over = links.length === 1 ? '' : ` (${links.length} links: ${links.join(', ')})`;
    switch (fault.kind) {
      case 'partition':
        set({ blackhole: fault.direction });
        this.#recorder.start('partition', name, `${name} cut (${fault.direction})${over}`);
        break;
      case 'delay':
        set({ delayMs: fault.delayMs, jitterMs: fault.jitterMs });
        this.#recorder.start(
          'delay',
          name,
          `${name} delayed ${fault.delayMs} ms ± ${fault.jitterMs} ms${over}`,
        );
        break;
      case 'drop':
        set({ dropProbability: fault.probability });
        this.#recorder.start(
          'drop',
          name,
          `${name} drops ${Math.round(fault.probability * 100)}% of connections${over}`,
        );
        break;
      case 'reset':
        set({ resetProbability: fault.probability });
        this.#recorder.start(
          'reset',
          name,
          `${name} resets ${Math.round(fault.probability * 100)}% of connections and chunks${over}`,
        );
        break;
    }
    return name;
  }

  /** The concrete links a link name stands for: itself, or every link between the services' nodes it names. */
  #linksOf(name: string): string[] {
    const [from = '', to = ''] = name.split('->');
    if (!isServiceEnd(from) && !isServiceEnd(to)) return [name];
    const endsOf = (end: string): string[] =>
      isServiceEnd(end)
        ? [...this.#options.servicesByName].filter(([, service]) => service === end).map(([node]) => node)
        : [end];
    return endsOf(from).flatMap((a) =>
      endsOf(to)
        .filter((b) => b !== a)
        .map((b) => `${a}->${b}`),
    );
  }

  /** A node's process, or the router's. */
  #process(name: string): ManagedProcess {
    if (name === 'router') return this.#options.router;
    const node = this.#options.nodes.get(name);
    if (!node) throw new Error(`no node ${name}`);
    return node;
  }
}

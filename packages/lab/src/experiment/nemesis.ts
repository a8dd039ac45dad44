/**
 * The nemesis: carries out the faults of the schedule on the real cluster and records each
 * one's start and end in the history.
 *
 * - `kill`: SIGKILL. The links into the node stop accepting, so callers see a refused
 *   connection, as they would without a proxy in between. Undone by a restart on the same
 *   data directory.
 * - `pause`: SIGSTOP, undone by SIGCONT. The node's sockets stay open and silent.
 * - `partition`, `delay`, `drop`, `reset`: set on the link's proxy, undone by healing it.
 * - `heal`: heals every link and resumes every paused node. Killed nodes stay down until a
 *   `restart` (or the end of the run).
 * It never fakes an effect: a kill is a real signal to a real process.
 */
import { rm } from 'node:fs/promises';
import type { FaultSpec, LinkSpec, NodeTarget } from '@isx/core';
import type { HistoryWriter } from '../history/history-file.js';
import type { ManagedProcess } from '../managed-process.js';
import { nodeHoldingKey } from './cluster-probe.js';
import { linkName, type PlannedFault } from './fault-schedule.js';
import type { LabNetwork } from './lab-network.js';

export interface NemesisOptions {
  /** Each node's data directory, by lab name (for `kill` with `wipe`). */
  readonly dataDirs: ReadonlyMap<string, string>;
  readonly network: LabNetwork;
  /** The nodes by lab name (`n1`, …). */
  readonly nodes: ReadonlyMap<string, ManagedProcess>;
  /** Router-assigned node id → lab name; a wiped node's new id is added when it restarts. */
  readonly namesById: Map<string, string>;
  readonly routerUrl: string;
  readonly type: string;
  readonly history: HistoryWriter;
}

export class Nemesis {
  readonly #options: NemesisOptions;
  readonly #killed = new Set<string>();
  readonly #wiped = new Set<string>();
  readonly #paused = new Set<string>();
  /** Open windows: `fault|target`. */
  readonly #open = new Set<string>();
  readonly #restarts = new Set<Promise<void>>();

  constructor(options: NemesisOptions) {
    this.#options = options;
  }

  /** Short descriptions of the faults in force, for the progress line. */
  get active(): string[] {
    return [...this.#open].map((entry) => entry.replace('|', ' '));
  }

  /** Starts a fault; returns what it hit (a node or link name). */
  async apply(planned: PlannedFault): Promise<string> {
    const { fault } = planned;
    switch (fault.kind) {
      case 'kill':
        return this.#kill(await this.#resolve(fault.target), fault.wipe);
      case 'restart': {
        const targets = fault.target === undefined ? [...this.#killed] : [await this.#resolve(fault.target)];
        for (const node of targets) this.#restart(node);
        await this.settleRestarts();
        return targets.join(',') || 'none';
      }
      case 'pause':
        return this.#pause(await this.#resolve(fault.target));
      case 'heal':
        this.healNetworkAndResume();
        return 'all';
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
      case 'heal':
      case 'restart':
        return;
      default:
        this.#options.network.link(target).heal();
        this.#end(planned.fault.kind, target);
    }
  }

  /** Heals every link and resumes every paused node (killed nodes stay down). */
  healNetworkAndResume(): void {
    this.#options.network.healAll();
    for (const entry of [...this.#open]) {
      const [fault, target] = entry.split('|') as [string, string];
      if (fault !== 'kill' && fault !== 'pause') this.#end(fault, target);
    }
    for (const node of [...this.#paused]) this.#resume(node);
  }

  /** Ends every fault: heals, resumes and restarts every killed node, and waits for the restarts. */
  async healEverything(): Promise<void> {
    this.healNetworkAndResume();
    for (const node of [...this.#killed]) this.#restart(node);
    await this.settleRestarts();
  }

  /** Waits for restarts under way; a restart that fails is recorded and rethrown. */
  async settleRestarts(): Promise<void> {
    while (this.#restarts.size > 0) await Promise.all([...this.#restarts]);
  }

  async #resolve(target: NodeTarget): Promise<string> {
    if (typeof target === 'string') return target;
    const id = await nodeHoldingKey(this.#options.routerUrl, this.#options.type, target.primaryOf);
    const name = this.#options.namesById.get(id);
    if (!name) throw new Error(`the router places ${target.primaryOf} on ${id}, which the lab did not start`);
    return name;
  }

  async #kill(node: string, wipe: boolean): Promise<string> {
    const child = this.#node(node);
    if (this.#killed.has(node)) return node;
    this.#killed.add(node);
    const pid = child.pid;
    await Promise.all(this.#options.network.linksInto(node).map((proxy) => proxy.suspend()));
    await child.kill();
    if (wipe) {
      await rm(this.#options.dataDirs.get(node)!, { recursive: true, force: true });
      this.#wiped.add(node);
    }
    this.#start(
      'kill',
      node,
      `${node} (pid ${pid ?? '?'}) killed with SIGKILL${wipe ? ', data directory deleted' : ''}`,
    );
    return node;
  }

  #restart(node: string): void {
    if (!this.#killed.has(node)) return;
    this.#killed.delete(node);
    const restart = (async () => {
      // Links open only once the node answers: until then its callers must see a refusal,
      // not a connection the proxy accepts and then resets (which would look like a lost answer).
      const child = this.#node(node);
      await child.start();
      await Promise.all(this.#options.network.linksInto(node).map((proxy) => proxy.resume()));
      if (child.reportedId) this.#options.namesById.set(child.reportedId, node);
      const wiped = this.#wiped.delete(node);
      this.#end(
        'kill',
        node,
        wiped
          ? `${node} restarted empty, as ${child.reportedId ?? '?'}`
          : `${node} restarted on its data directory`,
      );
    })();
    const tracked = restart.finally(() => this.#restarts.delete(tracked));
    this.#restarts.add(tracked);
  }

  #pause(node: string): string {
    if (this.#paused.has(node) || this.#killed.has(node)) return node;
    this.#node(node).signal('SIGSTOP');
    this.#paused.add(node);
    this.#start('pause', node, `${node} stopped with SIGSTOP`);
    return node;
  }

  #resume(node: string): void {
    if (!this.#paused.delete(node)) return;
    if (this.#node(node).running) this.#node(node).signal('SIGCONT');
    this.#end('pause', node, `${node} resumed with SIGCONT`);
  }

  #shapeLink(fault: Extract<FaultSpec, { link: LinkSpec }>): string {
    const name = linkName(fault.link);
    const { network } = this.#options;
    switch (fault.kind) {
      case 'partition':
        network.set(name, { blackhole: fault.direction });
        this.#start('partition', name, `${name} cut (${fault.direction})`);
        break;
      case 'delay':
        network.set(name, { delayMs: fault.delayMs, jitterMs: fault.jitterMs });
        this.#start('delay', name, `${name} delayed ${fault.delayMs} ms ± ${fault.jitterMs} ms`);
        break;
      case 'drop':
        network.set(name, { dropProbability: fault.probability });
        this.#start('drop', name, `${name} drops ${Math.round(fault.probability * 100)}% of connections`);
        break;
      case 'reset':
        network.set(name, { resetProbability: fault.probability });
        this.#start('reset', name, `${name} resets ${Math.round(fault.probability * 100)}% of connections`);
        break;
    }
    return name;
  }

  #node(name: string): ManagedProcess {
    const node = this.#options.nodes.get(name);
    if (!node) throw new Error(`no node ${name}`);
    return node;
  }

  #start(fault: string, target: string, detail: string): void {
    this.#open.add(`${fault}|${target}`);
    this.#options.history.record({ type: 'nemesis', phase: 'start', fault, target, detail });
  }

  #end(fault: string, target: string, detail?: string): void {
    if (!this.#open.delete(`${fault}|${target}`)) return;
    this.#options.history.record({
      type: 'nemesis',
      phase: 'end',
      fault,
      target,
      ...(detail ? { detail } : {}),
    });
  }
}

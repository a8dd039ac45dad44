/**
 * The network of an experiment: one TCP proxy on every link of the cluster, so any link
 * can be delayed, made lossy, reset or cut, in one direction or both, while the run goes on.
 *
 * A link is named by who opens the connections: `router->n1` carries the router's requests
 * to node n1 (n1 advertises this proxy as its address), `n1->router` carries n1's
 * registrations and heartbeats (n1's `--router` points here), and `n1->n2` carries n1's
 * calls to n2 (n1 dials n2 through it via a peer route). Clients reach the router
 * directly. The network never touches a process; it only shapes the bytes between them.
 */
import type { LinkSpec } from '@isx/core';
import { deriveRandom } from '../internal/seeded-random.js';
import { TcpProxy, type LinkFaults } from '../proxy/tcp-proxy.js';

export interface LabNetworkOptions {
  readonly routerPort: number;
  /** The real listen port of each node, in order n1, n2, … */
  readonly nodePorts: readonly number[];
  readonly seed: number;
}

/** The wiring one node needs to route its traffic through the network. */
export interface NodeLinks {
  readonly advertiseUrl: string;
  readonly routerUrl: string;
  readonly peerRoutes: string[];
}

export class LabNetwork {
  readonly #links: ReadonlyMap<string, TcpProxy>;
  readonly #nodes: number;

  private constructor(links: ReadonlyMap<string, TcpProxy>, nodes: number) {
    this.#links = links;
    this.#nodes = nodes;
  }

  /** Opens a proxy on every link of a cluster of `nodePorts.length` nodes. */
  static async start(options: LabNetworkOptions): Promise<LabNetwork> {
    const links = new Map<string, TcpProxy>();
    const open = async (name: string, port: number): Promise<void> => {
      const random = deriveRandom(options.seed, `link ${name}`);
      links.set(name, await TcpProxy.start({ name, target: { host: '127.0.0.1', port }, random }));
    };
    try {
      for (const [i, port] of options.nodePorts.entries()) {
        const node = `n${i + 1}`;
        await open(`router->${node}`, port);
        await open(`${node}->router`, options.routerPort);
        for (const [j, peerPort] of options.nodePorts.entries()) {
          if (i !== j) await open(`${node}->n${j + 1}`, peerPort);
        }
      }
    } catch (error) {
      await Promise.all([...links.values()].map((proxy) => proxy.close()));
      throw error;
    }
    return new LabNetwork(links, options.nodePorts.length);
  }

  /** The proxy of a link. */
  link(link: LinkSpec | string): TcpProxy {
    const name = typeof link === 'string' ? link : `${link.from}->${link.to}`;
    const proxy = this.#links.get(name);
    if (!proxy) throw new Error(`no link ${name}; links are ${[...this.#links.keys()].join(', ')}`);
    return proxy;
  }

  /** Every link that ends at `node` (the proxies a dead node's callers would dial). */
  linksInto(node: string): TcpProxy[] {
    return [...this.#links.entries()]
      .filter(([name]) => name.endsWith(`->${node}`))
      .map(([, proxy]) => proxy);
  }

  /** How node `n{index+1}` is wired: its advertised address, its router and its peers. */
  wiringOf(index: number): NodeLinks {
    const node = `n${index + 1}`;
    const peerRoutes: string[] = [];
    for (let j = 0; j < this.#nodes; j += 1) {
      if (j === index) continue;
      const peer = `n${j + 1}`;
      peerRoutes.push(`${this.link(`router->${peer}`).url}=${this.link(`${node}->${peer}`).url}`);
    }
    return {
      advertiseUrl: this.link(`router->${node}`).url,
      routerUrl: this.link(`${node}->router`).url,
      peerRoutes,
    };
  }

  /** Sets faults on one link. */
  set(link: LinkSpec | string, faults: Partial<LinkFaults>): void {
    this.link(link).set(faults);
  }

  /** Heals every link. */
  healAll(): void {
    for (const proxy of this.#links.values()) proxy.heal();
  }

  /** Bytes and connection counts of every link, for the report. */
  stats(): Record<string, TcpProxy['stats']> {
    return Object.fromEntries([...this.#links.entries()].map(([name, proxy]) => [name, proxy.stats]));
  }

  async close(): Promise<void> {
    await Promise.all([...this.#links.values()].map((proxy) => proxy.close()));
  }
}

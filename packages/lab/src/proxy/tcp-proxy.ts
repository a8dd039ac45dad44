/**
 * A steerable TCP fault-injection proxy for the failure lab. It stands between clients and one
 * upstream address and can delay, jitter, blackhole, drop or reset their traffic, with the faults
 * changed at any moment while connections stay open. It is a measuring instrument, so it must never
 * alter or reorder the bytes it lets through, never buffer swallowed bytes to replay them later,
 * and never let a socket error take the process down. Every random choice comes from the injected
 * source, so a run can be replayed from its seed.
 *
 * A FIN (one side ending its stream) travels the same delayed, blackholed path as data, so a
 * partition hides a close as well as an answer. Aborts (RST, socket errors) are passed on at once:
 * the proxy cannot keep a connection alive whose socket is gone.
 */
import { connect, createServer, type AddressInfo, type Server, type Socket } from 'node:net';

/** The faults applied to every connection through one proxy. {@link HEALTHY} turns them all off. */
export interface LinkFaults {
  /** Added one-way delay per chunk, ms. */
  delayMs: number;
  /** Uniform extra delay in [0, jitterMs), ms, drawn per chunk. */
  jitterMs: number;
  /** Probability that a new connection is silently blackholed: accepted, never forwarded, never answered. */
  dropProbability: number;
  /** Probability that a new connection, and each chunk on an open one, is reset (RST to both sides). */
  resetProbability: number;
  /** Which direction swallows bytes (forward = client to upstream). Applies to open connections too. */
  blackhole: 'none' | 'both' | 'forward' | 'backward';
}

/** A link with no faults. */
export const HEALTHY: Readonly<LinkFaults> = Object.freeze({
  delayMs: 0,
  jitterMs: 0,
  dropProbability: 0,
  resetProbability: 0,
  blackhole: 'none',
});

/** Where a {@link TcpProxy} listens and forwards to. */
export interface TcpProxyOptions {
  /** Port to listen on; 0 (the default) lets the kernel choose a free one. */
  listenPort?: number;
  /** Interface to listen on; default 127.0.0.1. */
  host?: string;
  target: { host: string; port: number };
  /** Seeded source in [0, 1) for jitter, drops and resets; default Math.random. */
  random?: () => number;
  /** A name for logs and reports. */
  name?: string;
}

/** Counters since start. `reset` counts only resets caused by `resetProbability`. */
export interface TcpProxyStats {
  accepted: number;
  dropped: number;
  reset: number;
  bytesForward: number;
  bytesBackward: number;
  open: number;
}

type Direction = 'forward' | 'backward';
/** A chunk, or `null` for the end of the stream. */
type Item = Buffer | null;

/** One direction of one connection: a FIFO released in order, each item at its due time. */
class Lane {
  readonly #queue: { at: number; item: Item }[] = [];
  readonly #deliver: (item: Item) => void;
  #lastAt = 0;
  #timer: NodeJS.Timeout | undefined;

  constructor(deliver: (item: Item) => void) {
    this.#deliver = deliver;
  }

  push(item: Item, delayMs: number): void {
    const now = performance.now();
    // Never due before the previous item, so a short jitter cannot overtake a long one.
    const at = Math.max(this.#lastAt, now + delayMs);
    this.#lastAt = at;
    if (this.#queue.length === 0 && at <= now) return this.#deliver(item);
    this.#queue.push({ at, item });
    this.#arm();
  }

  stop(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#queue.length = 0;
  }

  // One timer per lane, re-armed for the head: timers with different durations may fire out of order.
  #arm(): void {
    const head = this.#queue[0];
    if (this.#timer !== undefined || head === undefined) return;
    this.#timer = setTimeout(() => this.#flush(), Math.max(0, head.at - performance.now()));
  }

  #flush(): void {
    this.#timer = undefined;
    const now = performance.now();
    for (let head = this.#queue[0]; head !== undefined && head.at <= now; head = this.#queue[0]) {
      this.#queue.shift();
      this.#deliver(head.item);
    }
    this.#arm();
  }
}

interface Link {
  readonly client: Socket;
  upstream?: Socket;
  readonly lanes: Lane[];
  dropped: boolean;
  /** FINs a blackhole swallowed; at two, neither peer can ever send again. */
  finsSwallowed: number;
}

const ignore = (): void => {};

/**
 * A TCP proxy to one target whose faults can be steered while it runs.
 *
 * @example
 * const proxy = await TcpProxy.start({ target: { host: '127.0.0.1', port: 4001 }, random: seededRandom(42) });
 * proxy.set({ delayMs: 50, jitterMs: 20 });
 * proxy.set({ blackhole: 'both' }); // partition the node
 * proxy.heal();
 * await proxy.close();
 */
export class TcpProxy {
  readonly name: string;
  readonly #server: Server;
  readonly #host: string;
  readonly #target: { host: string; port: number };
  readonly #random: () => number;
  readonly #links = new Set<Link>();
  readonly #stats = { accepted: 0, dropped: 0, reset: 0, bytesForward: 0, bytesBackward: 0 };
  #faults: Readonly<LinkFaults> = HEALTHY;
  #port = 0;

  private constructor(options: TcpProxyOptions) {
    this.#host = options.host ?? '127.0.0.1';
    this.#target = { ...options.target };
    this.#random = options.random ?? Math.random;
    this.name = options.name ?? `proxy to ${options.target.host}:${options.target.port}`;
    // Half-open so that one side's FIN can travel (delayed) without closing the other direction.
    this.#server = createServer({ allowHalfOpen: true, noDelay: true }, (client) => this.#accept(client));
  }

  /** Listens, resolving once the port is bound. */
  static async start(options: TcpProxyOptions): Promise<TcpProxy> {
    const proxy = new TcpProxy(options);
    const server = proxy.#server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.listenPort ?? 0, proxy.#host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    server.on('error', ignore);
    proxy.#port = (server.address() as AddressInfo).port;
    return proxy;
  }

  get port(): number {
    return this.#port;
  }

  get url(): string {
    return `http://${this.#host.includes(':') ? `[${this.#host}]` : this.#host}:${this.#port}`;
  }

  get faults(): Readonly<LinkFaults> {
    return this.#faults;
  }

  /** Merges in new faults; they apply to data not yet forwarded. Throws a RangeError on invalid values. */
  set(faults: Partial<LinkFaults>): void {
    const next = { ...this.#faults, ...faults };
    assertFaults(next);
    this.#faults = Object.freeze(next);
  }

  /** Back to {@link HEALTHY}; connections blackholed by `dropProbability` are closed, so clients reconnect. */
  heal(): void {
    this.#faults = HEALTHY;
    for (const link of [...this.#links]) if (link.dropped) this.#teardown(link, false);
  }

  /** Resets every open connection, both sides, as a crashed middlebox would. */
  resetAll(): void {
    for (const link of [...this.#links]) this.#teardown(link, true);
  }

  /**
   * Stops accepting and resets open connections, so callers see a refused connection, as
   * they would if the proxy were not there and the process behind it had died.
   */
  async suspend(): Promise<void> {
    if (!this.#server.listening) return;
    const closed = new Promise<void>((resolve) => this.#server.close(() => resolve()));
    this.resetAll();
    await closed;
  }

  /** Accepts again on the same port after {@link TcpProxy.suspend}. */
  async resume(): Promise<void> {
    if (this.#server.listening) return;
    await new Promise<void>((resolve, reject) => {
      this.#server.once('error', reject);
      this.#server.listen(this.#port, this.#host, () => {
        this.#server.off('error', reject);
        resolve();
      });
    });
  }

  get stats(): TcpProxyStats {
    return { ...this.#stats, open: this.#links.size };
  }

  /** Stops listening and destroys every connection, cancelling delayed chunks. */
  async close(): Promise<void> {
    const closed = new Promise<void>((resolve) =>
      this.#server.listening ? this.#server.close(() => resolve()) : resolve(),
    );
    for (const link of [...this.#links]) this.#teardown(link, false);
    await closed;
  }

  #accept(client: Socket): void {
    this.#stats.accepted += 1;
    client.on('error', ignore);
    const link: Link = { client, lanes: [], dropped: false, finsSwallowed: 0 };
    this.#links.add(link);
    client.once('close', (hadError) => this.#teardown(link, hadError));
    if (this.#chance(this.#faults.dropProbability)) {
      this.#stats.dropped += 1;
      link.dropped = true;
      client.resume(); // read and discard, so the client's writes succeed and it waits for an answer
      client.once('end', () => this.#teardown(link, false)); // it gave up: nothing left to model
      return;
    }
    if (this.#chance(this.#faults.resetProbability)) {
      this.#stats.reset += 1;
      return this.#teardown(link, true);
    }
    const upstream = connect({ ...this.#target, allowHalfOpen: true, noDelay: true });
    upstream.on('error', ignore);
    // An upstream that fails or aborts is passed on as an abort (RST); a graceful close as a close.
    upstream.once('close', (hadError) => this.#teardown(link, hadError));
    link.upstream = upstream;
    link.lanes.push(
      this.#pipe(link, client, upstream, 'forward'),
      this.#pipe(link, upstream, client, 'backward'),
    );
  }

  #pipe(link: Link, from: Socket, to: Socket, direction: Direction): Lane {
    const counter = direction === 'forward' ? 'bytesForward' : 'bytesBackward';
    const lane = new Lane((item) => {
      // Checked on delivery, so a partition begun while chunks are delayed swallows them too.
      if (this.#blocked(direction)) {
        if (item === null && ++link.finsSwallowed === 2) this.#teardown(link, false);
      } else if (item === null) to.end();
      else {
        this.#stats[counter] += item.length;
        to.write(item);
      }
    });
    from.on('data', (chunk: Buffer) => {
      if (this.#chance(this.#faults.resetProbability)) {
        this.#stats.reset += 1;
        return this.#teardown(link, true);
      }
      lane.push(chunk, this.#delay());
    });
    from.once('end', () => lane.push(null, this.#delay()));
    return lane;
  }

  #teardown(link: Link, reset: boolean): void {
    if (!this.#links.delete(link)) return;
    for (const lane of link.lanes) lane.stop();
    for (const socket of [link.client, link.upstream]) {
      if (socket === undefined || socket.destroyed) continue;
      if (reset) socket.resetAndDestroy();
      else socket.destroy();
    }
  }

  // A zero probability draws nothing, so a healthy link leaves the seeded sequence untouched.
  #chance(probability: number): boolean {
    return probability > 0 && this.#random() < probability;
  }

  #delay(): number {
    const { delayMs, jitterMs } = this.#faults;
    return delayMs + (jitterMs > 0 ? jitterMs * this.#random() : 0);
  }

  #blocked(direction: Direction): boolean {
    return this.#faults.blackhole === 'both' || this.#faults.blackhole === direction;
  }
}

function assertFaults(f: LinkFaults): void {
  const probability = (p: number): boolean => p >= 0 && p <= 1;
  const valid =
    f.delayMs >= 0 &&
    f.jitterMs >= 0 &&
    probability(f.dropProbability) &&
    probability(f.resetProbability) &&
    ['none', 'both', 'forward', 'backward'].includes(f.blackhole);
  if (!valid) throw new RangeError(`${JSON.stringify(f)} are not valid link faults`);
}

/**
 * How this node dials its peers. Peers are known by the URL they advertise to the router;
 * a route replaces that URL with another one to dial instead, so a failure lab can put a
 * proxy on each node-to-node link, or a deployment can reach a peer through a private
 * address. With no route a peer is dialled at its advertised URL. This module must never
 * rewrite anything but the origin: path and query pass through unchanged.
 */

/** `advertised URL → URL to dial`, both origins such as `http://127.0.0.1:7001`. */
export class PeerRoutes {
  readonly #routes: ReadonlyMap<string, string>;

  constructor(routes: Readonly<Record<string, string>> = {}) {
    this.#routes = new Map(Object.entries(routes).map(([from, to]) => [origin(from), origin(to)]));
  }

  /**
   * Parses `--peer-route` values of the form `ADVERTISED=DIAL`.
   *
   * @example
   * PeerRoutes.parse(['http://127.0.0.1:7001=http://127.0.0.1:9101']).resolve('http://127.0.0.1:7001')
   * // → 'http://127.0.0.1:9101'
   */
  static parse(values: readonly string[]): PeerRoutes {
    const routes: Record<string, string> = {};
    for (const value of values) {
      const at = value.indexOf('=');
      if (at <= 0) throw new TypeError(`a peer route is ADVERTISED=DIAL, got "${value}"`);
      routes[value.slice(0, at)] = value.slice(at + 1);
    }
    return new PeerRoutes(routes);
  }

  /** The URL to dial for a URL on a peer. */
  resolve(url: string): string {
    const parsed = new URL(url);
    const target = this.#routes.get(parsed.origin);
    return target === undefined ? url : `${target}${parsed.pathname}${parsed.search}`;
  }
}

function origin(url: string): string {
  return new URL(url).origin;
}

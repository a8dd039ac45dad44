/**
 * Free loopback ports for the processes the lab starts.
 *
 * A port is released before the caller binds it, so another socket may take it meanwhile. The
 * likeliest taker is the kernel itself: every outgoing connection (and a cluster under load
 * opens many) gets a port from the ephemeral range, which is also where port 0 binds. So ports
 * are drawn below that range (read from `/proc/sys/net/ipv4/ip_local_port_range`, else below
 * 32768), where only another listener could take them, and each is checked by binding it. The
 * launcher still detects a port lost anyway (the process fails to start) rather than hiding it.
 */
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';

/** How many ports below the ephemeral range are drawn from. */
const SPAN = 12_000;
const ATTEMPTS = 50;

export async function freePort(host = '127.0.0.1'): Promise<number> {
  const top = ephemeralStart() - 1;
  const bottom = Math.max(1024, top - SPAN);
  for (let attempt = 0; attempt < ATTEMPTS; attempt += 1) {
    const port = bottom + Math.floor(Math.random() * (top - bottom + 1));
    if ((await bind(port, host)) !== undefined) return port;
  }
  // Everything tried was taken: let the kernel choose, in the ephemeral range.
  const port = await bind(0, host);
  if (port === undefined) throw new Error(`no free port on ${host}`);
  return port;
}

/** `count` distinct free ports. */
export async function freePorts(count: number, host = '127.0.0.1'): Promise<number[]> {
  const ports = new Set<number>();
  while (ports.size < count) ports.add(await freePort(host));
  return [...ports];
}

/** Binds and releases `port` (0: any); resolves with the port bound, or undefined if it was taken. */
function bind(port: number, host: string): Promise<number | undefined> {
  return new Promise((resolve) => {
    const server = createServer();
    server.unref();
    server.once('error', () => resolve(undefined));
    server.listen(port, host, () => {
      const address = server.address();
      const bound = typeof address === 'object' && address ? address.port : undefined;
      server.close(() => resolve(bound));
    });
  });
}

/** The first port of the kernel's ephemeral range. */
function ephemeralStart(): number {
  try {
    const first = Number(
      readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0],
    );
    return Number.isInteger(first) && first > 2048 ? first : 32_768;
  } catch {
    return 32_768;
  }
}

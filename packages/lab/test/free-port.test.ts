/** Free ports: drawn below the kernel's ephemeral range, distinct, and free to bind. */
import { readFileSync } from 'node:fs';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { expect } from 'chai';
import { freePort, freePorts } from '../src/free-port.js';

function ephemeralStart(): number {
  try {
    return Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]);
  } catch {
    return 32_768;
  }
}

describe('free ports', function () {
  it('draws ports below the ephemeral range, where outgoing connections never take them', async function () {
    const ports = await freePorts(20);
    expect(new Set(ports).size).to.equal(20);
    for (const port of ports) expect(port).to.be.below(ephemeralStart()).and.at.least(1024);
  });

  it('gives a port that can then be bound', async function () {
    const port = await freePort();
    const server = createServer();
    server.listen(port, '127.0.0.1');
    await once(server, 'listening');
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
});

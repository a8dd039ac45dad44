import { expect } from 'chai';
import http from 'node:http';
import net from 'node:net';
import { once } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort } from '../src/free-port.js';
import { HEALTHY, TcpProxy } from '../src/proxy/tcp-proxy.js';

const HOST = '127.0.0.1';
/** Long enough for a loopback request, short enough to keep the suite fast. */
const GIVE_UP_MS = 300;

interface Reply {
  status: number;
  body: string;
}

function get(url: string, agent: http.Agent | false = false, timeoutMs = 2000): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { agent }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      res.on('error', reject);
    });
    req.setTimeout(timeoutMs, () =>
      req.destroy(Object.assign(new Error('timed out'), { code: 'ETIMEDOUT' })),
    );
    req.on('error', reject);
  });
}

async function rejection(promise: Promise<unknown>): Promise<NodeJS.ErrnoException> {
  try {
    await promise;
  } catch (error) {
    return error as NodeJS.ErrnoException;
  }
  throw new Error('expected a failure');
}

async function until(condition: () => boolean, timeoutMs = 2000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await sleep(5);
  }
}

/** Resolves when the socket closes, with the error it saw, if any. */
function closed(socket: net.Socket): Promise<NodeJS.ErrnoException | undefined> {
  return new Promise((resolve) => {
    let seen: NodeJS.ErrnoException | undefined;
    socket.on('error', (error) => (seen = error));
    socket.once('close', () => resolve(seen));
  });
}

async function read(socket: net.Socket, length: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let total = 0;
  while (total < length) {
    const [chunk] = (await once(socket, 'data')) as [Buffer];
    chunks.push(chunk);
    total += chunk.length;
  }
  return Buffer.concat(chunks);
}

function timers(): number {
  return process.getActiveResourcesInfo().filter((kind) => kind === 'Timeout').length;
}

describe('the TCP fault-injection proxy', function () {
  let web: http.Server;
  let hits = 0;
  let echo: net.Server;
  let echoed = '';
  let proxy: TcpProxy | undefined;
  const sockets: net.Socket[] = [];

  async function proxyTo(server: net.Server, random?: () => number): Promise<TcpProxy> {
    const { port } = server.address() as net.AddressInfo;
    proxy = await TcpProxy.start({ target: { host: HOST, port }, ...(random ? { random } : {}) });
    return proxy;
  }

  async function openRaw(port: number): Promise<net.Socket> {
    const socket = net.connect({ host: HOST, port, noDelay: true });
    sockets.push(socket);
    socket.on('error', () => {});
    await once(socket, 'connect');
    return socket;
  }

  before(async function () {
    web = http.createServer((_req, res) => {
      hits += 1;
      res.end('hello');
    });
    echo = net.createServer((socket) => {
      socket.on('error', () => {});
      socket.on('data', (chunk) => (echoed += chunk.toString('latin1')));
      socket.pipe(socket);
    });
    web.listen(0, HOST);
    echo.listen(0, HOST);
    await Promise.all([once(web, 'listening'), once(echo, 'listening')]);
  });

  after(async function () {
    web.closeAllConnections();
    await Promise.all([new Promise((r) => web.close(r)), new Promise((r) => echo.close(r))]);
  });

  beforeEach(function () {
    echoed = '';
  });

  afterEach(async function () {
    for (const socket of sockets.splice(0)) socket.destroy();
    await proxy?.close();
    proxy = undefined;
  });

  it('forwards an HTTP request and its answer unchanged when healthy', async function () {
    const p = await proxyTo(web);
    expect(await get(p.url)).to.deep.equal({ status: 200, body: 'hello' });
    expect(p.stats).to.include({ accepted: 1, dropped: 0, reset: 0 });
    expect(p.stats.bytesForward).to.be.greaterThan(0);
    expect(p.stats.bytesBackward).to.be.greaterThan(0);
  });

  it('relays a large binary stream byte for byte in both directions', async function () {
    const p = await proxyTo(echo);
    const payload = Buffer.from(Array.from({ length: 256 * 1024 }, (_, i) => (i * 7) % 251));
    const socket = await openRaw(p.port);
    socket.write(payload);
    expect((await read(socket, payload.length)).equals(payload)).to.equal(true);
    expect(p.stats).to.include({ bytesForward: payload.length, bytesBackward: payload.length });
  });

  it('adds the configured delay in each direction', async function () {
    const p = await proxyTo(web);
    p.set({ delayMs: 100 });
    const started = performance.now();
    await get(p.url);
    // A request and its answer each cross once; only a lower bound, as the machine is shared.
    expect(performance.now() - started).to.be.at.least(190);
  });

  it('draws jitter from the injected random source', async function () {
    let draws = 0;
    const p = await proxyTo(web, () => {
      draws += 1;
      return 0.999;
    });
    p.set({ jitterMs: 100 });
    const started = performance.now();
    await get(p.url);
    expect(performance.now() - started).to.be.at.least(190);
    expect(draws).to.be.at.least(2);
  });

  it('keeps byte order in each direction when jitter would let a later chunk overtake', async function () {
    const sequence = [0.9, 0, 0.5, 0, 0.2];
    let next = 0;
    const p = await proxyTo(echo, () => sequence[next++ % sequence.length]!);
    p.set({ jitterMs: 100 });
    const socket = await openRaw(p.port);
    for (const letter of 'abcdefgh') {
      socket.write(letter);
      await sleep(10);
    }
    expect((await read(socket, 8)).toString()).to.equal('abcdefgh');
    expect(echoed).to.equal('abcdefgh');
  });

  it('blackholes every new connection with dropProbability 1, and heal closes them', async function () {
    const p = await proxyTo(web);
    p.set({ dropProbability: 1 });
    const before = hits;
    expect((await rejection(get(p.url, false, GIVE_UP_MS))).code).to.equal('ETIMEDOUT');
    expect(p.stats.dropped).to.equal(1);
    expect(hits).to.equal(before);

    const waiting = await openRaw(p.port);
    await until(() => p.stats.dropped === 2);
    const gone = closed(waiting);
    p.heal();
    await gone;
    expect(await get(p.url)).to.deep.equal({ status: 200, body: 'hello' });
  });

  it('resets every new connection with resetProbability 1', async function () {
    const p = await proxyTo(web);
    p.set({ resetProbability: 1 });
    const before = hits;
    const error = await rejection(get(p.url));
    expect(error.code === 'ECONNRESET' || error.message === 'socket hang up', String(error)).to.equal(true);
    expect(p.stats.reset).to.equal(1);
    expect(hits).to.equal(before);
  });

  it('resets an open connection on its next chunk once resetProbability is raised', async function () {
    const p = await proxyTo(echo);
    const socket = await openRaw(p.port);
    socket.write('ping');
    expect((await read(socket, 4)).toString()).to.equal('ping');
    p.set({ resetProbability: 1 });
    const gone = closed(socket);
    socket.write('again');
    expect((await gone)?.code).to.equal('ECONNRESET');
    expect(p.stats).to.include({ reset: 1, open: 0 });
    expect(echoed).to.equal('ping');
  });

  it('stalls an open keep-alive connection and new connections in a full partition; heal restores new requests', async function () {
    const p = await proxyTo(web);
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    try {
      await get(p.url, agent);
      const before = hits;
      p.set({ blackhole: 'both' });
      expect((await rejection(get(p.url, agent, GIVE_UP_MS))).code).to.equal('ETIMEDOUT');
      expect(p.stats.accepted, 'the stalled request reused the open connection').to.equal(1);
      expect((await rejection(get(p.url, false, GIVE_UP_MS))).code).to.equal('ETIMEDOUT');
      expect(p.stats.accepted).to.equal(2);
      expect(hits).to.equal(before);
      p.heal();
      expect(await get(p.url)).to.deep.equal({ status: 200, body: 'hello' });
      expect(hits).to.equal(before + 1);
    } finally {
      agent.destroy();
    }
  });

  it('lets requests reach the upstream but never answers them in a backward partition', async function () {
    const p = await proxyTo(web);
    p.set({ blackhole: 'backward' });
    const before = hits;
    expect((await rejection(get(p.url, false, GIVE_UP_MS))).code).to.equal('ETIMEDOUT');
    expect(hits).to.equal(before + 1);
    expect(p.stats.bytesBackward).to.equal(0);
  });

  it('keeps requests from the upstream in a forward partition', async function () {
    const p = await proxyTo(web);
    p.set({ blackhole: 'forward' });
    const before = hits;
    expect((await rejection(get(p.url, false, GIVE_UP_MS))).code).to.equal('ETIMEDOUT');
    expect(hits).to.equal(before);
    expect(p.stats.bytesForward).to.equal(0);
  });

  it('swallows chunks that were still delayed when a partition began', async function () {
    const p = await proxyTo(web);
    p.set({ delayMs: 200 });
    const before = hits;
    const request = rejection(get(p.url, false, 500));
    await sleep(50);
    p.set({ blackhole: 'forward' });
    expect((await request).code).to.equal('ETIMEDOUT');
    expect(hits).to.equal(before);
  });

  it('resets the client when the upstream refuses the connection', async function () {
    proxy = await TcpProxy.start({ target: { host: HOST, port: await freePort() } });
    const socket = await openRaw(proxy.port);
    expect((await closed(socket))?.code).to.equal('ECONNRESET');
    await until(() => proxy!.stats.open === 0);
  });

  it('refuses connections while suspended, as a dead process would, and accepts again on resume', async function () {
    const p = await proxyTo(web);
    const open = await openRaw(p.port);
    await p.suspend();
    expect((await closed(open))?.code).to.equal('ECONNRESET');
    expect((await rejection(get(p.url))).code).to.equal('ECONNREFUSED');
    await p.resume();
    expect(await get(p.url)).to.deep.equal({ status: 200, body: 'hello' });
  });

  it('resetAll() resets every open connection on both sides', async function () {
    const p = await proxyTo(echo);
    const first = await openRaw(p.port);
    const second = await openRaw(p.port);
    await until(() => p.stats.open === 2);
    const gone = [closed(first), closed(second)];
    p.resetAll();
    expect((await Promise.all(gone)).map((error) => error?.code)).to.deep.equal(['ECONNRESET', 'ECONNRESET']);
    expect(p.stats.open).to.equal(0);
  });

  it('close() destroys open connections, cancels delayed chunks and stops listening', async function () {
    const p = await proxyTo(echo);
    const socket = await openRaw(p.port);
    await until(() => p.stats.open === 1);
    p.set({ delayMs: 1000 });
    const idle = timers();
    socket.write('late');
    await until(() => timers() === idle + 1);
    const gone = closed(socket);
    await p.close();
    await gone;
    expect(timers(), 'the delayed chunk timer was cleared').to.equal(idle);
    expect(p.stats.open).to.equal(0);
    const refused = net.connect({ host: HOST, port: p.port });
    expect((await rejection(once(refused, 'connect'))).code).to.equal('ECONNREFUSED');
    expect(echoed).to.equal('');
  });

  it('merges new faults, rejects invalid ones and heals back to HEALTHY', async function () {
    const p = await proxyTo(web);
    p.set({ delayMs: 5 });
    p.set({ blackhole: 'forward' });
    expect(p.faults).to.deep.equal({ ...HEALTHY, delayMs: 5, blackhole: 'forward' });
    expect(() => p.set({ dropProbability: 2 })).to.throw(RangeError);
    expect(() => p.set({ jitterMs: Number.NaN })).to.throw(RangeError);
    expect(p.faults.delayMs).to.equal(5);
    p.heal();
    expect(p.faults).to.deep.equal(HEALTHY);
  });
});

import { expect } from 'chai';
import http from 'node:http';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { LabNetwork } from '../src/experiment/lab-network.js';

describe('the lab network', function () {
  let network: LabNetwork;
  let servers: http.Server[];

  before(async function () {
    // Three stand-ins: the router and two nodes, each answering with its own name.
    servers = ['router', 'n1', 'n2'].map((name) => http.createServer((_req, res) => res.end(name)));
    for (const server of servers) server.listen(0, '127.0.0.1');
    await Promise.all(servers.map((server) => once(server, 'listening')));
    const [routerPort, ...nodePorts] = servers.map((s) => (s.address() as AddressInfo).port);
    network = await LabNetwork.start({ routerPort: routerPort!, nodePorts, seed: 1 });
  });

  after(async function () {
    await network.close();
    await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
  });

  async function via(url: string): Promise<string> {
    const response = await fetch(url, { signal: AbortSignal.timeout(1_000) });
    return response.text();
  }

  it('opens a proxy on every link, each reaching the process at its end', async function () {
    expect(await via(network.link('router->n1').url)).to.equal('n1');
    expect(await via(network.link('n1->router').url)).to.equal('router');
    expect(await via(network.link('n1->n2').url)).to.equal('n2');
    expect(await via(network.link('n2->n1').url)).to.equal('n1');
  });

  it('wires a node to advertise its router link, dial the router through its own link, and reach peers through theirs', function () {
    const wiring = network.wiringOf(0);
    expect(wiring.advertiseUrl).to.equal(network.link('router->n1').url);
    expect(wiring.routerUrl).to.equal(network.link('n1->router').url);
    expect(wiring.peerRoutes).to.deep.equal([
      `${network.link('router->n2').url}=${network.link('n1->n2').url}`,
    ]);
  });

  it('cuts one link without touching the others, and heals it', async function () {
    network.set('n1->n2', { blackhole: 'both' });
    const cut = await via(network.link('n1->n2').url).catch((error: Error) => error.name);
    expect(cut).to.equal('TimeoutError');
    expect(await via(network.link('router->n2').url)).to.equal('n2');
    network.healAll();
    expect(await via(network.link('n1->n2').url)).to.equal('n2');
  });

  it('lists the links into a node, the ones a kill suspends', function () {
    const names = network.linksInto('n2').map((proxy) => proxy.url);
    expect(names).to.have.members([network.link('router->n2').url, network.link('n1->n2').url]);
  });

  it('names the links it has when asked for one it does not', function () {
    expect(() => network.link('n3->n1')).to.throw(/no link n3->n1; links are router->n1/);
  });
});

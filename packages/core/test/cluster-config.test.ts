import { expect } from 'chai';
import { parseClusterConfig } from '@isx/core';

interface ErrorShape {
  code: string;
  status: number;
  message: string;
  details: { problems: string[] };
}

function configError(value: unknown): ErrorShape {
  try {
    parseClusterConfig(value);
  } catch (error) {
    return error as ErrorShape;
  }
  expect.fail('parseClusterConfig should have refused the configuration');
}

/** Phase 1's layout: two nodes, the campaign type split a–m / n–z. */
function goodConfig(): Record<string, unknown> {
  return {
    nodes: {
      'node-1': { url: 'http://127.0.0.1:4001/' },
      'node-2': { url: 'http://127.0.0.1:4002' },
    },
    types: {
      campaign: {
        partitioner: 'lexical',
        keySpace: { start: 'a', end: '{' },
        shards: [
          { id: 'campaign-a-m', range: { start: 'a', end: 'n' }, node: 'node-1' },
          { id: 'campaign-n-z', range: { start: 'n', end: '{' }, node: 'node-2' },
        ],
      },
      order: {
        shards: [
          { id: 'order-0', range: { start: '', end: '80000000' }, node: 'node-1' },
          { id: 'order-1', range: { start: '80000000', end: null }, node: 'node-2' },
        ],
      },
    },
  };
}

function withShards(shards: unknown[], extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { ...goodConfig(), types: { order: { shards, ...extra } } };
}

describe('parseClusterConfig', () => {
  it('accepts a good configuration and fills in the defaults', () => {
    const config = parseClusterConfig(goodConfig());
    expect(config.types.order!.partitioner).to.equal('hash');
    expect(config.types.order!.keySpace).to.deep.equal({ start: '', end: null });
    expect(config.types.campaign!.partitioner).to.equal('lexical');
    expect(config.types.campaign!.shards).to.have.length(2);
  });

  it('drops trailing slashes from node URLs', () => {
    const config = parseClusterConfig(goodConfig());
    expect(config.nodes['node-1']!.url).to.equal('http://127.0.0.1:4001');
    expect(config.nodes['node-2']!.url).to.equal('http://127.0.0.1:4002');
  });

  it('refuses a configuration whose ranges leave a gap, and names the gap', () => {
    const err = configError(
      withShards([
        { id: 'order-0', range: { start: '', end: '40000000' }, node: 'node-1' },
        { id: 'order-1', range: { start: '80000000', end: null }, node: 'node-2' },
      ]),
    );
    expect(err.code).to.equal('INVALID_CONFIG');
    expect(err.status).to.equal(400);
    expect(err.message).to.include('gap: no range covers ["40000000", "80000000")');
    expect(err.details.problems.join('\n')).to.include('types.order.shards');
  });

  it('refuses a configuration whose ranges overlap, and names both ranges', () => {
    const err = configError(
      withShards([
        { id: 'order-0', range: { start: '', end: 'c0000000' }, node: 'node-1' },
        { id: 'order-1', range: { start: '80000000', end: null }, node: 'node-2' },
      ]),
    );
    expect(err.code).to.equal('INVALID_CONFIG');
    expect(err.message).to.include('overlap: ["", "c0000000") and ["80000000", ∞)');
  });

  it('refuses a range that reaches outside the type key space', () => {
    const err = configError(
      withShards(
        [
          { id: 'c-1', range: { start: 'a', end: 'n' }, node: 'node-1' },
          { id: 'c-2', range: { start: 'n', end: null }, node: 'node-2' },
        ],
        { partitioner: 'lexical', keySpace: { start: 'a', end: '{' } },
      ),
    );
    expect(err.code).to.equal('INVALID_CONFIG');
    expect(err.message).to.include('range ["n", ∞) reaches outside the key space');
  });

  it('refuses a shard on a node that is not in the node list', () => {
    const err = configError(
      withShards([
        { id: 'order-0', range: { start: '', end: '80000000' }, node: 'node-1' },
        { id: 'order-1', range: { start: '80000000', end: null }, node: 'node-9' },
      ]),
    );
    expect(err.code).to.equal('INVALID_CONFIG');
    expect(err.message).to.include('unknown node "node-9"');
    expect(err.message).to.include('types.order.shards.1.node');
  });

  it('refuses a shard on a node named like a property of every object', () => {
    // "constructor" passes the id pattern, and `in` would find it on Object.prototype.
    const err = configError(
      withShards([{ id: 'order-0', range: { start: '', end: null }, node: 'constructor' }]),
    );
    expect(err.code).to.equal('INVALID_CONFIG');
    expect(err.message).to.include('unknown node "constructor"');
  });

  it('refuses two shards with the same id, even across types', () => {
    const config = goodConfig();
    const types = config.types as Record<string, { shards: Array<{ id: string }> }>;
    types.order!.shards[1]!.id = 'campaign-a-m';
    const err = configError(config);
    expect(err.code).to.equal('INVALID_CONFIG');
    expect(err.message).to.include('duplicate shard id "campaign-a-m"');
  });

  it('refuses a type name that cannot appear in a URL path', () => {
    const config = goodConfig();
    const types = config.types as Record<string, unknown>;
    types.Order = types.order;
    delete types.order;
    const err = configError(config);
    expect(err.code).to.equal('INVALID_CONFIG');
    expect(err.message).to.include('"Order" is not a valid type name');
  });

  it('lists every problem, not only the first', () => {
    const err = configError(
      withShards([
        { id: 'order-0', range: { start: '', end: '40000000' }, node: 'node-7' },
        { id: 'order-0', range: { start: '80000000', end: null }, node: 'node-2' },
      ]),
    );
    expect(err.details.problems).to.have.length(3);
    expect(err.message).to.include('unknown node "node-7"');
    expect(err.message).to.include('duplicate shard id "order-0"');
    expect(err.message).to.include('gap:');
  });

  it('refuses a type with no shards, an unknown partitioner and unknown fields', () => {
    expect(configError(withShards([])).code).to.equal('INVALID_CONFIG');
    expect(
      configError(
        withShards([{ id: 'o', range: { start: '', end: null }, node: 'node-1' }], { partitioner: 'range' }),
      ).code,
    ).to.equal('INVALID_CONFIG');
    expect(configError({ ...goodConfig(), replicas: 3 }).message).to.include('replicas');
  });

  it('refuses node ids and URLs that do not fit the schema', () => {
    const badId = { ...goodConfig(), nodes: { 'Node 1': { url: 'http://127.0.0.1:4001' } } };
    expect(configError(badId).code).to.equal('INVALID_CONFIG');
    const badUrl = {
      ...goodConfig(),
      nodes: { 'node-1': { url: 'ftp://x' }, 'node-2': { url: 'http://y' } },
    };
    expect(configError(badUrl).message).to.include('nodes.node-1.url');
  });

  it('refuses a value that is not an object', () => {
    expect(configError(null).code).to.equal('INVALID_CONFIG');
    expect(configError('nodes').code).to.equal('INVALID_CONFIG');
  });
});

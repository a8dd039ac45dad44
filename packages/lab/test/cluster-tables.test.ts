/** The shard table of `isx shards` and `isx status`: replica columns, and size and load where reported. */
import { expect } from 'chai';
import type { ClusterView } from '@isx/core';
import { shardsTable } from '../src/cluster-tables.js';

function view(shards: ClusterView['types'][string]['shards']): ClusterView {
  return {
    version: 3,
    mode: 'dynamic',
    nodes: [],
    types: { campaign: { partitioner: 'hash', keySpace: { start: '', end: null }, shards } },
  };
}

describe('shardsTable', () => {
  it('shows each shard’s records and operations per second when its primary reported them', () => {
    const table = shardsTable(
      view([
        {
          id: 'campaign-1',
          range: { start: '', end: '80000000' },
          node: 'node-1',
          backups: ['node-2'],
          epoch: 2,
          records: 1234,
          opsPerSec: 56.4,
        },
        {
          id: 'campaign-2',
          range: { start: '80000000', end: null },
          node: 'node-2',
          backups: ['node-1'],
          epoch: 1,
        },
      ]),
    );
    const [header, , first, second] = table.split('\n');
    expect(header).to.match(/PRIMARY\s+BACKUPS\s+EPOCH\s+RECORDS\s+OPS\/S/);
    expect(first).to.match(/campaign-1 .* node-2\s+2\s+1234\s+56$/);
    expect(second, 'not reported yet').to.match(/campaign-2 .*\s+-\s+-$/);
  });

  it('leaves the columns out where nothing was reported (a manual cluster)', () => {
    const table = shardsTable(view([{ id: 'campaign-1', range: { start: '', end: null }, node: 'node-1' }]));
    expect(table).not.to.match(/RECORDS/);
    expect(table.split('\n')[0]).to.match(/NODE\s*$/);
  });
});

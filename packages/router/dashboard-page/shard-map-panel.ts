/**
 * The shard map drawn as ranges: for each entity type a bar over its key space, cut into its
 * shards, each coloured by the node that holds its primary. A shard whose primary's node is
 * dead is hatched, which is what a reader sees between a death and the promotion.
 */
import type { ClusterView } from '@isx/core';
import { byId, element } from './dom.js';
import { keyPosition } from './key-position.js';
import type { NodeColours } from './node-colours.js';

export function renderShardMap(cluster: ClusterView, colours: NodeColours): void {
  const dead = new Set(
    cluster.nodes.filter((n) => n.status === 'dead' || n.status === 'down').map((n) => n.id),
  );
  const types = Object.entries(cluster.types).map(([type, layout]) => {
    const segments = layout.shards.map((shard) => {
      const left = keyPosition(shard.range.start, layout.partitioner);
      const right = keyPosition(shard.range.end, layout.partitioner);
      const orphaned = dead.has(shard.node);
      return element(
        'div',
        {
          class: `segment${orphaned ? ' orphaned' : ''}`,
          'data-shard': shard.id,
          'data-primary': shard.node,
          style: `left:${(left * 100).toFixed(3)}%;width:${(Math.max(0, right - left) * 100).toFixed(3)}%;background-color:${colours.of(shard.node)}`,
          title: `${shard.id} [${shard.range.start || '−∞'}, ${shard.range.end ?? '+∞'}) primary ${shard.node}${shard.epoch === undefined ? '' : `, epoch ${shard.epoch}`}`,
        },
        element('span', {}, shard.id),
        element('small', {}, shard.node),
      );
    });
    return element(
      'div',
      { class: 'type', 'data-type': type },
      element(
        'h3',
        {},
        `${type} `,
        element('small', {}, `${layout.partitioner} · ${layout.shards.length} shards`),
      ),
      element('div', { class: 'bar' }, ...segments),
    );
  });
  byId('shard-map').replaceChildren(...types);
}

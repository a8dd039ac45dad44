/** The nodes: liveness as the router's failure detector sees it, heartbeat age, and what each holds. */
import type { ClusterView } from '@isx/core';
import { byId, element } from './dom.js';
import type { NodeColours } from './node-colours.js';

export function renderNodes(cluster: ClusterView, colours: NodeColours): void {
  const rows = cluster.nodes.map((node) => {
    const state = node.draining && node.status !== 'dead' ? `${node.status} · draining` : node.status;
    const age =
      node.heartbeatAgeMs === undefined || node.heartbeatAgeMs === null
        ? '–'
        : heartbeatAge(node.heartbeatAgeMs);
    return element(
      'tr',
      {
        'data-node': node.id,
        'data-status': node.status,
        'data-draining': node.draining ? 'yes' : undefined,
      },
      element(
        'td',
        {},
        element('span', { class: 'dot', style: `background:${colours.of(node.id)}` }),
        node.id,
      ),
      element('td', {}, node.service ?? '–'),
      element(
        'td',
        {},
        element('span', { class: `badge ${node.status}${node.draining ? ' draining' : ''}` }, state),
      ),
      element('td', { class: 'number' }, age),
      element('td', { class: 'number' }, String(node.shards)),
      element('td', { class: 'number' }, node.replicas === undefined ? '–' : String(node.replicas)),
    );
  });
  byId('nodes')
    .querySelector('tbody')!
    .replaceChildren(...rows);
}

function heartbeatAge(ms: number): string {
  return ms < 10_000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(0)} s`;
}

/**
 * Where each shard's copies are: the primary, the backups with how many entries each lags,
 * the epoch, and what the primary last reported (records, ops/s, outbox depth), with the
 * dead letters its entities hold.
 */
import type { DashboardSnapshot } from '@isx/core';
import { byId, count, element } from './dom.js';
import type { NodeColours } from './node-colours.js';

export function renderReplicas(snapshot: DashboardSnapshot, colours: NodeColours): void {
  const { cluster } = snapshot;
  const dead = new Set(cluster.nodes.filter((n) => n.status === 'dead').map((n) => n.id));
  const nodeCell = (nodeId: string, suffix = ''): HTMLElement =>
    element(
      'span',
      { class: `replica${dead.has(nodeId) ? ' dead' : ''}`, 'data-replica': nodeId },
      element('span', { class: 'dot', style: `background:${colours.of(nodeId)}` }),
      `${nodeId}${suffix}`,
    );
  const rows = Object.values(cluster.types).flatMap((layout) =>
    layout.shards.map((shard) => {
      const backups = (shard.backups ?? []).map((backup) => {
        const lag = shard.backupLag?.[backup];
        return nodeCell(backup, lag === undefined ? '' : ` (${lag})`);
      });
      const letters = snapshot.deadLetters?.byShard[shard.id] ?? 0;
      return element(
        'tr',
        {
          'data-shard': shard.id,
          'data-primary': shard.node,
          'data-epoch': shard.epoch,
          'data-backups': (shard.backups ?? []).join(' '),
        },
        element('td', {}, shard.id),
        element('td', { class: 'range' }, `[${shard.range.start || '−∞'}, ${shard.range.end ?? '+∞'})`),
        element('td', {}, nodeCell(shard.node)),
        element('td', { class: 'backups' }, ...(backups.length > 0 ? backups : ['–'])),
        element('td', { class: 'number' }, shard.epoch === undefined ? '–' : String(shard.epoch)),
        element('td', { class: 'number' }, shard.records === undefined ? '–' : count(shard.records)),
        element('td', { class: 'number' }, shard.opsPerSec === undefined ? '–' : count(shard.opsPerSec)),
        element(
          'td',
          { class: `number${(shard.outboxDepth ?? 0) > 0 ? ' busy' : ''}` },
          shard.outboxDepth === undefined ? '–' : count(shard.outboxDepth),
        ),
        element('td', { class: `number${letters > 0 ? ' alarm' : ''}` }, count(letters)),
      );
    }),
  );
  byId('replicas')
    .querySelector('tbody')!
    .replaceChildren(...rows);
}

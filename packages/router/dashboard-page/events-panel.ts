/** The cluster's recent events, newest first: liveness changes, failovers, moves and splits. */
import type { DashboardEvent } from '@isx/core';
import { byId, element } from './dom.js';

export function renderEvents(events: readonly DashboardEvent[]): void {
  const list = byId('events');
  if (events.length === 0) {
    list.replaceChildren(element('li', { class: 'quiet' }, 'nothing yet'));
    return;
  }
  list.replaceChildren(
    ...[...events].reverse().map((event) =>
      element(
        'li',
        {
          class: `event ${event.kind}`,
          'data-kind': event.kind,
          'data-node': event.nodeId,
          'data-shard': event.shardId,
        },
        element('time', { datetime: event.at }, event.at.slice(11, 19)),
        ` ${event.text}`,
      ),
    ),
  );
}

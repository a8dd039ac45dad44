/**
 * The dashboard page: it follows `GET /dashboard/events` and draws each snapshot whole.
 * EventSource reconnects by itself when the router goes away and comes back; the header says
 * whether the page is live.
 */
import type { DashboardSnapshot } from '@isx/core';
import { byId } from './dom.js';
import { renderEvents } from './events-panel.js';
import { renderMoves } from './moves-panel.js';
import { NodeColours } from './node-colours.js';
import { renderNodes } from './nodes-panel.js';
import { renderReplicas } from './replicas-panel.js';
import { renderRequests } from './requests-panel.js';
import { renderShardMap } from './shard-map-panel.js';

const colours = new NodeColours();

function render(snapshot: DashboardSnapshot): void {
  const { cluster } = snapshot;
  colours.assign(cluster.nodes.map((n) => n.id));
  byId('router').textContent = `${snapshot.routerId} · ${cluster.mode} cluster`;
  const version = byId('map-version');
  version.textContent = `map v${cluster.version}`;
  version.dataset.version = String(cluster.version);
  renderNodes(cluster, colours);
  renderRequests(snapshot.requests);
  renderShardMap(cluster, colours);
  renderReplicas(snapshot, colours);
  renderMoves(cluster.moves ?? []);
  renderEvents(snapshot.events);
  document.body.dataset.updated = snapshot.at;
}

/** What the router sends is drawn only if it has the shape of a snapshot. */
function isSnapshot(value: unknown): value is DashboardSnapshot {
  if (typeof value !== 'object' || value === null) return false;
  const candidate = value as Partial<DashboardSnapshot>;
  return (
    typeof candidate.at === 'string' &&
    typeof candidate.cluster === 'object' &&
    Array.isArray(candidate.cluster.nodes) &&
    Array.isArray(candidate.requests) &&
    Array.isArray(candidate.events)
  );
}

function setConnection(state: 'live' | 'lost' | 'connecting', text: string): void {
  const badge = byId('connection');
  badge.dataset.state = state;
  badge.textContent = text;
}

const source = new EventSource('/dashboard/events');
source.addEventListener('open', () => setConnection('live', 'live'));
source.addEventListener('error', () => setConnection('lost', 'router unreachable, retrying…'));
source.addEventListener('snapshot', (event) => {
  const parsed: unknown = JSON.parse((event as MessageEvent<string>).data);
  if (!isSnapshot(parsed)) {
    setConnection('lost', 'the router sent something that is not a snapshot');
    return;
  }
  setConnection('live', `live · ${new Date(parsed.at).toLocaleTimeString()}`);
  render(parsed);
});

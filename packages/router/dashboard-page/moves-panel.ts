/** Moves and splits in progress, each with its phase and, once its copy has begun, a progress bar. */
import type { MoveView } from '@isx/core';
import { byId, count, element } from './dom.js';

export function renderMoves(moves: readonly MoveView[]): void {
  const list = byId('moves');
  if (moves.length === 0) {
    list.replaceChildren(element('li', { class: 'quiet' }, 'none'));
    return;
  }
  list.replaceChildren(
    ...moves.map((move) => {
      const total = move.entitiesTotal;
      const copied = move.entitiesCopied ?? 0;
      const bar =
        total === undefined || total === 0
          ? element('progress', {})
          : element('progress', { value: Math.min(copied, total), max: total });
      const figures =
        total === undefined
          ? move.entitiesCopied === undefined
            ? ''
            : `${count(copied)} copied`
          : `${count(copied)} / ${count(total)} entities`;
      return element(
        'li',
        { 'data-move': move.shardId, 'data-phase': move.phase },
        element('strong', {}, `${move.kind ?? 'move'} ${move.shardId}`),
        ` ${move.from}${move.to ? ` → ${move.to}` : ''} · ${move.phase}${move.reason ? ` (${move.reason})` : ''} `,
        bar,
        ` ${figures}`,
      );
    }),
  );
}

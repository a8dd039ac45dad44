/**
 * One colour per node, the same in every panel, so a shard's segment in the map, its row in
 * the replicas table and its node's row can be matched by eye.
 */
const PALETTE = [
  '#4e79a7',
  '#f28e2b',
  '#59a14f',
  '#b07aa1',
  '#76b7b2',
  '#edc948',
  '#e15759',
  '#9c755f',
  '#ff9da7',
  '#bab0ac',
];

export class NodeColours {
  readonly #colours = new Map<string, string>();

  /** Gives each node of `nodeIds` (in order) a colour; a node keeps its colour while it is known. */
  assign(nodeIds: readonly string[]): void {
    for (const id of [...nodeIds].sort()) {
      if (!this.#colours.has(id)) this.#colours.set(id, PALETTE[this.#colours.size % PALETTE.length]!);
    }
  }

  of(nodeId: string): string {
    return this.#colours.get(nodeId) ?? '#999999';
  }
}

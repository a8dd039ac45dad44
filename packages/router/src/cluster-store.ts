/**
 * The router's own store: the shard map, the node registry and moves in progress, in one
 * classic-level database. The state is one JSON document written with `sync`, so the router
 * never acts on a map that a crash could take back. It must never hold liveness (that is
 * rebuilt from heartbeats) or anything a node can tell it again.
 */
import { mkdir } from 'node:fs/promises';
import { ClassicLevel } from 'classic-level';
import { z } from 'zod';
import { nodeIdSchema, shardMapWireSchema } from '@isx/core';

export const nodeRecordSchema = z.object({
  id: nodeIdSchema,
  service: z.string(),
  types: z.array(z.string()),
  url: z.string(),
  capacity: z.number().int().min(1),
  registeredAt: z.string(),
  /** Being emptied before it leaves; kept across restarts of the router, cleared when the node registers again. */
  draining: z.boolean().optional(),
});
export type NodeRecord = z.infer<typeof nodeRecordSchema>;

export const moveRecordSchema = z.object({
  shardId: z.string(),
  type: z.string(),
  from: z.string(),
  to: z.string(),
  startedAt: z.string(),
});
export type MoveRecord = z.infer<typeof moveRecordSchema>;

export const clusterStateSchema = z.object({
  routerId: z.string(),
  map: shardMapWireSchema,
  nodes: z.array(nodeRecordSchema),
  nextNodeNumber: z.number().int().min(1),
  moves: z.array(moveRecordSchema),
});
export type ClusterState = z.infer<typeof clusterStateSchema>;

const STATE_KEY = 'cluster-state';

export class ClusterStore {
  readonly #db: ClassicLevel<string, unknown>;

  private constructor(db: ClassicLevel<string, unknown>) {
    this.#db = db;
  }

  static async open(directory: string): Promise<ClusterStore> {
    await mkdir(directory, { recursive: true });
    const db = new ClassicLevel<string, unknown>(directory, { valueEncoding: 'json' });
    await db.open();
    return new ClusterStore(db);
  }

  /** The saved state, or `undefined` for a new router. A corrupt state is an error, never ignored. */
  async load(): Promise<ClusterState | undefined> {
    const raw = await this.#db.get(STATE_KEY);
    return raw === undefined ? undefined : clusterStateSchema.parse(raw);
  }

  /** Writes the whole state and syncs it to disk. */
  async save(state: ClusterState): Promise<void> {
    await this.#db.put(STATE_KEY, state, { sync: true });
  }

  async close(): Promise<void> {
    await this.#db.close();
  }
}

/**
 * A stand-in for the router and for one backup node, on a real loopback port, so a real node
 * can be started under a router in a unit test: it registers the node, answers its heartbeats
 * (or refuses them, on demand), drops a backup the node reports as failed from the map it
 * hands out, and takes replicated entries as that backup (or refuses them, on demand).
 */
import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  IsxError,
  parseClusterConfig,
  ShardMap,
  replicaFailedRequestSchema,
  replicateBatchRequestSchema,
} from '@isx/core';

/** How often the node is told to send heartbeats: often, so a test sees several quickly. */
export const FAKE_HEARTBEAT_MS = 20;

export class FakeRouter {
  readonly #server: Server;
  readonly #nodeId: string;
  /** Where it listens, once started. */
  url = '';
  map: ShardMap | undefined;
  /** Heartbeats are answered 503 while true. */
  refuseHeartbeats = false;
  /** Replicate-batch requests are answered 503 while true. */
  refuseReplication = false;

  private constructor(nodeId: string) {
    this.#nodeId = nodeId;
    this.#server = createServer((request, response) => {
      this.#handle(request, response).catch((error: unknown) =>
        reply(response, 500, { error: String(error) }),
      );
    });
  }

  /** Listens on a free port; `mapAt` builds the first map, given the URL it listens at. */
  static async start(nodeId: string, mapAt: (url: string) => ShardMap): Promise<FakeRouter> {
    const fake = new FakeRouter(nodeId);
    fake.#server.listen(0, '127.0.0.1');
    await once(fake.#server, 'listening');
    fake.url = `http://127.0.0.1:${(fake.#server.address() as AddressInfo).port}`;
    fake.map = mapAt(fake.url);
    return fake;
  }

  async close(): Promise<void> {
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  async #handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const body = await readJson(request);
    const map = this.map!;
    const wire = (): unknown => ({ version: this.map!.version, config: this.map!.config });
    switch (`${request.method} ${request.url}`) {
      case 'POST /internal/register':
        return reply(response, 200, { nodeId: this.#nodeId, heartbeatMs: FAKE_HEARTBEAT_MS, map: wire() });
      case 'POST /internal/heartbeat':
        if (this.refuseHeartbeats) return refuse(response, 'the router is pretending to be down');
        return reply(response, 200, { mapVersion: map.version });
      case 'GET /internal/map':
        return reply(response, 200, wire());
      case 'POST /internal/replica-failed':
        this.#dropBackup(replicaFailedRequestSchema.parse(body));
        return reply(response, 200, wire());
      case 'POST /internal/replicate-batch': {
        if (this.refuseReplication) return refuse(response, 'the backup is pretending to be down');
        const { entries } = replicateBatchRequestSchema.parse(body);
        return reply(response, 200, { results: entries.map((entry) => ({ seq: entry.seq })) });
      }
      default:
        return reply(response, 404, new IsxError('ROUTE_NOT_FOUND', 'not faked').toBody());
    }
  }

  /** What a router does with a failed backup: a map without it, under a new epoch. */
  #dropBackup(failed: { shardId: string; node: string }): void {
    const map = this.map!;
    const config = structuredClone(map.config);
    for (const layout of Object.values(config.types)) {
      for (const shard of layout.shards) {
        if (shard.id !== failed.shardId) continue;
        shard.backups = (shard.backups ?? []).filter((node) => node !== failed.node);
        shard.epoch = (shard.epoch ?? 0) + 1;
      }
    }
    this.map = new ShardMap(parseClusterConfig(config), map.version + 1);
  }
}

async function readJson(request: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return chunks.length === 0 ? undefined : JSON.parse(Buffer.concat(chunks).toString('utf8'));
}

function reply(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { 'content-type': 'application/json' });
  response.end(JSON.stringify(body));
}

function refuse(response: ServerResponse, why: string): void {
  reply(response, 503, new IsxError('NODE_UNAVAILABLE', why).toBody());
}

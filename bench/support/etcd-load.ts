/**
 * A put workload against etcd's v3 JSON gateway (`POST {clientUrl}{prefix}/kv/put` with the
 * key and value in base64), driven by the same closed-loop generator as the isx benchmarks.
 *
 * The value of key i is the same JSON campaign of about 300 bytes that the isx benchmarks
 * write, so the two systems store the same bytes. Workers are spread round-robin over the
 * members' client URLs, as a client with every endpoint would; followers forward writes to
 * the leader. It must never count an answer outside 2xx as a put.
 */
import { preparedCampaigns } from './campaign-payload.js';
import type { HttpTarget, KeepAliveHttp } from './keep-alive-http.js';
import type { Operation } from './load.js';

export interface EtcdPutOptions {
  /** Client URLs; worker w talks to `endpoints[w % endpoints.length]`. */
  readonly endpoints: readonly string[];
  /** `/v3` (3.4+), `/v3beta` (3.3) or `/v3alpha` (3.2); see `EtcdCluster.gatewayPrefix`. */
  readonly gatewayPrefix: string;
  /** Distinct keys (default 1000), cycled through as the isx benchmarks do. */
  readonly keys?: number;
  readonly concurrency: number;
}

/** One put per call, for `runLoad` or `compareInterleaved`: key i cycles as in the isx benchmarks. */
export function etcdPutOperation(http: KeepAliveHttp, options: EtcdPutOptions): Operation {
  const keys = options.keys ?? 1000;
  const targets: HttpTarget[] = options.endpoints.map((url) => ({
    method: 'POST',
    url: new URL(`${options.gatewayPrefix}/kv/put`, url),
  }));
  const bodies = preparedCampaigns(keys).map(({ key, bytes }) =>
    Buffer.from(
      JSON.stringify({
        key: Buffer.from(`campaign/${key}`).toString('base64'),
        value: bytes.toString('base64'),
      }),
    ),
  );
  return (worker, iteration) => {
    const target = targets[worker % targets.length]!;
    return http.send(target, bodies[(iteration * options.concurrency + worker) % keys]);
  };
}

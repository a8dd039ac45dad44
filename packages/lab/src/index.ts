/**
 * `@isx/lab`: the `isx` command line and the local cluster launcher.
 *
 * `LocalCluster` starts a router and its nodes as real processes on loopback ports, each
 * with its Level store on disk, and can `kill -9` and restart them. The phase demos and the
 * real-process tests are built on it.
 *
 * @example
 * import { LocalCluster } from '@isx/lab';
 * const cluster = await LocalCluster.start({ dataDir: '/tmp/isx', nodes: 2, partitioner: 'lexical' });
 * await cluster.node('node-2').kill();
 * await cluster.node('node-2').start();
 * await cluster.stop();
 *
 * @packageDocumentation
 */
export { fetchClusterView, nodesTable, shardsTable } from './cluster-tables.js';
export { freePort, freePorts } from './free-port.js';
export { LocalCluster } from './local-cluster.js';
export type { LocalClusterOptions } from './local-cluster.js';
export { ISX_ENTRY, ManagedProcess } from './managed-process.js';
export type { ManagedProcessSpec } from './managed-process.js';
export { manualLayout } from './manual-layout.js';
export type { ManualLayoutOptions } from './manual-layout.js';
export { Narrator } from './narrator.js';
export type { NarratorOptions } from './narrator.js';
export { SERVICES } from './services.js';
export { formatTable } from './table.js';

/**
 * Manual shard layouts for a local cluster: one range per node, split evenly.
 *
 * `lexical` splits the letters a–z (two nodes give phase 1's a–m and n–z, with the key
 * space `[a, {)` so keys outside it are refused); `hash` splits the 32-bit hash space.
 * The result is an ordinary cluster configuration, checked like any other.
 */
import { parseClusterConfig, type ClusterConfig, type KeyRange, type PartitionerName } from '@isx/core';
import { hashRanges } from '@isx/router';

export interface ManualLayoutOptions {
  readonly type: string;
  readonly partitioner: PartitionerName;
  /** One URL per node, in node order; node ids are `node-1`, `node-2`, … */
  readonly nodeUrls: readonly string[];
}

const LETTERS = 'abcdefghijklmnopqrstuvwxyz';
/** The character after `z`, so `[a, {)` holds every key that starts with a lowercase letter. */
const AFTER_Z = '{';

export function manualLayout(options: ManualLayoutOptions): ClusterConfig {
  const count = options.nodeUrls.length;
  if (count < 1 || (options.partitioner === 'lexical' && count > LETTERS.length)) {
    throw new RangeError(`a ${options.partitioner} layout needs 1–${LETTERS.length} nodes, got ${count}`);
  }
  const ranges = options.partitioner === 'lexical' ? lexicalRanges(count) : hashRanges(count);
  const nodes = Object.fromEntries(options.nodeUrls.map((url, i) => [`node-${i + 1}`, { url }]));
  const shards = ranges.map((range, i) => ({
    id: `${options.type}-${shardSuffix(options.partitioner, range, i)}`,
    range,
    node: `node-${i + 1}`,
  }));
  return parseClusterConfig({
    nodes,
    types: {
      [options.type]: {
        partitioner: options.partitioner,
        ...(options.partitioner === 'lexical' ? { keySpace: { start: 'a', end: AFTER_Z } } : {}),
        shards,
      },
    },
  });
}

function lexicalRanges(count: number): KeyRange[] {
  const starts = Array.from({ length: count }, (_, i) => LETTERS[Math.floor((LETTERS.length * i) / count)]!);
  return starts.map((start, i) => ({ start, end: starts[i + 1] ?? AFTER_Z }));
}

function shardSuffix(partitioner: PartitionerName, range: KeyRange, index: number): string {
  if (partitioner === 'hash') return String(index + 1);
  const last = range.end === AFTER_Z ? 'z' : String.fromCharCode((range.end ?? 'z').charCodeAt(0) - 1);
  return range.start === last ? range.start : `${range.start}-${last}`;
}

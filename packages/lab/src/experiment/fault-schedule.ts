/**
 * Turns a spec's fault list into the concrete schedule a run follows: periodic entries are
 * unrolled, and every `random` node or link end is drawn from the seed, among the nodes
 * started at the beginning (spares join later, and may have left by then). The result
 * depends on the spec alone, so two runs of one spec inject the same faults at the same
 * times. Only `primaryOf`, `moving` and `shardOf` targets stay open, since where a key lives
 * and which steps are under way are known only while the cluster runs.
 */
import type { ExperimentSpec, FaultSpec, LinkSpec } from '@isx/core';
import { deriveRandom, pickIndex, type Random } from '../internal/seeded-random.js';

/** One fault of the schedule, with `random` resolved. */
export interface PlannedFault {
  readonly atMs: number;
  readonly fault: FaultSpec;
  /**
   * When the fault is undone (a kill or a terminate restarts, a link heals, a pause resumes);
   * absent for `heal`, `restart`, `join`, `drain` and `split`, and when no `durationMs` is given.
   */
  readonly untilMs?: number | undefined;
}

/** The concrete schedule of `spec`, in time order. */
export function planFaults(spec: ExperimentSpec): PlannedFault[] {
  const random = deriveRandom(spec.seed, 'faults');
  const nodes = spec.cluster.nodes;
  const planned: PlannedFault[] = [];
  for (const entry of spec.faults) {
    if ('at' in entry) {
      const fault = resolveFault(entry.fault, nodes, random);
      planned.push({ atMs: entry.at, fault, untilMs: undoTime(entry.at, fault) });
      continue;
    }
    for (let at = entry.start; at < spec.workload.durationMs; at += entry.every) {
      const chosen = entry.choose[pickIndex(random, entry.choose.length)]!;
      const fault = resolveFault(chosen, nodes, random);
      planned.push({ atMs: at, fault, untilMs: at + entry.duration });
    }
  }
  return planned.sort((a, b) => a.atMs - b.atMs);
}

/** `router->n1`, the name the lab gives a link. */
export function linkName(link: LinkSpec): string {
  return `${link.from}->${link.to}`;
}

function undoTime(at: number, fault: FaultSpec): number | undefined {
  if (!('durationMs' in fault) || fault.durationMs === undefined) return undefined;
  return at + fault.durationMs;
}

function resolveFault(fault: FaultSpec, nodes: number, random: Random): FaultSpec {
  if ('link' in fault) return { ...fault, link: resolveLink(fault.link, nodes, random) };
  if ('target' in fault && fault.target !== undefined) {
    return { ...fault, target: resolveTarget(fault.target, nodes, random) };
  }
  return fault;
}

function resolveTarget<T>(target: T, nodes: number, random: Random): T | `n${number}` {
  return target === 'random' ? `n${pickIndex(random, nodes) + 1}` : target;
}

function resolveLink(link: LinkSpec, nodes: number, random: Random): LinkSpec {
  const ends = ['router', ...Array.from({ length: nodes }, (_, i) => `n${i + 1}`)];
  const from = link.from === 'random' ? ends[pickIndex(random, ends.length)]! : link.from;
  // The other end must differ, and a link needs at least one node.
  const others = ends.filter((end) => end !== from && !(from === 'router' && end === 'router'));
  const to = link.to === 'random' ? others[pickIndex(random, others.length)]! : link.to;
  return { from, to };
}

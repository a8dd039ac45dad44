/**
 * CPU time of processes, read from `/proc/<pid>/stat` (user + system, every thread), so a
 * benchmark can say where the cores went while it measured: into the load generator, the
 * router or the nodes.
 *
 * On a machine whose cores the generator shares with the system under test, throughput
 * alone cannot say whether an extra hop is slow or merely competes for CPU; this is the
 * evidence. Linux only: elsewhere every reading is `undefined` and the figures are left out.
 * It must never signal or otherwise touch the processes it reads.
 */
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { promisify } from 'node:util';

let ticksPerSecond: Promise<number> | undefined;

/** `getconf CLK_TCK`, the unit of `/proc/<pid>/stat` times (100 nearly everywhere). */
function clockTicks(): Promise<number> {
  ticksPerSecond ??= promisify(execFile)('getconf', ['CLK_TCK']).then(
    ({ stdout }) => Number(stdout.trim()) || 100,
    () => 100,
  );
  return ticksPerSecond;
}

/** Seconds of CPU the process has used so far, or `undefined` if it cannot be read. */
export async function cpuSeconds(pid: number): Promise<number | undefined> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) is in parentheses and may hold spaces: count from after it.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[11]) + Number(fields[12]); // utime, stime: fields 14 and 15
    return Number.isFinite(ticks) ? ticks / (await clockTicks()) : undefined;
  } catch {
    return undefined;
  }
}

/** CPU seconds of named groups of processes: `{ generator: [pid], router: [pid], nodes: [pid, pid] }`. */
export async function cpuByGroup(
  groups: Readonly<Record<string, readonly number[]>>,
): Promise<Record<string, number | undefined>> {
  const entries = await Promise.all(
    Object.entries(groups).map(async ([group, pids]) => {
      const readings = await Promise.all(pids.map(cpuSeconds));
      const known = readings.every((r) => r !== undefined);
      return [group, known ? readings.reduce((sum: number, r) => sum + (r ?? 0), 0) : undefined] as const;
    }),
  );
  return Object.fromEntries(entries);
}

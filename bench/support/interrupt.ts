/**
 * What happens when a benchmark is interrupted (Ctrl-C, SIGTERM): Node would exit on those
 * signals without unwinding, so no `finally` would stop the processes a benchmark started.
 *
 * A benchmark registers what must not outlive it (stopping a cluster, an etcd) and
 * unregisters it once it has stopped it itself. On a signal, every registered cleanup runs,
 * load generators stop sending, narration falls silent (the benchmark's own code is still
 * unwinding and its half-finished figures mean nothing), and the process exits with
 * 128 + the signal's number. It must never run a cleanup twice, and never swallow the signal.
 */
import { Narrator } from '@isx/lab';

const cleanups = new Set<() => Promise<void>>();
let installed = false;
let interruptedBy: NodeJS.Signals | undefined;

/** Whether SIGINT or SIGTERM arrived: load generators stop sending once it has. */
export function interrupted(): boolean {
  return interruptedBy !== undefined;
}

/** Runs `cleanup` if the process is interrupted before the returned function is called. */
export function onInterrupt(cleanup: () => Promise<void>): () => void {
  const once = async (): Promise<void> => {
    cleanups.delete(once);
    await cleanup();
  };
  cleanups.add(once);
  return () => {
    cleanups.delete(once);
  };
}

/** Makes SIGINT and SIGTERM run every registered cleanup, then exit. */
export function installInterruptHandlers(log: (line: string) => void = console.error): void {
  if (installed) return;
  installed = true;
  const handle = (signal: NodeJS.Signals, code: number): void => {
    interruptedBy = signal;
    log(`\n${signal}: stopping what the benchmark started…`);
    void Promise.allSettled([...cleanups].map((cleanup) => cleanup())).then(() => process.exit(128 + code));
  };
  process.once('SIGINT', () => handle('SIGINT', 2));
  process.once('SIGTERM', () => handle('SIGTERM', 15));
}

/** A `Narrator` on stdout that stops printing once the run is interrupted. */
export function benchNarrator(title: string): Narrator {
  return new Narrator({
    title,
    write: (text) => {
      if (!interrupted()) process.stdout.write(text);
    },
  });
}

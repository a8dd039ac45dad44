/**
 * One real OS process of the cluster (a router or a node), started from the `isx` entry
 * point (or a service's own node script), with its output in a log file and, for whoever
 * asks, line by line as it comes.
 *
 * `start` resolves only once the process answers `GET /healthz`; `kill` sends a real
 * signal (SIGKILL for a crash, SIGSTOP for a pause) and `stop` asks politely first. The
 * launcher never simulates a failure: what it reports happened to a real process.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createWriteStream, type WriteStream } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';

/** The `isx` entry point that every managed process runs. */
export const ISX_ENTRY = fileURLToPath(new URL('./bin/isx.js', import.meta.url));

export interface ManagedProcessSpec {
  /** A name for logs and messages: `router`, `node-1`. */
  readonly name: string;
  /** The script node runs (default {@link ISX_ENTRY}), e.g. a service's own `main.js`. */
  readonly entry?: string;
  /** Arguments after the script, e.g. `['node', '--service', 'campaign', ...]` for `isx`. */
  readonly args: readonly string[];
  /** Where `GET /healthz` answers once the process is ready. */
  readonly url: string;
  readonly logFile: string;
  readonly env?: Readonly<Record<string, string>>;
  /** Wait until the health check reports an id other than `unregistered` (a node under a router). */
  readonly waitForRegistration?: boolean;
  /** Told of every line the process writes (stdout and stderr) as well as the log file is (`isx up` shows them). */
  readonly onLine?: (line: string) => void;
}

export class ManagedProcess {
  readonly spec: ManagedProcessSpec;
  #child: ChildProcess | undefined;
  #exit: Promise<void> | undefined;
  #log: WriteStream | undefined;
  #starts = 0;
  #reportedId: string | undefined;

  constructor(spec: ManagedProcessSpec) {
    this.spec = spec;
  }

  get name(): string {
    return this.spec.name;
  }

  get pid(): number | undefined {
    return this.#child?.pid;
  }

  /** True while the OS process exists (including while stopped by SIGSTOP). */
  get running(): boolean {
    return this.#child !== undefined && this.#child.exitCode === null && this.#child.signalCode === null;
  }

  /**
   * How the last run of the process ended: `code 0`, `signal SIGKILL`; undefined while it runs
   * or before it has started.
   */
  get exitStatus(): string | undefined {
    const child = this.#child;
    if (!child || this.running) return undefined;
    return child.signalCode === null ? `code ${child.exitCode ?? '?'}` : `signal ${child.signalCode}`;
  }

  /** The id the process reported in its last health check (a node's id comes from the router). */
  get reportedId(): string | undefined {
    return this.#reportedId;
  }

  /** How many times the process has been started. */
  get starts(): number {
    return this.#starts;
  }

  /** Spawns the process and waits until it answers its health check. */
  async start(timeoutMs = 15_000): Promise<void> {
    if (this.running) throw new Error(`${this.name} is already running`);
    await mkdir(dirname(this.spec.logFile), { recursive: true });
    this.#log = createWriteStream(this.spec.logFile, { flags: 'a' });
    const child = spawn(process.execPath, [this.spec.entry ?? ISX_ENTRY, ...this.spec.args], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, ...this.spec.env },
    });
    this.#child = child;
    this.#starts += 1;
    child.stdout?.pipe(this.#log, { end: false });
    child.stderr?.pipe(this.#log, { end: false });
    const onLine = this.spec.onLine;
    if (onLine) {
      for (const output of [child.stdout, child.stderr] as Array<Readable | null>) {
        if (output) createInterface({ input: output, crlfDelay: Infinity }).on('line', onLine);
      }
    }
    this.#exit = once(child, 'exit').then(() => undefined);
    await this.#waitHealthy(child, timeoutMs);
  }

  /** Sends a signal: SIGKILL is a crash, SIGSTOP a pause, SIGCONT a resume. */
  signal(signal: NodeJS.Signals): void {
    if (!this.#child || !this.running) throw new Error(`${this.name} is not running`);
    this.#child.kill(signal);
  }

  /** `kill -9`, and wait until the process is gone. */
  async kill(): Promise<void> {
    if (!this.running) return;
    this.signal('SIGKILL');
    await this.#exit;
  }

  /**
   * Asks the process to stop, then SIGKILLs it if it has not exited within `graceMs`. SIGINT
   * (the default) stops a node at once, cleanly; SIGTERM has it drain first (DESIGN §5), so
   * give that a longer grace.
   */
  async stop(graceMs = 5_000, signal: 'SIGINT' | 'SIGTERM' = 'SIGINT'): Promise<void> {
    if (!this.running) return;
    this.#child?.kill('SIGCONT');
    this.#child?.kill(signal);
    const exited = await Promise.race([this.#exit?.then(() => true), sleep(graceMs).then(() => false)]);
    if (!exited) await this.kill();
    this.#log?.end();
  }

  /** The last lines of the process's log, for error messages. */
  async tail(lines = 20): Promise<string> {
    try {
      return (await readFile(this.spec.logFile, 'utf8')).trimEnd().split('\n').slice(-lines).join('\n');
    } catch {
      return '';
    }
  }

  async #waitHealthy(child: ChildProcess, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (child.exitCode !== null || child.signalCode !== null) {
        throw new Error(
          `${this.name} exited (${child.exitCode ?? child.signalCode}) while starting:\n${await this.tail()}`,
        );
      }
      try {
        const response = await fetch(`${this.spec.url}/healthz`, { signal: AbortSignal.timeout(500) });
        if (response.ok) {
          const { id } = (await response.json()) as { id?: string };
          this.#reportedId = id;
          if (!this.spec.waitForRegistration || (id !== undefined && id !== 'unregistered')) return;
        }
      } catch {
        // not listening yet
      }
      await sleep(50);
    }
    child.kill('SIGKILL');
    throw new Error(`${this.name} did not become healthy within ${timeoutMs} ms:\n${await this.tail()}`);
  }
}

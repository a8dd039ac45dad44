/**
 * A three-member etcd cluster on loopback ports, the yardstick the replicated benchmarks put
 * Infinite Scale next to (`--vs etcd`).
 *
 * It installs Debian's `etcd-server` when no `etcd` is on the PATH (saying so), starts each
 * member as a real process with its data in a fresh temporary directory and its output in a
 * log file there, and resolves once every member answers `GET /health`. `kill` is a real
 * SIGKILL. It must never leave a member running: a cluster that fails to start is stopped
 * before the error is thrown, an interrupted benchmark stops it, and `stop` ends every member
 * it started, and nothing else.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { freePorts } from '@isx/lab';
import { onInterrupt } from './interrupt.js';

const run = promisify(execFile);

/**
 * How long a member may take to exit on SIGTERM before it is killed. Stopped together, the
 * leader hands leadership to a member that is stopping too and then campaigns for seconds;
 * the data is thrown away, so there is nothing to wait for.
 */
const STOP_GRACE_MS = 1_000;

export interface EtcdMember {
  readonly name: string;
  readonly pid: number;
  readonly clientUrl: string;
  readonly peerUrl: string;
}

export interface EtcdCluster {
  /** The client URLs of every member. */
  readonly endpoints: readonly string[];
  readonly members: readonly EtcdMember[];
  readonly dataDir: string;
  /** The installed version, e.g. `3.4.23`. */
  readonly version: string;
  /** `/v3`, `/v3beta` or `/v3alpha`: where this version serves its JSON gateway. */
  readonly gatewayPrefix: string;
  /** SIGKILL one member and wait until it is gone. */
  kill(name: string): Promise<void>;
  /** The name of the member that leads now, as the first live member sees it. */
  leader(): Promise<string>;
  /** Stops every member (SIGTERM, SIGKILL after 1 s) and removes the data unless `keepData`. */
  stop(keepData?: boolean): Promise<void>;
}

export interface EtcdClusterOptions {
  readonly size?: number;
  /** Where to say what is happening (install, start). */
  readonly log?: (line: string) => void;
  readonly startTimeoutMs?: number;
}

/** Makes sure an `etcd` binary is installed (apt-get install etcd-server if not); returns its version. */
export async function ensureEtcd(log: (line: string) => void = () => {}): Promise<string> {
  if (!(await hasEtcd())) {
    log('etcd is not installed: running `apt-get install -y etcd-server` (DEBIAN_FRONTEND=noninteractive)');
    const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
    const install = () => run('apt-get', ['install', '-y', 'etcd-server'], { env, maxBuffer: 1 << 24 });
    try {
      await install().catch(async () => {
        log('apt-get install failed; running `apt-get update` and trying once more');
        await run('apt-get', ['update'], { env, maxBuffer: 1 << 24 });
        await install();
      });
    } catch (error) {
      const detail = (error as { stderr?: string }).stderr?.trim().split('\n').slice(-5).join('\n') ?? '';
      throw new Error(
        `could not install etcd with apt-get (needs root and a reachable Debian mirror): ${String(error)}\n${detail}`,
      );
    }
    if (!(await hasEtcd())) throw new Error('apt-get installed etcd-server but no `etcd` is on the PATH');
  }
  const { stdout } = await run('etcd', ['--version']);
  return /etcd Version:\s*(\S+)/.exec(stdout)?.[1] ?? 'unknown';
}

async function hasEtcd(): Promise<boolean> {
  return run('sh', ['-c', 'command -v etcd']).then(
    () => true,
    () => false,
  );
}

/** Installs etcd if needed, starts `size` (default 3) members and waits until each is healthy. */
export async function startEtcdCluster(options: EtcdClusterOptions = {}): Promise<EtcdCluster> {
  const size = options.size ?? 3;
  const log = options.log ?? (() => {});
  const version = await ensureEtcd(log);
  const dataDir = await mkdtemp(join(tmpdir(), 'isx-bench-etcd-'));
  const ports = await freePorts(size * 2, '127.0.0.1');
  const specs = Array.from({ length: size }, (_, i) => ({
    name: `etcd-${i + 1}`,
    clientUrl: `http://127.0.0.1:${ports[2 * i]}`,
    peerUrl: `http://127.0.0.1:${ports[2 * i + 1]}`,
  }));
  const initialCluster = specs.map((s) => `${s.name}=${s.peerUrl}`).join(',');
  const token = `isx-bench-${process.pid}-${Date.now()}`;
  const children = new Map<string, { child: ChildProcess; exited: Promise<unknown>; logFile: string }>();
  const forget = onInterrupt(() => stopAll(false));

  const stopAll = async (keepData = false): Promise<void> => {
    forget();
    await Promise.all(
      [...children.values()].map(async ({ child, exited }) => {
        if (child.exitCode !== null || child.signalCode !== null) return;
        child.kill('SIGTERM');
        const gone = await Promise.race([exited.then(() => true), sleep(STOP_GRACE_MS).then(() => false)]);
        if (!gone) {
          child.kill('SIGKILL');
          await exited;
        }
      }),
    );
    if (!keepData) await rm(dataDir, { recursive: true, force: true });
  };

  try {
    for (const spec of specs) {
      const logFile = join(dataDir, `${spec.name}.log`);
      const out = createWriteStream(logFile);
      const child = spawn(
        'etcd',
        [
          ['--name', spec.name],
          ['--data-dir', join(dataDir, spec.name)],
          ['--listen-client-urls', spec.clientUrl],
          ['--advertise-client-urls', spec.clientUrl],
          ['--listen-peer-urls', spec.peerUrl],
          ['--initial-advertise-peer-urls', spec.peerUrl],
          ['--initial-cluster', initialCluster],
          ['--initial-cluster-state', 'new'],
          ['--initial-cluster-token', token],
        ].flat(),
        { stdio: ['ignore', 'pipe', 'pipe'] },
      );
      child.stdout?.pipe(out, { end: false });
      child.stderr?.pipe(out, { end: false });
      child.on('exit', () => out.end());
      children.set(spec.name, { child, exited: once(child, 'exit'), logFile });
    }
    log(`etcd ${version}: ${size} members starting, data in ${dataDir}`);
    await Promise.all(
      specs.map((s) =>
        waitHealthy(s.name, s.clientUrl, children.get(s.name)!, options.startTimeoutMs ?? 20_000),
      ),
    );
    const gatewayPrefix = await detectGatewayPrefix(specs[0]!.clientUrl);
    const members = specs.map((s) => ({ ...s, pid: children.get(s.name)!.child.pid! }));
    return {
      endpoints: specs.map((s) => s.clientUrl),
      members,
      dataDir,
      version,
      gatewayPrefix,
      kill: async (name) => {
        const entry = children.get(name);
        if (!entry) throw new Error(`no etcd member named ${name}`);
        if (entry.child.exitCode !== null || entry.child.signalCode !== null) return;
        entry.child.kill('SIGKILL');
        await entry.exited;
      },
      leader: () => leaderName(members, children, gatewayPrefix),
      stop: stopAll,
    };
  } catch (error) {
    await stopAll(true);
    throw new Error(`etcd did not start (logs kept in ${dataDir}): ${String(error)}`, { cause: error });
  }
}

async function waitHealthy(
  name: string,
  clientUrl: string,
  entry: { child: ChildProcess; logFile: string },
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (entry.child.exitCode !== null || entry.child.signalCode !== null) {
      const tail = (await readFile(entry.logFile, 'utf8').catch(() => '')).trimEnd().split('\n').slice(-10);
      throw new Error(`${name} exited while starting:\n${tail.join('\n')}`);
    }
    try {
      const response = await fetch(`${clientUrl}/health`, { signal: AbortSignal.timeout(1_000) });
      const body = (await response.json()) as { health?: unknown };
      if (response.ok && String(body.health) === 'true') return;
    } catch {
      // not listening, or no leader yet
    }
    await sleep(100);
  }
  throw new Error(`${name} was not healthy within ${timeoutMs} ms`);
}

/** POSTs JSON to the gateway; rejects on a status other than 200. */
export async function gatewayPost(url: string, body: unknown): Promise<Record<string, unknown>> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(2_000),
  });
  if (!response.ok) throw new Error(`POST ${url} answered ${response.status}`);
  return (await response.json()) as Record<string, unknown>;
}

/** 3.4 and later serve `/v3`; 3.3 `/v3beta`; 3.2 `/v3alpha`. Asks rather than guesses from the version. */
async function detectGatewayPrefix(clientUrl: string): Promise<string> {
  for (const prefix of ['/v3', '/v3beta', '/v3alpha']) {
    const ok = await gatewayPost(`${clientUrl}${prefix}/maintenance/status`, {}).then(
      () => true,
      () => false,
    );
    if (ok) return prefix;
  }
  throw new Error(`${clientUrl} serves no v3 JSON gateway (/v3, /v3beta, /v3alpha)`);
}

async function leaderName(
  members: readonly EtcdMember[],
  children: ReadonlyMap<string, { child: ChildProcess }>,
  prefix: string,
): Promise<string> {
  for (const member of members) {
    const child = children.get(member.name)?.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) continue;
    try {
      const status = await gatewayPost(`${member.clientUrl}${prefix}/maintenance/status`, {});
      const list = await gatewayPost(`${member.clientUrl}${prefix}/cluster/member/list`, {});
      const all = (list.members ?? []) as Array<{ ID?: string; name?: string }>;
      const leader = all.find((m) => m.ID === String(status.leader));
      if (leader?.name) return leader.name;
    } catch {
      // this member cannot say; ask the next
    }
  }
  throw new Error('no live etcd member could name a leader');
}

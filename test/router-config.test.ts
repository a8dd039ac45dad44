/**
 * The router refuses to start on a configuration whose ranges leave a gap or overlap, and
 * names each problem, as a real process started from the `isx` command line.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { freePort, ISX_ENTRY } from '@isx/lab';

function runRouter(configFile: string, port: number): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [
      ISX_ENTRY,
      'router',
      '--config',
      configFile,
      '--port',
      String(port),
    ]);
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stderr });
    });
  });
}

function config(shards: Array<{ id: string; start: string; end: string | null; node: string }>): unknown {
  return {
    nodes: { 'node-1': { url: 'http://127.0.0.1:4101' }, 'node-2': { url: 'http://127.0.0.1:4102' } },
    types: {
      campaign: {
        partitioner: 'lexical',
        keySpace: { start: 'a', end: '{' },
        shards: shards.map((s) => ({ id: s.id, range: { start: s.start, end: s.end }, node: s.node })),
      },
    },
  };
}

describe('the router process and its configuration', function () {
  let dir: string;

  before(async function () {
    dir = await mkdtemp(join(tmpdir(), 'isx-config-'));
  });
  after(async function () {
    await rm(dir, { recursive: true, force: true });
  });

  it('refuses to start on ranges with a gap, and names the gap', async function () {
    const file = join(dir, 'gap.json');
    await writeFile(
      file,
      JSON.stringify(
        config([
          { id: 'a-l', start: 'a', end: 'm', node: 'node-1' },
          { id: 'n-z', start: 'n', end: '{', node: 'node-2' },
        ]),
      ),
    );
    const { code, stderr } = await runRouter(file, await freePort());
    expect(code).to.equal(2);
    expect(stderr).to.contain('gap: no range covers ["m", "n")');
    expect(stderr).not.to.match(/\n\s+at /);
  });

  it('refuses to start on overlapping ranges and an unknown node, naming both', async function () {
    const file = join(dir, 'overlap.json');
    await writeFile(
      file,
      JSON.stringify(
        config([
          { id: 'a-o', start: 'a', end: 'p', node: 'node-1' },
          { id: 'n-z', start: 'n', end: '{', node: 'node-9' },
        ]),
      ),
    );
    const { code, stderr } = await runRouter(file, await freePort());
    expect(code).to.equal(2);
    expect(stderr).to.contain('overlap: ["a", "p") and ["n", "{")');
    expect(stderr).to.contain('unknown node "node-9"');
  });

  it('refuses to start on a file that is not JSON, saying so in one line', async function () {
    const file = join(dir, 'broken.json');
    await writeFile(file, '{ "nodes": ');
    const { code, stderr } = await runRouter(file, await freePort());
    expect(code).to.equal(2);
    expect(stderr).to.match(/^router: The configuration file \S+broken.json is not valid JSON/);
  });
});

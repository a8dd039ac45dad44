/**
 * The failure lab against a real cluster: a short experiment with a kill -9 and a network
 * partition, run end to end (processes, proxies, workload, nemesis, checkers, report), and
 * the command line's handling of a bad spec.
 */
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { historyEventSchema, parseExperimentSpec } from '@isx/core';
import { ISX_ENTRY, runExperiment, type ExperimentReport } from '@isx/lab';

describe('the failure lab', function () {
  this.timeout(90_000);
  let dir: string;
  let report: ExperimentReport;
  const lines: string[] = [];

  before(async function () {
    dir = await mkdtemp(join(tmpdir(), 'isx-lab-'));
    const spec = parseExperimentSpec({
      name: 'kill-and-partition',
      description: 'A kill -9 of the node holding k0, then a partition between the router and n2.',
      seed: 11,
      cluster: { nodes: 3, nodeTimeoutMs: 800 },
      workload: { clients: 4, keys: 6, durationMs: 9_000, timeoutMs: 2_000 },
      faults: [
        { at: 1_500, fault: { kind: 'kill', target: { primaryOf: 'k0' }, durationMs: 2_500 } },
        { at: 5_000, fault: { kind: 'partition', link: { from: 'router', to: 'n2' }, durationMs: 2_000 } },
      ],
      settle: { quietMs: 500 },
    });
    report = await runExperiment(spec, { outDir: dir, log: (line) => lines.push(line) });
  });

  after(async function () {
    await rm(dir, { recursive: true, force: true });
  });

  it('finds the history valid: nothing lost, linearizable', function () {
    const byName = Object.fromEntries(report.checkers.map((c) => [c.checker, c]));
    expect(byName.durability?.valid, byName.durability?.summary).to.equal(true);
    expect(byName.linearizability?.valid, byName.linearizability?.summary).to.equal(true);
    expect(report.verdict).to.equal('valid');
  });

  it('counts acknowledged writes and loses none of them', function () {
    const durability = report.checkers.find((c) => c.checker === 'durability')!;
    expect(durability.figures.acknowledgedWrites).to.be.greaterThan(20);
    expect(durability.figures.lostWrites).to.equal(0);
    expect(durability.figures.unreadKeys).to.equal(0);
  });

  it('records both faults as windows of the right length', function () {
    const kill = report.faults.find((f) => f.fault === 'kill');
    const partition = report.faults.find((f) => f.fault === 'partition');
    expect(kill?.target).to.match(/^n[1-3]$/);
    expect(kill!.endMs - kill!.startMs).to.be.greaterThan(2_000);
    expect(partition?.target).to.equal('router->n2');
    expect(partition!.endMs - partition!.startMs).to.be.within(1_900, 4_000);
  });

  it('sees operations fail while the node is down, and refused ones are recorded as fail', async function () {
    const availability = report.checkers.find((c) => c.checker === 'availability')!;
    expect(availability.figures.windows).to.be.greaterThan(0);
    expect(availability.notes!.some((note) => /during kill n/.test(note))).to.equal(true);
    const history = (await readFile(join(dir, 'history.jsonl'), 'utf8')).trim().split('\n');
    const events = history.map((line) => historyEventSchema.parse(JSON.parse(line)));
    expect(events.some((e) => e.type === 'fail' && e.error === 'NODE_UNAVAILABLE')).to.equal(true);
    expect(
      events
        .filter((e) => e.type === 'nemesis')
        .map((e) => `${e.fault} ${e.type === 'nemesis' ? e.phase : ''}`),
    ).to.include.members(['kill start', 'kill end', 'partition start', 'partition end']);
  });

  it('keeps serving the keys of the other nodes during the faults', function () {
    const duringKill = report.timeline.buckets.filter((b) => b.startMs >= 2_000 && b.startMs < 3_500);
    expect(duringKill.every((b) => b.ok > 0)).to.equal(true);
  });

  it('writes report.json and a report.html with both plots', async function () {
    const json = JSON.parse(await readFile(join(dir, 'report.json'), 'utf8')) as ExperimentReport;
    expect(json.verdict).to.equal(report.verdict);
    expect(json.figures.operations.total).to.equal(report.figures.operations.total);
    const html = await readFile(join(dir, 'report.html'), 'utf8');
    expect(html).to.contain('kill-and-partition');
    expect(html.match(/<svg/g)?.length ?? 0).to.be.greaterThanOrEqual(2);
  });

  it('narrated progress and a verdict', function () {
    // Progress lines come every 5 s; the workload's summary line always comes.
    expect(
      lines.some((line) =>
        /workload: [\d,]+ ops in [\d.]+ s .*[\d,]+ ok, [\d,]+ fail, [\d,]+ info/.test(line),
      ),
    ).to.equal(true);
    expect(lines.at(-2)).to.match(/verdict: VALID/);
  });

  it('answers a bad spec from the command line with exit status 2 and each problem', async function () {
    const bad = join(dir, 'bad.yaml');
    await writeFile(bad, 'name: bad\ndescription: x\nseed: 1\nworkload: { durationMs: 1000, clients: 0 }\n');
    const run = spawnSync(process.execPath, [ISX_ENTRY, 'experiment', bad], { encoding: 'utf8' });
    expect(run.status).to.equal(2);
    expect(run.stderr).to.match(/workload\.clients/);
    expect(run.stderr).to.not.match(/\n\s+at /);
  });
});

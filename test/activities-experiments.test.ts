/**
 * Short versions of the five activity experiments of the catalogue (issue 7), run end to end
 * on real processes: campaign and profile nodes at three copies, proxies on every link, real
 * kill -9. Each spec is read from `experiments/` and every time in it is halved. The run must
 * be valid: nothing lost, linearizable, and every message applied exactly once with every
 * queue drained.
 */
import { expect } from 'chai';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseExperimentSpec } from '@isx/core';
import { runExperiment } from '@isx/lab';
import { parse as parseYaml } from 'yaml';

const TIME_FIELDS = new Set(['at', 'every', 'start', 'duration', 'durationMs']);

/** A copy of a spec's raw data with every time in it multiplied by `factor`. */
function scaled(data: unknown, factor: number): unknown {
  if (Array.isArray(data)) return data.map((item) => scaled(item, factor));
  if (data === null || typeof data !== 'object') return data;
  return Object.fromEntries(
    Object.entries(data).map(([field, value]) => [
      field,
      TIME_FIELDS.has(field) && typeof value === 'number'
        ? Math.round(value * factor)
        : scaled(value, factor),
    ]),
  );
}

const EXPERIMENTS = [
  'activities-kill-sender',
  'activities-kill-receiver',
  'activities-duplicates',
  'activities-chase',
  'activities-receiver-down',
];

describe('the activity experiments, short versions (issue 7)', function () {
  this.timeout(180_000);
  let dir: string;

  before(async function () {
    dir = await mkdtemp(join(tmpdir(), 'isx-activities-'));
  });

  after(async function () {
    if (!process.env.ISX_KEEP_TEST_DATA) await rm(dir, { recursive: true, force: true });
  });

  for (const name of EXPERIMENTS) {
    it(`${name}: every message applied exactly once, nothing lost`, async function () {
      const raw = parseYaml(await readFile(join('experiments', `${name}.yaml`), 'utf8')) as object;
      const spec = parseExperimentSpec({ ...(scaled(raw, 0.5) as object), settle: { quietMs: 500 } });
      const lines: string[] = [];
      const report = await runExperiment(spec, { outDir: join(dir, name), log: (line) => lines.push(line) });
      const byName = Object.fromEntries(report.checkers.map((c) => [c.checker, c]));
      const activities = byName.activities!;
      const why = `${activities.summary}\n${JSON.stringify(activities.anomalies.slice(0, 3))}\n${lines.slice(-12).join('\n')}`;
      expect(activities.valid, why).to.equal(true);
      expect(activities.figures.messagesSent, why).to.be.greaterThan(20);
      expect(activities.figures.messagesApplied).to.equal(activities.figures.messagesSent);
      expect(activities.figures.profileUpdates).to.equal(activities.figures.messagesSent);
      expect(byName.durability?.figures.lostWrites).to.equal(0);
      expect(report.verdict, report.checkers.map((c) => c.summary).join('\n')).to.equal('valid');
      expect(report.faults.length, 'the faults happened').to.be.greaterThan(0);
    });
  }
});

import { expect } from 'chai';
import { readdir } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { loadExperimentSpec, parseExperimentSpecText, SpecError } from '../src/experiment/spec-file.js';

const catalogue = fileURLToPath(new URL('../../../experiments/', import.meta.url));

describe('reading an experiment spec file', function () {
  it('reads YAML and JSON alike', function () {
    const yaml = parseExperimentSpecText(
      'name: a\ndescription: A.\nseed: 1\nworkload: { durationMs: 1000 }\n',
      'a.yaml',
    );
    const json = parseExperimentSpecText(
      '{"name":"a","description":"A.","seed":1,"workload":{"durationMs":1000}}',
      'a.json',
    );
    expect(yaml).to.deep.equal(json);
  });

  it('lists every problem with its path', function () {
    try {
      parseExperimentSpecText('name: Bad Name\ndescription: A.\nworkload: { durationMs: -1 }\n', 'bad.yaml');
      expect.fail('a bad spec was accepted');
    } catch (error) {
      expect(error).to.be.instanceOf(SpecError);
      const problems = (error as SpecError).problems.join('\n');
      expect(problems).to.match(/^name: /m);
      expect(problems).to.match(/^seed: /m);
      expect(problems).to.match(/^workload\.durationMs: /m);
    }
  });

  it('says so when the text is not YAML', function () {
    expect(() => parseExperimentSpecText('name: [unclosed', 'x.yaml')).to.throw(SpecError, /not YAML/);
  });

  it('lets the command line replace the seed and the duration', function () {
    const spec = parseExperimentSpecText(
      'name: a\ndescription: A.\nseed: 1\nworkload: { durationMs: 1000 }\n',
      'a.yaml',
      {
        seed: 99,
        durationMs: 500,
      },
    );
    expect(spec.seed).to.equal(99);
    expect(spec.workload.durationMs).to.equal(500);
  });

  it('accepts every experiment in the catalogue', async function () {
    const files = (await readdir(catalogue)).filter((f) => f.endsWith('.yaml'));
    expect(files).to.include.members([
      'baseline.yaml',
      'kill-node.yaml',
      'pause-node.yaml',
      'partition-router-node.yaml',
      'slow-link.yaml',
      'join-under-load.yaml',
      'drain-under-load.yaml',
      'rolling-restart.yaml',
      'kill-during-move.yaml',
      'split-under-load.yaml',
    ]);
    for (const file of files) {
      const spec = await loadExperimentSpec(`${catalogue}${file}`);
      expect(`${spec.name}.yaml`).to.equal(file);
    }
  });
});

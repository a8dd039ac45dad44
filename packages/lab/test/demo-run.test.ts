import { expect } from 'chai';
import { access } from 'node:fs/promises';
import { Narrator, runDemo, type LocalCluster } from '@isx/lab';

function quietNarrator(): { narrator: Narrator; output: () => string } {
  let out = '';
  return { narrator: new Narrator({ title: 'Demo', write: (text) => (out += text) }), output: () => out };
}

describe('running a demo', function () {
  it('returns 0 with the summary when every check held, and removes its data directory', async function () {
    const { narrator, output } = quietNarrator();
    let dir = '';
    const status = await runDemo(narrator, 'unit', async ({ dataDir }) => {
      dir = dataDir;
      await access(dataDir);
      narrator.check(true, 'it ran');
      return ['It showed something.'];
    });
    expect(status).to.equal(0);
    expect(output()).to.contain('It showed something.');
    try {
      await access(dir);
      expect.fail('the data directory is still there');
    } catch (error) {
      expect(error).to.have.property('code', 'ENOENT');
    }
  });

  it('turns an exception into a failed check with its reason, and still stops the clusters it tracked', async function () {
    const { narrator, output } = quietNarrator();
    let stopped = 0;
    const fake = {
      stop: () => {
        stopped += 1;
        return Promise.resolve();
      },
    } as unknown as LocalCluster;
    const status = await runDemo(narrator, 'unit', ({ track }) => {
      track(fake);
      return Promise.reject(new Error('the router did not start'));
    });
    expect(status).to.equal(1);
    expect(stopped).to.equal(1);
    expect(output()).to.contain('✗ the demo ran to the end (the router did not start)');
    expect(output()).to.not.match(/\n\s+at /);
  });
});

import { expect } from 'chai';
import { formatTable, Narrator } from '@isx/lab';

describe('the narrator', function () {
  it('numbers steps, marks checks and returns exit status 0 when every check held', function () {
    let out = '';
    const narrator = new Narrator({ title: 'Demo', write: (text) => (out += text) });
    narrator.step('First');
    narrator.check(true, 'it worked');
    expect(narrator.finish()).to.equal(0);
    expect(out).to.contain('1. First');
    expect(out).to.contain('✓ it worked');
    expect(out).to.contain('1 checks passed, 0 failed');
  });

  it('returns exit status 1 and repeats each failed check in the summary', function () {
    let out = '';
    const narrator = new Narrator({ title: 'Demo', write: (text) => (out += text) });
    narrator.check(false, 'the range answered 503');
    expect(narrator.finish()).to.equal(1);
    expect(out.match(/✗ the range answered 503/g)).to.have.length(2);
  });
});

describe('terminal tables', function () {
  it('pads every column to its widest cell', function () {
    const table = formatTable(
      ['NODE', 'STATUS'],
      [
        ['node-1', 'up'],
        ['n2', 'down'],
      ],
    );
    expect(table.split('\n')).to.deep.equal([
      'NODE    STATUS',
      '──────  ──────',
      'node-1  up',
      'n2      down',
    ]);
  });
});

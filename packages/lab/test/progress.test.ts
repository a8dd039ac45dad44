import { expect } from 'chai';
import { formatDuration, Narrator, Progress, type ProgressOptions } from '@isx/lab';

/** A progress on a hand-driven clock, writing into `out`. */
function harness(options: Partial<ProgressOptions> & { tty: boolean }) {
  let now = 1_000;
  const written: string[] = [];
  const counts = { done: 0, errors: 0 };
  const progress = new Progress({
    label: 'load',
    sample: () => ({ ...counts }),
    write: (text) => written.push(text),
    columns: 200,
    clock: { monotonic: () => now },
    ...options,
  });
  return {
    progress,
    counts,
    written,
    text: () => written.join(''),
    advance: (ms: number) => {
      now += ms;
    },
  };
}

describe('the progress line', function () {
  it('redraws one line in place with a bar, the time against the plan and the counts on a terminal', function () {
    const h = harness({ tty: true, totalMs: 24_000 });
    h.advance(12_480);
    h.counts.done = 1234;
    h.counts.errors = 3;
    h.progress.tick();
    expect(h.written).to.have.length(1);
    expect(h.written[0]).to.match(/^\r/);
    expect(h.written[0]).to.contain(
      'load  [##########..........]  52%  12.5 s / 24 s  1,234 ops (99/s)  3 errors',
    );
    h.advance(1_000);
    h.progress.tick();
    expect(h.written).to.have.length(2);
    expect(h.text()).not.to.contain('\n');
  });

  it('writes plain lines, without carriage returns or escape codes, only every few seconds off a terminal', function () {
    const h = harness({ tty: false, totalMs: 20_000, everyMs: 5_000 });
    for (let second = 1; second <= 12; second += 1) {
      h.advance(1_000);
      h.counts.done += 10;
      h.progress.tick();
    }
    expect(h.written).to.deep.equal([
      'load   25%  5.0 s / 20 s  50 ops (10/s)  0 errors\n',
      'load   50%  10.0 s / 20 s  100 ops (10/s)  0 errors\n',
    ]);
    h.progress.finish();
    // eslint-disable-next-line no-control-regex
    expect(h.text()).not.to.match(/[\r\x1b]/);
  });

  it('measures a counted run by its count, not by the time', function () {
    const h = harness({ tty: false, total: 200_000, unit: 'campaigns', everyMs: 1_000 });
    h.counts.done = 80_000;
    h.advance(10_000);
    h.progress.tick();
    expect(h.written[0]).to.equal('load   40%  80,000 / 200,000 campaigns (8,000/s)  10.0 s  0 errors\n');
  });

  it('gives a slow rate with a decimal rather than as zero', function () {
    const h = harness({ tty: false, total: 10, unit: 'trials', everyMs: 1_000 });
    h.counts.done = 2;
    h.advance(5_000);
    h.progress.tick();
    expect(h.written[0]).to.contain('2 / 10 trials (0.4/s)');
  });

  it('never shows more than 100 % when a run outlasts its plan', function () {
    const h = harness({ tty: true, totalMs: 1_000 });
    h.advance(5_000);
    h.progress.tick();
    expect(h.written[0]).to.contain('[####################] 100%');
  });

  it('ends with a summary line in place of the bar', function () {
    const h = harness({ tty: true, totalMs: 10_000, unit: 'requests' });
    h.advance(4_000);
    h.counts.done = 400;
    h.progress.tick();
    h.advance(6_000);
    h.counts.done = 1_000;
    h.progress.finish('p99 4 ms');
    expect(h.written.at(-2)).to.equal('\r\x1b[K');
    expect(h.written.at(-1)).to.equal('load: 1,000 requests in 10.0 s (100/s), 0 errors, p99 4 ms\n');
    h.progress.finish('again');
    h.progress.tick();
    expect(h.written.at(-1)).to.equal('load: 1,000 requests in 10.0 s (100/s), 0 errors, p99 4 ms\n');
    expect(h.progress.finished).to.equal(true);
  });

  it('writes lines above the bar and draws the bar again under them', function () {
    const h = harness({ tty: true, totalMs: 10_000 });
    h.advance(1_000);
    h.progress.tick();
    h.progress.above('⚡ kill n2\n');
    expect(h.written[1]).to.equal('\r\x1b[K⚡ kill n2\n');
    expect(h.written[2]).to.match(/^\rload {2}\[##/);
  });

  it('shows nothing of a wait shorter than showAfterMs, not even a summary', function () {
    const h = harness({ tty: true, showAfterMs: 2_000, sample: () => ({ detail: '3 queued' }) });
    h.advance(1_500);
    h.progress.tick();
    h.progress.finish();
    expect(h.written).to.deep.equal([]);

    const long = harness({
      tty: false,
      showAfterMs: 2_000,
      everyMs: 1_000,
      sample: () => ({ detail: '3 queued' }),
    });
    long.advance(2_500);
    long.progress.tick();
    long.progress.finish('drained');
    expect(long.written).to.deep.equal(['load  2.5 s  3 queued\n', 'load: 2.5 s, drained\n']);
  });

  it('cuts the line to the terminal width so that it never wraps', function () {
    const h = harness({ tty: true, columns: 30, sample: () => ({ detail: 'x'.repeat(100) }) });
    h.advance(1_000);
    h.progress.tick();
    expect(h.written[0]!.replace('\r', '').replace('\x1b[K', '')).to.have.length(29);
  });
});

describe('a progress line under a narrator', function () {
  function narrated() {
    let now = 0;
    const written: string[] = [];
    const narrator = new Narrator({ title: 'Demo', write: (text) => written.push(text), tty: true });
    const clock = { monotonic: () => now };
    return {
      narrator,
      clock,
      written,
      advance: (ms: number) => {
        now += ms;
      },
    };
  }

  it('clears the line before the narrator says anything, and indents like it', function () {
    const n = narrated();
    const progress = n.narrator.progress({ label: 'load', totalMs: 10_000, clock: n.clock });
    n.advance(1_000);
    progress.tick();
    expect(n.written.at(-1)).to.match(/^\r {3}load {2}\[##/);
    n.narrator.say('killed n2');
    expect(n.written.at(-2)).to.equal('\r\x1b[K   killed n2\n');
    progress.finish();
    n.narrator.say('after');
    expect(n.written.at(-1)).to.equal('   after\n');
  });

  it('pauses the outer line while an inner one shows, and resumes it when that one finishes', function () {
    const n = narrated();
    const outer = n.narrator.progress({ label: 'load', totalMs: 10_000, clock: n.clock });
    n.advance(1_000);
    outer.tick();
    const inner = n.narrator.progress({ label: 'waiting for balance', clock: n.clock });
    n.advance(1_000);
    outer.tick();
    inner.tick();
    expect(n.written.at(-1)).to.contain('waiting for balance  1.0 s');
    inner.finish('balanced');
    expect(n.written.at(-2)).to.equal('   waiting for balance: 1.0 s, balanced\n');
    expect(n.written.at(-1)).to.contain('load  [####');
    outer.finish();
  });

  it('leaves the outer line alone while an inner one waits out its showAfterMs', function () {
    const n = narrated();
    const outer = n.narrator.progress({ label: 'load', totalMs: 10_000, clock: n.clock });
    n.advance(1_000);
    outer.tick();
    const inner = n.narrator.progress({ label: 'waiting', showAfterMs: 2_000, clock: n.clock });
    n.advance(500);
    inner.tick();
    outer.tick();
    expect(n.written.at(-1)).to.match(/^\r {3}load {2}\[/);
    n.narrator.say('balanced');
    expect(n.written.at(-2)).to.equal('\r\x1b[K   balanced\n');
    expect(n.written.at(-1)).to.match(/^\r {3}load {2}\[/);
    inner.finish();
    expect(n.written.join('')).not.to.contain('waiting');
    outer.finish();
  });

  it('finishes every line still showing when the narration ends', function () {
    const n = narrated();
    n.narrator.progress({ label: 'load', totalMs: 10_000, clock: n.clock });
    n.advance(3_000);
    n.narrator.finish();
    expect(n.written.join('')).to.contain('   load: 3.0 s, stopped\n');
  });
});

describe('durations', function () {
  it('reads as seconds under a minute and minutes beyond', function () {
    expect(formatDuration(12_449)).to.equal('12.4 s');
    expect(formatDuration(24_000, true)).to.equal('24 s');
    expect(formatDuration(125_000)).to.equal('2 min 05 s');
  });
});

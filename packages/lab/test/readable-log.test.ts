import { expect } from 'chai';
import { parseLogLine, readableLogLine, shows } from '../src/readable-log.js';

/** A pino line at a fixed local time, 03:04:05.006, whatever the time zone. */
function pinoLine(level: number, msg: string, fields: Record<string, unknown> = {}): string {
  const time = new Date(2026, 0, 2, 3, 4, 5, 6).getTime();
  return JSON.stringify({ level, time, pid: 42, hostname: 'vm', ...fields, msg });
}

const plain = { filter: 'trace', colour: false } as const;

describe('readable log lines', () => {
  it('lays out time, level, source, message and fields', () => {
    const line = pinoLine(40, 'a backup did not take an entry', {
      service: 'campaign',
      node: 'node-2',
      shard: 'campaign-3',
      seq: 7,
      reason: 'no answer in time',
    });
    expect(readableLogLine('node-dir-2', line, plain)).to.equal(
      '03:04:05.006 WARN   node-2    a backup did not take an entry  shard=campaign-3 seq=7 reason="no answer in time"',
    );
  });

  it('names the process when the line has no node id, or the node has not registered yet', () => {
    expect(readableLogLine('router', pinoLine(30, 'router listening', { role: 'router' }), plain)).to.equal(
      '03:04:05.006 INFO   router    router listening',
    );
    expect(
      readableLogLine('node-dir-1', pinoLine(30, 'registering', { node: 'unregistered' }), plain),
    ).to.equal('03:04:05.006 INFO   node-dir-1 registering  node=unregistered');
  });

  it('shows objects as compact JSON and an error by its message, with its stack under an error line', () => {
    const err = {
      type: 'Error',
      message: 'disk full',
      stack: 'Error: disk full\n    at write (store.js:1:2)',
    };
    const text = readableLogLine(
      'node-1',
      pinoLine(50, 'request failed', { err, copied: { entities: 2 } }),
      plain,
    );
    expect(text).to.equal(
      '03:04:05.006 ERROR  node-1    request failed  err="disk full" copied={"entities":2}\n    at write (store.js:1:2)',
    );
  });

  it('colours the level and the source only when asked to', () => {
    const line = pinoLine(50, 'boom');
    expect(readableLogLine('router', line, { filter: 'info', colour: true })).to.contain('\u001b[31mERROR');
    expect(readableLogLine('router', line, { filter: 'info', colour: false })).to.not.contain('\u001b[');
  });

  it('shows a line that is not JSON as it came, under its process name', () => {
    expect(readableLogLine('node-dir-1', 'TypeError: x is not a function', plain)).to.equal(
      `${' '.repeat(20)}node-dir-1 TypeError: x is not a function`,
    );
    expect(parseLogLine('{"not":"pino"}')).to.equal(undefined);
  });

  it('shows warnings, errors and the notable info lines under `notable`, and nothing under `none`', () => {
    const at = (level: number, msg: string) => parseLogLine(pinoLine(level, msg))!;
    expect(shows('notable', at(40, 'fence expired'))).to.equal(true);
    expect(shows('notable', at(50, 'request failed'))).to.equal(true);
    expect(shows('notable', at(30, 'node registered'))).to.equal(true);
    expect(shows('notable', at(30, 'promoted a backup'))).to.equal(true);
    expect(shows('notable', at(30, 'split a shard automatically (records)'))).to.equal(true);
    expect(shows('notable', at(30, 'adopted a new shard map'))).to.equal(false);
    expect(shows('notable', at(20, 'request served'))).to.equal(false);
    expect(readableLogLine('router', pinoLine(60, 'fatal'), { filter: 'none', colour: false })).to.equal(
      undefined,
    );
  });

  it('shows every line at or above a level', () => {
    const at = (level: number) => parseLogLine(pinoLine(level, 'x'))!;
    expect(shows('info', at(30))).to.equal(true);
    expect(shows('info', at(20))).to.equal(false);
    expect(shows('debug', at(20))).to.equal(true);
    expect(shows('error', at(40))).to.equal(false);
  });
});

/**
 * Readable log lines for a person at a terminal (`isx up`): the processes write pino's JSON
 * lines to their log files, and this turns one of them into
 * `HH:MM:SS.mmm LEVEL  node-2  message  key=value …`, coloured when asked to, and decides
 * which lines are worth showing. The files keep every line as written; this module only ever
 * shapes a copy for display and must never lose a line it cannot parse: such a line (a crash's
 * stack on stderr) is shown as it came.
 */

/** What of a process's log to show: `notable`, every line at or above a level, or `none`. */
export type LogFilter = 'notable' | 'none' | 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace';

const LEVELS: Readonly<Record<number, string>> = {
  10: 'TRACE',
  20: 'DEBUG',
  30: 'INFO',
  40: 'WARN',
  50: 'ERROR',
  60: 'FATAL',
};
const LEVEL_VALUES: Readonly<Record<string, number>> = {
  trace: 10,
  debug: 20,
  info: 30,
  warn: 40,
  error: 50,
  fatal: 60,
};

/**
 * The info lines `notable` shows besides warnings and errors: the router's news about
 * membership, failover, moves and splits (messages of `cluster-manager.ts`, `replica-mover.ts`,
 * `move-coordinator.ts`, `auto-splitter.ts`), matched by how they begin. Each replica added or
 * removed while the cluster balances itself is left out: one line per shard is too many here.
 */
const NOTABLE_INFO = [
  'node registered',
  'node is ', // alive again, suspect, dead, draining, no longer draining
  'promoted a backup',
  'failed over',
  'shard moved',
  'shard split',
  'split a shard automatically',
  'handed the primary over',
  'handed a busy half',
];

/** Fields that the line's layout already shows, or that say nothing at a terminal. */
const SHOWN_ELSEWHERE = new Set(['level', 'time', 'msg', 'pid', 'hostname', 'v', 'role', 'service']);
/** The most characters of one field's value shown; the file has the rest. */
const MAX_VALUE = 160;

const COLOURS = {
  TRACE: '\u001b[90m',
  DEBUG: '\u001b[90m',
  INFO: '\u001b[32m',
  WARN: '\u001b[33m',
  ERROR: '\u001b[31m',
  FATAL: '\u001b[35m',
  source: '\u001b[36m',
  dim: '\u001b[2m',
  reset: '\u001b[0m',
} as const;

/** One parsed pino line. */
export interface LogRecord {
  readonly level: number;
  readonly time: number;
  readonly msg: string;
  readonly fields: Readonly<Record<string, unknown>>;
}

/** Parses a pino JSON line; `undefined` for anything else (a stack trace, a stray print). */
export function parseLogLine(line: string): LogRecord | undefined {
  if (!line.startsWith('{')) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(line);
  } catch {
    return undefined;
  }
  if (typeof parsed !== 'object' || parsed === null) return undefined;
  const fields = parsed as Record<string, unknown>;
  if (typeof fields.level !== 'number' || typeof fields.time !== 'number') return undefined;
  return {
    level: fields.level,
    time: fields.time,
    msg: typeof fields.msg === 'string' ? fields.msg : '',
    fields,
  };
}

/** Whether `filter` shows the line. */
export function shows(filter: LogFilter, record: LogRecord): boolean {
  if (filter === 'none') return false;
  if (filter !== 'notable') return record.level >= (LEVEL_VALUES[filter] ?? 30);
  if (record.level >= LEVEL_VALUES.warn!) return true;
  return record.level === LEVEL_VALUES.info && NOTABLE_INFO.some((start) => record.msg.startsWith(start));
}

/**
 * One log line, readable, or `undefined` when `filter` hides it. `source` names the process
 * the line came from (`router`, `node-dir-1`); a node's own id in the line wins over it.
 *
 * @example
 * readableLogLine('router', line, { filter: 'notable', colour: process.stdout.isTTY });
 * // '14:03:07.412 INFO   router    node registered  nodeId=node-3 url=http://127.0.0.1:4103'
 */
export function readableLogLine(
  source: string,
  line: string,
  options: { filter: LogFilter; colour: boolean },
): string | undefined {
  if (options.filter === 'none' || line.trim() === '') return undefined;
  const record = parseLogLine(line);
  const paint = (colour: string, text: string): string =>
    options.colour ? `${colour}${text}${COLOURS.reset}` : text;
  if (!record) return `${' '.repeat(20)}${paint(COLOURS.source, source.padEnd(9))} ${line}`;
  if (!shows(options.filter, record)) return undefined;
  return formatRecord(source, record, paint);
}

function formatRecord(source: string, record: LogRecord, paint: (c: string, t: string) => string): string {
  const level = LEVELS[record.level] ?? `L${record.level}`;
  const node = record.fields.node;
  const from = typeof node === 'string' && node !== 'unregistered' ? node : source;
  const fields = Object.entries(record.fields)
    .filter(([name, value]) => !SHOWN_ELSEWHERE.has(name) && value !== undefined)
    .filter(([name]) => !(name === 'node' && from === node))
    .map(([name, value]) => `${paint(COLOURS.dim, `${name}=`)}${formatValue(name, value)}`);
  const colour = COLOURS[level as keyof typeof COLOURS] ?? COLOURS.reset;
  const head = [
    clockTime(record.time),
    paint(colour, level.padEnd(5)),
    ` ${paint(COLOURS.source, from.padEnd(9))}`,
    record.msg,
  ].join(' ');
  const text = fields.length === 0 ? head : `${head}  ${fields.join(' ')}`;
  return record.level >= LEVEL_VALUES.error! ? `${text}${stackOf(record.fields.err, paint)}` : text;
}

/** `HH:MM:SS.mmm` in local time. */
function clockTime(ms: number): string {
  const at = new Date(ms);
  const two = (n: number): string => String(n).padStart(2, '0');
  return `${two(at.getHours())}:${two(at.getMinutes())}:${two(at.getSeconds())}.${String(at.getMilliseconds()).padStart(3, '0')}`;
}

function formatValue(name: string, value: unknown): string {
  // pino serialises an error as { type, message, stack }: its message is what a reader wants here.
  if (name === 'err' && typeof value === 'object' && value !== null && 'message' in value) {
    return quoteIfNeeded(String(value.message));
  }
  // Numbers, booleans, objects and arrays are shown as compact JSON, which needs no quotes.
  return typeof value === 'string' ? quoteIfNeeded(value) : cut(JSON.stringify(value));
}

function quoteIfNeeded(text: string): string {
  return /^[^\s"=]+$/.test(text) ? cut(text) : JSON.stringify(cut(text));
}

function cut(text: string): string {
  return text.length > MAX_VALUE ? `${text.slice(0, MAX_VALUE)}…` : text;
}

/** The stack of an error line, indented under it; empty when it has none. */
function stackOf(err: unknown, paint: (c: string, t: string) => string): string {
  if (typeof err !== 'object' || err === null) return '';
  const stack = (err as { stack?: unknown }).stack;
  if (typeof stack !== 'string') return '';
  const frames = stack.split('\n').slice(1, 8);
  return frames.map((frame) => `\n${paint(COLOURS.dim, `    ${frame.trim()}`)}`).join('');
}

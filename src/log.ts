/**
 * The process-wide logger, with Spark's level names. `SparkContext.setLogLevel` sets the level;
 * by default output goes to stderr so that `pprint` output on stdout stays clean to pipe.
 * {@link setLogSink} sends it elsewhere: a service's own logger, or a test that asserts the
 * warnings it expects instead of letting them print.
 */
import { IllegalArgumentError } from './errors.js';

export type LogLevel = 'ALL' | 'DEBUG' | 'INFO' | 'WARN' | 'ERROR' | 'FATAL' | 'OFF' | 'TRACE';

/** One line chispa logs, as a sink receives it. */
export interface LogRecord {
  readonly level: 'DEBUG' | 'INFO' | 'WARN' | 'ERROR';
  readonly message: string;
  readonly time: Date;
}

/** Where log records at or above the level go. */
export type LogSink = (record: LogRecord) => void;

const RANK: Record<LogLevel, number> = { ALL: 0, TRACE: 0, DEBUG: 1, INFO: 2, WARN: 3, ERROR: 4, FATAL: 5, OFF: 6 };

let threshold = RANK.WARN;

/** A record as the default sink writes it: `<ISO time> <LEVEL> chispa: <message>` and a newline. */
export function formatLogRecord(r: LogRecord): string {
  return `${r.time.toISOString()} ${r.level} chispa: ${r.message}\n`;
}

/** The default sink: each record as `formatLogRecord` on stderr. */
export const stderrSink: LogSink = (r) => {
  process.stderr.write(formatLogRecord(r));
};

let sink: LogSink = stderrSink;

/**
 * Sets the level below which nothing is logged (Spark's names, any case).
 *
 * @throws IllegalArgumentError (`CHISPA_ERR_ILLEGAL_ARGUMENT`) for an unknown level.
 */
export function setLogLevel(level: string): void {
  const upper = String(level).toUpperCase() as LogLevel;
  if (!Object.hasOwn(RANK, upper)) {
    throw new IllegalArgumentError(`unknown log level '${level}'; use one of ${Object.keys(RANK).join(', ')}`, { operator: 'setLogLevel' });
  }
  threshold = RANK[upper];
}

/** Whether a message at `level` would be written at the current log level. */
export function isLogEnabled(level: LogLevel): boolean {
  return RANK[level] >= threshold;
}

/**
 * Sends every record at or above the level to `next` instead of the current sink (`undefined`
 * restores stderr). Returns the sink it replaced, so a caller can put it back.
 */
export function setLogSink(next: LogSink | undefined): LogSink {
  const previous = sink;
  sink = next ?? stderrSink;
  return previous;
}

function emit(level: LogRecord['level'], message: string): void {
  if (RANK[level] < threshold) return;
  sink({ level, message, time: new Date() });
}

export const log = {
  debug: (m: string) => emit('DEBUG', m),
  info: (m: string) => emit('INFO', m),
  warn: (m: string) => emit('WARN', m),
  error: (m: string) => emit('ERROR', m),
};

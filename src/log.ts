/**
 * The process-wide logger, with Spark's level names. `SparkContext.setLogLevel` sets the level;
 * output goes to stderr so that `pprint` output on stdout stays clean to pipe.
 */

export type LogLevel = 'ALL' | 'DEBUG' | 'INFO' | 'WARN' | 'ERROR' | 'FATAL' | 'OFF' | 'TRACE';

const RANK: Record<LogLevel, number> = { ALL: 0, TRACE: 0, DEBUG: 1, INFO: 2, WARN: 3, ERROR: 4, FATAL: 5, OFF: 6 };

let threshold = RANK.WARN;

export function setLogLevel(level: string): void {
  const upper = level.toUpperCase() as LogLevel;
  if (!(upper in RANK)) {
    throw new RangeError(`unknown log level '${level}'; use one of ${Object.keys(RANK).join(', ')}`);
  }
  threshold = RANK[upper];
}

/** Whether a message at `level` would be written at the current log level. */
export function isLogEnabled(level: LogLevel): boolean {
  return RANK[level] >= threshold;
}

function emit(level: LogLevel, message: string): void {
  if (RANK[level] < threshold) return;
  process.stderr.write(`${new Date().toISOString()} ${level} chispa: ${message}\n`);
}

export const log = {
  debug: (m: string) => emit('DEBUG', m),
  info: (m: string) => emit('INFO', m),
  warn: (m: string) => emit('WARN', m),
  error: (m: string) => emit('ERROR', m),
};

import { afterEach, beforeEach } from 'vitest';
import { setLogSink, type LogRecord, type LogSink } from '../../src/log.js';

/** What chispa logged while a capture was on. */
export interface CapturedLog {
  readonly records: LogRecord[];
  /** The messages at `level` (all levels when omitted), in order. */
  messages(level?: LogRecord['level']): string[];
  /** Stops capturing: later records go where they went before. */
  restore(): void;
}

/**
 * Captures chispa's log (through `setLogSink`, not by patching the console) until `restore()`,
 * so a test that expects a warning can assert it instead of letting it print.
 */
export function captureLog(): CapturedLog {
  const records: LogRecord[] = [];
  let previous: LogSink | undefined = setLogSink((r) => void records.push(r));
  return {
    records,
    messages: (level) => records.filter((r) => level === undefined || r.level === level).map((r) => r.message),
    restore: () => {
      if (previous) setLogSink(previous);
      previous = undefined;
    },
  };
}

/** Runs `body` with the log captured; returns its result and what was logged. */
export async function withCapturedLog<T>(body: () => Promise<T> | T): Promise<{ result: T; log: CapturedLog }> {
  const log = captureLog();
  try {
    return { result: await body(), log };
  } finally {
    log.restore();
  }
}

/**
 * Captures the log around every test of the enclosing `describe` (or file): `current()` is the
 * running test's capture. For suites whose tests fail batches on purpose, which chispa reports
 * with an ERROR line when nobody awaits the context.
 */
export function captureLogEachTest(): { current(): CapturedLog } {
  let log: CapturedLog | undefined;
  beforeEach(() => {
    log = captureLog();
  });
  afterEach(() => {
    log?.restore();
    log = undefined;
  });
  return {
    current: () => {
      if (!log) throw new Error('captureLogEachTest: no test is running');
      return log;
    },
  };
}

import { afterEach, beforeEach } from 'vitest';

/**
 * Captures chispa's log lines (written to stderr) during each test of the file, so that expected
 * warnings are asserted rather than printed. `logs.lines` holds this test's lines.
 */
export function captureLogs(): { lines: string[] } {
  const logs = { lines: [] as string[] };
  const original = process.stderr.write.bind(process.stderr);
  beforeEach(() => {
    logs.lines = [];
    process.stderr.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
      const text = typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString();
      if (/ (WARN|ERROR|INFO|DEBUG) chispa: /.test(text)) {
        logs.lines.push(text.trimEnd());
        return true;
      }
      return (original as (...a: unknown[]) => boolean)(chunk, ...rest);
    }) as typeof process.stderr.write;
  });
  afterEach(() => {
    process.stderr.write = original;
  });
  return logs;
}

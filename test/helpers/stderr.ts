import { formatLogRecord } from '../../src/log.js';
import { withCapturedLog } from './log.js';

/**
 * Runs `f` with chispa's log captured (through the log sink; nothing reaches the terminal) and
 * returns it as the stderr lines it would have printed, so a test can assert the log lines it
 * expects instead of letting them print.
 */
export async function captureStderr(f: () => Promise<unknown>): Promise<string> {
  const { log } = await withCapturedLog(f);
  return log.records.map(formatLogRecord).join('');
}

import { isLogEnabled } from '../log.js';
import type { BatchInfo } from '../streaming/listener.js';
import type { StreamingContext } from '../streaming/streaming-context.js';

/** Where {@link attachStatusLine} writes: any writable; a terminal when `isTTY` is true. */
export interface StatusStream {
  write(chunk: string): unknown;
  readonly isTTY?: boolean;
}

export interface StatusLineOptions {
  /** Default `process.stderr`, so `pprint` output on stdout stays clean to pipe. */
  stream?: StatusStream;
  /** When the stream is not a terminal: one plain line every this many batches. Default 10. */
  everyBatches?: number;
  /** Batches the sparkline and the input rate cover. Default 30. */
  history?: number;
}

const BARS = '▁▂▃▄▅▆▇█';

/**
 * A live status line for a running job: batches done, input records/s, the last batch's
 * processing time against the batch interval, its scheduling delay, and a sparkline of recent
 * processing times (a full bar is one batch interval). On a terminal the line is redrawn in
 * place after every batch (and cleared while a batch's output prints); otherwise a plain line
 * is written every `everyBatches` batches. Silent while the log level is above WARN
 * (`sc.setLogLevel('ERROR')`). Off unless attached; the CLI attaches it.
 *
 * @returns `detach()`, which stops it (and ends the terminal line).
 * @example
 * ```ts
 * const status = attachStatusLine(ssc);
 * ssc.start();
 * // …
 * status.detach();
 * ```
 */
export function attachStatusLine(ssc: StreamingContext, opts: StatusLineOptions = {}): { detach(): void } {
  const stream = opts.stream ?? process.stderr;
  const tty = stream.isTTY === true;
  const every = Math.max(1, Math.floor(opts.everyBatches ?? 10));
  const history = Math.max(1, Math.floor(opts.history ?? 30));
  const interval = ssc.batchDurationMs;
  const recent: BatchInfo[] = [];
  let done = 0;
  let drawn = false;
  const clear = () => {
    if (drawn) stream.write('\r\x1b[2K');
    drawn = false;
  };
  const listener = {
    onBatchStarted: () => {
      if (tty) clear();
    },
    onBatchCompleted: (info: BatchInfo) => {
      done++;
      recent.push(info);
      if (recent.length > history) recent.shift();
      if (!isLogEnabled('WARN')) return;
      const line = formatStatus(done, recent, interval);
      if (tty) {
        clear();
        stream.write(line);
        drawn = true;
      } else if (done % every === 0) {
        stream.write(`${new Date().toISOString()} INFO chispa: ${line}\n`);
      }
    },
  };
  ssc.addStreamingListener(listener);
  return {
    detach: () => {
      ssc.removeStreamingListener(listener);
      if (drawn) stream.write('\n');
      drawn = false;
    },
  };
}

/** `batches 12 | 1,234 records/s | processing 120 ms / 1000 ms | scheduling delay 3 ms | ▁▂▃` */
export function formatStatus(done: number, recent: readonly BatchInfo[], intervalMs: number): string {
  const last = recent.at(-1);
  const records = recent.reduce((n, b) => n + b.numRecords, 0);
  const rate = recent.length === 0 ? 0 : (records * 1000) / (recent.length * intervalMs);
  return [
    `batches ${done}`,
    `${Math.round(rate).toLocaleString('en-US')} records/s`,
    `processing ${last?.processingDelay ?? 0} ms / ${intervalMs} ms`,
    `scheduling delay ${last?.schedulingDelay ?? 0} ms`,
    sparkline(recent.map((b) => b.processingDelay ?? 0), intervalMs),
  ].join(' | ');
}

/** One bar per value; a full bar is `full` (or the largest value, when larger). */
export function sparkline(values: readonly number[], full: number): string {
  const top = Math.max(full, ...values);
  return values.map((v) => BARS[Math.min(BARS.length - 1, Math.floor((v / top) * (BARS.length - 1)))]).join('');
}

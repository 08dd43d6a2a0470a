import { IllegalArgumentError } from '../errors.js';
import { log } from '../log.js';
import type { StreamingContext } from '../streaming/streaming-context.js';
import { streamingMetrics } from './metrics.js';
import { DEFAULT_RETAINED_BATCHES, StreamingProgress } from './progress.js';
import { listenFrom, uiServer } from './server.js';

export { attachStatusLine, type StatusLineOptions, type StatusStream } from './status-line.js';

export interface StreamingUIOptions {
  /** Default 4040, as Spark; when taken, the next free port (up to 16 further). 0: any free port. */
  port?: number;
  /** Default 127.0.0.1: only this machine can see it. '0.0.0.0' to expose it. */
  host?: string;
  /** Completed batches kept for the charts and tables, as `spark.streaming.ui.retainedBatches`. Default 1000. */
  retainedBatches?: number;
}

/** A running Streaming UI. */
export interface StreamingUI {
  /** `http://host:port/` */
  readonly url: string;
  readonly port: number;
  /** Stops the server and detaches from the context. */
  close(): Promise<void>;
}

/**
 * Starts Spark's Streaming UI for `ssc` (off unless started; the CLI starts it): the
 * "Streaming Statistics" page with live timelines and histograms of input rate, scheduling delay,
 * processing time and total delay, receivers, stateful operators and batch tables; Spark's JSON
 * API under `/api/v1/streaming/` (`statistics`, `receivers`, `receivers/:streamId`,
 * `batches?status=COMPLETED|QUEUED|PROCESSING`, `batches/:batchId`, `batches/:batchId/operations`);
 * and Prometheus text at `/metrics`. Start it before or after `ssc.start()`.
 *
 * @example
 * ```ts
 * const ui = await startStreamingUI(ssc);   // http://127.0.0.1:4040/
 * console.log(`Streaming UI at ${ui.url}`);
 * ssc.start();
 * // …
 * await ui.close();
 * ```
 */
export async function startStreamingUI(ssc: StreamingContext, opts: StreamingUIOptions = {}): Promise<StreamingUI> {
  const port = opts.port ?? 4040;
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new IllegalArgumentError(`startStreamingUI: port must be an integer in 0..65535, got ${port}`);
  const retained = opts.retainedBatches ?? DEFAULT_RETAINED_BATCHES;
  if (!Number.isInteger(retained) || retained < 1) throw new IllegalArgumentError(`startStreamingUI: retainedBatches must be a positive integer, got ${retained}`);
  const host = opts.host ?? '127.0.0.1';
  const progress = new StreamingProgress(ssc, retained);
  const metrics = streamingMetrics(progress);
  ssc.addStreamingListener(progress);
  const server = uiServer(progress, metrics.registry);
  let bound: number;
  try {
    bound = await listenFrom(server, port, host);
  } catch (e) {
    ssc.removeStreamingListener(progress);
    metrics.close();
    throw e;
  }
  if (port !== 0 && bound !== port) log.warn(`Streaming UI: port ${port} is taken; using ${bound}`);
  const shown = host === '0.0.0.0' || host === '::' ? 'localhost' : host.includes(':') ? `[${host}]` : host;
  let closing: Promise<void> | undefined;
  return {
    url: `http://${shown}:${bound}/`,
    port: bound,
    close: () =>
      (closing ??= new Promise<void>((resolve) => {
        ssc.removeStreamingListener(progress);
        metrics.close();
        server.close(() => resolve());
        server.closeAllConnections();
      })),
  };
}

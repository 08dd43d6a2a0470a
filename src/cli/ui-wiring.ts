import type { StreamingContext } from '../streaming/streaming-context.js';
import { attachStatusLine, startStreamingUI } from '../ui/index.js';

/** Where the CLI serves the Streaming UI. */
export interface UiOptions {
  /** Default 4040, as Spark; the next free port when taken; 0 any free port. */
  port?: number;
  host?: string;
}

/** A running UI and status line. */
export interface UiHandle {
  readonly url: string;
  close(): Promise<void>;
}

/**
 * The one place the CLI touches the Streaming UI: starts it and the live status line for `ssc`
 * (before `ssc.start()`, so they see every batch) and prints the UI's address on stderr.
 */
export async function startUi(ssc: StreamingContext, opts: UiOptions): Promise<UiHandle> {
  const server = await startStreamingUI(ssc, { port: opts.port ?? 4040, host: opts.host });
  const status = attachStatusLine(ssc);
  process.stderr.write(`chispa: Streaming UI at ${server.url}\n`);
  return {
    url: server.url,
    close: async () => {
      status.detach();
      await server.close();
    },
  };
}

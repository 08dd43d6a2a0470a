import { log } from '../log.js';
import type { StreamingContext } from '../streaming/streaming-context.js';

/** Where the CLI serves the Streaming UI. */
export interface UiOptions {
  /** Default 4040, as Spark; the next free port when taken. */
  port?: number;
  host?: string;
}

/** A running UI. */
export interface UiHandle {
  readonly url: string;
  close(): Promise<void>;
}

interface UiModule {
  startStreamingUI(ssc: StreamingContext, opts: UiOptions): Promise<{ url: string; port: number; close(): Promise<void> | void }>;
  attachStatusLine?(ssc: StreamingContext): { detach(): void };
}

/**
 * The one place the CLI touches the Streaming UI (src/ui/, built in parallel): starts it and the
 * live status line for `ssc` and prints the UI's address on stderr. While src/ui/ is not part of
 * this build, says so once and runs without it.
 */
export async function startUi(ssc: StreamingContext, opts: UiOptions): Promise<UiHandle | undefined> {
  // A computed specifier: the UI module may be absent from this build, and that is not an error.
  const where = '../ui/index.js';
  const ui = (await import(where).catch(() => undefined)) as UiModule | undefined;
  if (!ui?.startStreamingUI) {
    log.warn('the Streaming UI is not part of this build; running without it');
    return undefined;
  }
  const server = await ui.startStreamingUI(ssc, { port: opts.port ?? 4040, host: opts.host });
  const status = ui.attachStatusLine?.(ssc);
  process.stderr.write(`chispa: Streaming UI at ${server.url}\n`);
  return {
    url: server.url,
    close: async () => {
      status?.detach();
      await server.close();
    },
  };
}

import { add } from '../functions.js';
import { SparkContext } from '../rdd/spark-context.js';
import type { DStream } from '../streaming/dstream.js';
import { StreamingContext, type StreamingContextOptions } from '../streaming/streaming-context.js';
import { openEventLog } from './events.js';
import { untilSignal } from './signals.js';
import { startUi, type UiOptions } from './ui-wiring.js';

/** What `chispa wordcount` runs: the seed's network WordCount, stateless, stateful or windowed. */
export interface WordCountOptions {
  host: string;
  port: number;
  /** Batch interval, seconds. */
  batch: number;
  master: string;
  /** Running counts across batches (`updateStateByKey`), checkpointed in `checkpoint`. */
  stateful: boolean;
  checkpoint?: string;
  /** Counts over the last `window` seconds every `slide` seconds (`reduceByKeyAndWindow`). */
  window?: number;
  slide?: number;
  /** Print the N most frequent words, most frequent first; otherwise `pprint()` as the seed. */
  top?: number;
  /** Stop after this many seconds; otherwise run until SIGINT or SIGTERM. */
  seconds?: number;
  /** Receivers' rate settings and graceful-stop timeout, as Spark's configuration. */
  conf?: Pick<StreamingContextOptions, 'receiver' | 'backpressure' | 'gracefulStopTimeout'>;
  /**
   * Stop the job gracefully once this many batches have completed; the UI (if on) then stays up,
   * its figures final, until SIGINT/SIGTERM.
   */
  batches?: number;
  /** Write one JSON line per completed batch here (`-`: stdout), from a listener in this job. */
  events?: string;
  /** The application's name (the UI's title shows it). Default `chispa wordcount`. */
  appName?: string;
  /** The Streaming UI, or false. */
  ui: UiOptions | false;
  /** Called with the context once it is built, before start (the demo adds its own output). */
  onContext?: (ssc: StreamingContext) => void;
}

/**
 * Builds the seed's WordCount on a new context: exactly the course's pipeline
 * (`flatMap(line => line.split(' ')).map(word => [word, 1])` then `reduceByKey(add)` or the
 * summing `updateStateByKey`), so the fast path recognises it. A stateful job is recovered from its
 * checkpoint directory when one is there (`StreamingContext.getOrCreate`), so a restart continues
 * the counts.
 */
export function buildWordCount(opts: WordCountOptions): StreamingContext {
  const setup = (): StreamingContext => {
    const sc = new SparkContext({ master: opts.master, appName: opts.appName ?? 'chispa wordcount' });
    sc.setLogLevel('WARN');
    const ssc = new StreamingContext(sc, opts.batch, { ...opts.conf, stopGracefullyOnShutdown: true });
    const lines = ssc.socketTextStream(opts.host, opts.port);
    if (opts.checkpoint !== undefined) ssc.checkpoint(opts.checkpoint);
    const pairs = lines.flatMap((line) => line.split(' ')).map((word) => [word, 1] as [string, number]);
    let counts: DStream<[string, number]>;
    if (opts.stateful) {
      const updateFunc = (newValues: number[], lastSum: number | null) => newValues.reduce((a, b) => a + b, 0) + (lastSum ?? 0);
      counts = pairs.updateStateByKey(updateFunc);
    } else if (opts.window !== undefined) {
      counts = pairs.reduceByKeyAndWindow(add, null, opts.window, opts.slide ?? opts.batch);
    } else {
      counts = pairs.reduceByKey(add);
    }
    if (opts.top !== undefined) counts.transform((rdd) => rdd.sortBy(([, n]) => n, false)).pprint(opts.top);
    else counts.pprint();
    opts.onContext?.(ssc);
    return ssc;
  };
  return opts.stateful ? StreamingContext.getOrCreate(opts.checkpoint!, setup) : setup();
}

/**
 * Runs a WordCount until `seconds` pass or a signal stops it gracefully (SIGINT/SIGTERM: what was
 * received is processed and checkpointed first). Returns the exit code: 0 when it stopped as
 * asked, 1 when a batch failed. Progress and the UI's address go to stderr; pprint to stdout.
 */
export async function runWordCount(opts: WordCountOptions, name = 'wordcount'): Promise<number> {
  const ssc = buildWordCount(opts);
  let batches = 0;
  let records = 0;
  let reachedBatches: () => void = () => {};
  const reached = new Promise<void>((resolve) => (reachedBatches = resolve));
  ssc.addStreamingListener({
    onBatchCompleted: (info) => {
      batches++;
      records += info.numRecords;
      if (batches === opts.batches) reachedBatches();
    },
  });
  const events = opts.events === undefined ? undefined : openEventLog(opts.events);
  if (events) ssc.addStreamingListener(events.listener);
  // Before start, so the UI sees the stream start and every batch.
  const ui = opts.ui ? await startUi(ssc, opts.ui) : undefined;
  try {
    ssc.start();
  } catch (e) {
    events?.close();
    await ui?.close();
    await ssc.sparkContext.stop();
    throw e;
  }
  let code = 0;
  try {
    const running = opts.seconds !== undefined ? ssc.awaitTerminationOrTimeout(opts.seconds) : ssc.awaitTermination();
    await Promise.race([running, reached]);
    await ssc.stop(true, true);
  } catch (e) {
    process.stderr.write(`chispa ${name}: the job failed: ${e instanceof Error ? e.message : String(e)}\n`);
    code = 1;
    await ssc.stop(true, false);
  } finally {
    events?.close();
  }
  process.stderr.write(`chispa ${name}: stopped after ${batches} batches, ${records} lines\n`);
  try {
    // After --batches, the UI shows the final figures until the operator is done with it.
    if (ui && opts.batches !== undefined && batches >= opts.batches) {
      process.stderr.write(`chispa ${name}: the Streaming UI stays up at ${ui.url} until SIGINT/SIGTERM\n`);
      await untilSignal();
    }
  } finally {
    await ui?.close();
  }
  return code;
}

import { readdirSync } from 'node:fs';
import { ManualClock, StreamingContext, type DStream, type SparkContext } from '../../src/index.js';
import { waitFor } from './streaming.js';

/** One streaming session on a manual clock: every output of the observed stream, with its time. */
export interface Session<T> {
  readonly times: number[];
  readonly outputs: T[][];
  /** Every failure a batch reported: a test expects none unless it provokes one. */
  readonly failures: Error[];
  /** Advances the clock by one batch and waits until that batch has run. */
  step(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * Starts `build`'s program through `StreamingContext.getOrCreate(cp, …)` on a manual clock at
 * `startMs`: a fresh program when `cp` has no checkpoint, a recovered one when it has.
 */
export function session<T>(
  sc: SparkContext,
  cp: string,
  batchSeconds: number,
  startMs: number,
  build: (ssc: StreamingContext) => DStream<T>,
): Session<T> {
  const clock = new ManualClock(startMs);
  const times: number[] = [];
  const outputs: T[][] = [];
  const ssc = StreamingContext.getOrCreate(cp, () => {
    const ssc = new StreamingContext(sc, batchSeconds, { clock });
    ssc.checkpoint(cp);
    build(ssc).foreachRDD(async (rdd, time) => {
      outputs.push(await rdd.collect());
      times.push(time);
    });
    return ssc;
  });
  const failures: Error[] = [];
  let done = 0;
  let stepped = 0;
  ssc.addStreamingListener({
    onBatchCompleted: (info) => {
      failures.push(...info.failures);
      done++;
    },
  });
  ssc.start();
  return {
    times,
    outputs,
    failures,
    async step() {
      const target = ++stepped;
      clock.advance(batchSeconds * 1000);
      await waitFor(() => done >= target, `batch ${target}`);
    },
    stop: () => ssc.stop(false),
  };
}

/** The newest checkpoint's batch time under `cp`. */
export function latestCheckpoint(cp: string): number {
  return Math.max(...readdirSync(cp).filter((n) => /^checkpoint-\d+$/.test(n)).map((n) => Number(n.slice('checkpoint-'.length))));
}

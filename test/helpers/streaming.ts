import { ManualClock, SparkContext, StreamingContext, type BatchInfo, type DStream } from '../../src/index.js';

/** Both masters every operation is tested under. */
export const MASTERS = ['local', 'local[2]'] as const;

/** Polls `cond` until true (or fails after `timeoutMs`): wait on conditions, never on sleeps. */
export async function waitFor(cond: () => boolean, what = 'condition', timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/**
 * Runs a streaming program for `batches` batch intervals on a manual clock and returns what each
 * batch's RDD of `output` collected, in batch order, plus each batch's info.
 *
 * `build` defines the graph on `ssc` and returns the stream to observe. The clock starts at
 * `startMs`, so the first batch is at the next multiple of the interval after it.
 */
export async function runBatches<T>(
  sc: SparkContext,
  batches: number,
  build: (ssc: StreamingContext) => DStream<T>,
  batchSeconds = 1,
  startMs = 0,
): Promise<{ outputs: T[][]; infos: BatchInfo[]; times: number[] }> {
  const clock = new ManualClock(startMs);
  const ssc = new StreamingContext(sc, batchSeconds, { clock });
  const outputs: T[][] = [];
  const times: number[] = [];
  const infos: BatchInfo[] = [];
  build(ssc).foreachRDD(async (rdd, time) => {
    outputs.push(await rdd.collect());
    times.push(time);
  });
  ssc.addStreamingListener({ onBatchCompleted: (i) => void infos.push(i) });
  ssc.start();
  try {
    for (let i = 1; i <= batches; i++) {
      clock.advance(batchSeconds * 1000);
      await waitFor(() => infos.length >= i, `batch ${i}`);
    }
  } finally {
    await ssc.stop(false);
  }
  return { outputs, infos, times };
}

/** Sorts records by their JSON text, for comparing unordered batch outputs. */
export function sorted<T>(rows: readonly T[]): T[] {
  return [...rows].sort((a, b) => (JSON.stringify(a) < JSON.stringify(b) ? -1 : JSON.stringify(a) > JSON.stringify(b) ? 1 : 0));
}

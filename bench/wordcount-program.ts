/**
 * The seed's WordCount as the benchmark consumers run it (`chispa-wordcount.ts` to a fixed line
 * count, `latency-consumer.ts` for a fixed time): the literal lambdas on `socketTextStream`,
 * stateless (`reduceByKey(add)`) or stateful (`updateStateByKey` with the seed's sum), every
 * batch fully counted, with running totals for the correctness check against the naive script.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SparkContext, StreamingContext, add, type DStream, type SocketInputDStream } from '../src/index.js';

export interface WordCountOptions {
  master: string;
  fastPath: boolean;
  mode: 'stateless' | 'stateful';
  host: string;
  port: number;
  batchSeconds: number;
  appName: string;
}

export interface WordCountProgram {
  ssc: StreamingContext;
  lines: SocketInputDStream;
  /** stateless: words summed over batches; stateful: the latest state's sum, and its distinct words. */
  totals(): { words: number; distinct: number; distinctSum: number };
  /** Removes the temporary checkpoint directory (stateful). */
  cleanup(): void;
}

export async function wordCountProgram(o: WordCountOptions): Promise<WordCountProgram> {
  const sc = new SparkContext({ master: o.master, appName: o.appName, fastPath: o.fastPath });
  sc.setLogLevel('ERROR');
  // Warm-up: a pool's threads boot (and, from sources, load tsx) asynchronously; one tiny job makes
  // sure they are up before the clock starts, so we time throughput, not thread start-up.
  await sc.parallelize([0, 1], sc.defaultParallelism).count();

  const ssc = new StreamingContext(sc, o.batchSeconds);
  const cpDir = o.mode === 'stateful' ? mkdtempSync(join(tmpdir(), 'chispa-bench-cp-')) : undefined;
  if (cpDir) ssc.checkpoint(cpDir);
  // A receiver reconnects when the server closes, and a feeder would serve the corpus again: a
  // huge first retry delay keeps a run to one connection (checked by the driver with `connects`).
  const lines = ssc.socketTextStream(o.host, o.port, { initialDelayMs: 3_600_000 });
  const pairs = lines.flatMap((line) => line.split(' ')).map((word) => [word, 1]);
  const counts: DStream<[string, number]> =
    o.mode === 'stateful'
      ? pairs.updateStateByKey((vs: number[], last: number | null) => vs.reduce((a, b) => a + b, 0) + (last ?? 0))
      : pairs.reduceByKey(add);

  let distinct = 0; // of the latest batch: the whole state when stateful
  let words = 0;
  let distinctSum = 0;
  counts.foreachRDD(async (rdd) => {
    distinct = await rdd.count();
    distinctSum += distinct;
    // mapPartitions, not reduce: reduce rejects on an empty batch, and there are some before data.
    const sums = await rdd.mapPartitions((ps) => {
      let s = 0;
      for (const p of ps) s += p[1];
      return [s];
    }).collect();
    const sum = sums.reduce((a, b) => a + b, 0);
    words = o.mode === 'stateful' ? sum : words + sum;
  });
  return {
    ssc,
    lines,
    totals: () => ({ words, distinct, distinctSum }),
    cleanup: () => {
      if (cpDir) rmSync(cpDir, { recursive: true, force: true });
    },
  };
}

import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { ManualClock, SparkContext, StreamingContext, type DStream } from '../../src/index.js';
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

/**
 * A SparkContext on `master` and a temporary directory for the tests of one describe block: made
 * before them, stopped and removed after. `freshDir()` is a new directory inside it (a checkpoint's).
 */
export function suiteContext(master: string, prefix: string): { readonly sc: SparkContext; freshDir(): string } {
  let sc: SparkContext | undefined;
  let dir = '';
  beforeAll(() => {
    sc = new SparkContext({ master });
    dir = mkdtempSync(join(tmpdir(), prefix));
  });
  afterAll(async () => {
    await sc?.stop();
    rmSync(dir, { recursive: true, force: true });
  });
  return {
    get sc() {
      return sc!;
    },
    freshDir: () => mkdtempSync(join(dir, 'cp-')),
  };
}

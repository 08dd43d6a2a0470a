import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ManualClock, SparkContext, StreamingContext, type BatchInfo } from '../../src/index.js';
import { rejection, thrown } from '../helpers/errors.js';
import { sorted, waitFor } from '../helpers/streaming.js';
import { faultCase } from './fault-case.js';
import { captureLogs } from './log-capture.js';

const logs = captureLogs();
const dirs: string[] = [];
const tmp = () => {
  const d = mkdtempSync(join(tmpdir(), 'chispa-task-faults-'));
  dirs.push(d);
  return d;
};
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

/** A queue-fed context on a manual clock; `next()` runs one batch and returns its info. */
function manual<T>(sc: SparkContext, batches: T[][], opts: { stopTimeout?: number } = {}) {
  const clock = new ManualClock(0);
  const ssc = new StreamingContext(sc, 1, { clock, ...opts });
  const infos: BatchInfo[] = [];
  ssc.addStreamingListener({ onBatchCompleted: (i) => void infos.push(i) });
  const stream = ssc.queueStream(batches);
  return {
    ssc,
    stream,
    infos,
    /** Fires the next batch without waiting for it. */
    tick: () => clock.advance(1000),
    async next(): Promise<BatchInfo> {
      const n = infos.length + 1;
      clock.advance(1000);
      await waitFor(() => infos.length >= n, `batch ${n}`, 60_000);
      return infos[n - 1];
    },
  };
}

describe('tasks whose worker dies, hangs or grows', () => {
  faultCase(
    { fault: 'a map function that never returns (while (true) {}), taskTimeout 2 s', survives: 'the batches after it, exactly', oracle: 'the counts of the queued batches' },
    async () => {
      const sc = new SparkContext({ master: 'local[2]', taskTimeout: 2, taskMaxFailures: 2 });
      const run = manual(sc, [[1, 2, 3], [-1], [4, 5]]);
      const seen: number[][] = [];
      run.stream
        .map((x: number) => {
          if (x < 0) while (true) {}
          return x * 10;
        })
        .foreachRDD(async (rdd) => void seen.push(await rdd.collect()));
      run.ssc.start();
      try {
        expect((await run.next()).failures).toEqual([]);
        const hung = await run.next();
        expect(hung.failures).toHaveLength(1);
        const err = hung.failures[0] as any;
        expect(err.code).toBe('CHISPA_ERR_TASK_TIMEOUT');
        expect(err.operator).toBe('map');
        expect(err.attempts).toBe(2);
        expect(err.message).toMatch(/^map: task did not finish within taskTimeout \(2 s\)/);
        expect(logs.lines.some((l) => /WARN chispa: lost task .*retrying, attempt 2 of 2/.test(l))).toBe(true);
        expect((await run.next()).failures).toEqual([]);
        expect(seen.map((b) => sorted(b))).toEqual([[10, 20, 30], [40, 50]]);
        return { expected: 5, got: seen.flat().length };
      } finally {
        await run.ssc.stop();
      }
    },
    60_000,
  );

  faultCase(
    { fault: 'a map function that never returns, no taskTimeout, then ssc.stop()', survives: 'stop() resolves, the pool is gone', oracle: 'stop() settles within stopTimeout, the batch reports CHISPA_ERR_TASK_CANCELLED' },
    async () => {
      const sc = new SparkContext({ master: 'local[2]' });
      const run = manual(sc, [[1, -1]], { stopTimeout: 0.5 });
      let started = false;
      run.ssc.addStreamingListener({ onBatchStarted: () => void (started = true) });
      run.stream
        .map((x: number) => {
          if (x < 0) while (true) {}
          return x;
        })
        .foreachRDD(async (rdd) => void (await rdd.collect()));
      run.ssc.start();
      const failed = rejection(run.ssc.awaitTermination());
      run.tick();
      await waitFor(() => started, 'the batch to start');
      await run.ssc.stop(); // resolves: the test's own timeout is the bound's witness
      expect(sc.isStopped).toBe(true);
      const err = await failed;
      expect(err.code).toBe('CHISPA_ERR_TASK_CANCELLED');
      expect(err.operator).toBe('map');
      expect(logs.lines.some((l) => /WARN chispa: stop: the running batch did not finish within 0.5 s/.test(l))).toBe(true);
    },
    60_000,
  );

  faultCase(
    { fault: "a worker that calls process.exit(1) on the task's first attempt", survives: 'the batch, on a fresh worker', oracle: 'the batch equals its input mapped' },
    async () => {
      const marker = join(tmp(), 'crashed');
      const sc = new SparkContext({ master: 'local[2]' });
      const run = manual(sc, [[1, 2, 3, 4]]);
      const seen: number[][] = [];
      run.stream
        .map(
          (x: number) => {
            const fs = process.getBuiltinModule('node:fs');
            if (x === 3 && !fs.existsSync(marker)) {
              fs.writeFileSync(marker, 'x');
              process.exit(1);
            }
            return x + 100;
          },
          { context: { marker } },
        )
        .foreachRDD(async (rdd) => void seen.push(await rdd.collect()));
      run.ssc.start();
      try {
        expect((await run.next()).failures).toEqual([]);
      } finally {
        await run.ssc.stop();
      }
      expect(existsSync(marker)).toBe(true);
      expect(sorted(seen[0])).toEqual([101, 102, 103, 104]);
      expect(logs.lines.filter((l) => /WARN chispa: lost task \d+ \(map: the worker running the task died \(worker exited with code: 1\)\); retrying, attempt 2 of 4/.test(l))).toHaveLength(1);
      return { expected: 4, got: seen[0].length };
    },
    60_000,
  );

  faultCase(
    { fault: 'a worker that calls process.exit(1) on every attempt', survives: 'the context: the batch fails naming map, later batches run', oracle: 'CHISPA_ERR_WORKER after taskMaxFailures (4) attempts; the next batch exact' },
    async () => {
      const attemptsFile = join(tmp(), 'attempts');
      const sc = new SparkContext({ master: 'local[2]' });
      const run = manual(sc, [[7], [8]]);
      const seen: number[][] = [];
      run.stream
        .map(
          (x: number) => {
            if (x === 7) {
              process.getBuiltinModule('node:fs').appendFileSync(attemptsFile, 'x');
              process.exit(1);
            }
            return x;
          },
          { context: { attemptsFile } },
        )
        .foreachRDD(async (rdd) => void seen.push(await rdd.collect()));
      run.ssc.start();
      try {
        const info = await run.next();
        const err = info.failures[0] as any;
        expect(err.code).toBe('CHISPA_ERR_WORKER');
        expect(err.operator).toBe('map');
        expect(err.attempts).toBe(4);
        expect(err.message).not.toMatch(/foreachRDD/);
        expect(readFileSync(attemptsFile, 'utf8')).toBe('xxxx');
        expect((await run.next()).failures).toEqual([]);
        expect(seen).toEqual([[8]]);
      } finally {
        await run.ssc.stop();
      }
    },
    90_000,
  );

  faultCase(
    { fault: 'a map function that allocates without bound, workerMemoryLimitMB 64', survives: 'the process and later batches', oracle: 'CHISPA_ERR_WORKER_MEMORY naming map; the next batch exact' },
    async () => {
      const sc = new SparkContext({ master: 'local[2]', workerMemoryLimitMB: 64, taskMaxFailures: 2 });
      const run = manual(sc, [[1], [2, 3]]);
      const seen: number[][] = [];
      run.stream
        .map((x: number) => {
          if (x === 1) {
            const hoard: number[][] = [];
            for (;;) hoard.push(new Array(100_000).fill(hoard.length));
          }
          return x;
        })
        .foreachRDD(async (rdd) => void seen.push(await rdd.collect()));
      run.ssc.start();
      try {
        const err = (await run.next()).failures[0] as any;
        expect(err.code).toBe('CHISPA_ERR_WORKER_MEMORY');
        expect(err.operator).toBe('map');
        expect(err.limitMB).toBe(64);
        expect(err.attempts).toBe(2);
        expect((await run.next()).failures).toEqual([]);
        expect(sorted(seen[0])).toEqual([2, 3]);
      } finally {
        await run.ssc.stop();
      }
    },
    120_000,
  );

  faultCase(
    { fault: 'a map function that throws', survives: 'the deterministic verdict: no retry', oracle: 'the function ran once per record; CHISPA_ERR_USER_FUNCTION' },
    async () => {
      const calls = join(tmp(), 'calls');
      const sc = new SparkContext({ master: 'local[2]' });
      const run = manual(sc, [[1]]);
      run.stream
        .map(
          (x: number) => {
            process.getBuiltinModule('node:fs').appendFileSync(calls, 'x');
            throw new Error(`bad ${x}`);
          },
          { context: { calls } },
        )
        .foreachRDD(async (rdd) => void (await rdd.collect()));
      run.ssc.start();
      try {
        const err = (await run.next()).failures[0] as any;
        expect(err.code).toBe('CHISPA_ERR_USER_FUNCTION');
        expect(err.operator).toBe('map');
        expect(readFileSync(calls, 'utf8')).toBe('x');
        expect(logs.lines.filter((l) => /lost task/.test(l))).toEqual([]);
      } finally {
        await run.ssc.stop();
      }
    },
    60_000,
  );

  faultCase(
    { fault: 'the worker dies in every attempt of a batch of updateStateByKey', survives: 'keyed state exactly as before the failed batch', oracle: 'running counts of the batches that succeeded' },
    async () => {
      const dir = tmp();
      const sc = new SparkContext({ master: 'local[2]', taskMaxFailures: 2 });
      const clock = new ManualClock(0);
      const ssc = new StreamingContext(sc, 1, { clock });
      ssc.checkpoint(dir);
      const infos: BatchInfo[] = [];
      ssc.addStreamingListener({ onBatchCompleted: (i) => void infos.push(i) });
      const states: [string, number][][] = [];
      ssc
        .queueStream([['a', 'b', 'a'], ['a', 'crash'], ['b', 'c']])
        // 'crash' maps to a value that makes the update function's worker exit.
        .map((w: string) => [w, w === 'crash' ? -1 : 1] as [string, number])
        .updateStateByKey((vs: number[], s: number | null) => {
          if (vs.includes(-1)) process.exit(1);
          return vs.reduce((a, b) => a + b, 0) + (s ?? 0);
        })
        .foreachRDD(async (rdd) => void states.push(await rdd.collect()));
      ssc.start();
      try {
        for (let i = 1; i <= 3; i++) {
          clock.advance(1000);
          await waitFor(() => infos.length >= i, `batch ${i}`, 60_000);
        }
      } finally {
        await ssc.stop();
      }
      expect(infos[0].failures).toEqual([]);
      expect((infos[1].failures[0] as any).code).toBe('CHISPA_ERR_WORKER');
      expect((infos[1].failures[0] as any).operator).toBe('updateStateByKey');
      expect(infos[2].failures).toEqual([]);
      expect(sorted(states[0])).toEqual([['a', 2], ['b', 1]]);
      expect(sorted(states[states.length - 1])).toEqual([['a', 2], ['b', 2], ['c', 1]]);
    },
    90_000,
  );

  faultCase(
    { fault: 'sc.stop() while a job runs a function that never returns', survives: 'stop() resolves; the job fails instead of hanging', oracle: 'collect() rejects with CHISPA_ERR_TASK_CANCELLED naming map' },
    async () => {
      const sc = new SparkContext({ master: 'local[2]' });
      const job = rejection(
        sc
          .parallelize([1, 2], 2)
          .map((x: number) => {
            while (x > 0) {}
            return x;
          })
          .collect(),
      );
      // Both tasks have started (and hang) once each worker has written its start time; the
      // stop itself must not depend on that, so it is called right away.
      await sc.stop();
      const err = await job;
      expect(err.code).toBe('CHISPA_ERR_TASK_CANCELLED');
      expect(err.operator).toBe('map');
    },
    60_000,
  );
});

describe('a failing stateful function under two outputs', () => {
  faultCase(
    { fault: 'an updateStateByKey function that throws, with two output operations', survives: 'one run and one report per batch; the next batch', oracle: 'calls counted in a file; BatchInfo failures and awaitTermination' },
    async () => {
      const calls = join(tmp(), 'calls');
      const sc = new SparkContext({ master: 'local[2]' });
      const run = manual(sc, [['boom'], ['ok']]);
      run.ssc.checkpoint(tmp());
      const state = run.stream
        .map((w: string) => [w, w === 'boom' ? -1 : 1] as [string, number])
        .updateStateByKey(
          (vs: number[], s: number | null) => {
            process.getBuiltinModule('node:fs').appendFileSync(calls, 'x');
            if (vs.includes(-1)) throw new Error('negative count');
            return vs.reduce((a, b) => a + b, 0) + (s ?? 0);
          },
          { context: { calls } },
        );
      const counted: number[] = [];
      const seen: [string, number][][] = [];
      state.foreachRDD(async (rdd) => void counted.push(await rdd.count()));
      state.foreachRDD(async (rdd) => void seen.push(await rdd.collect()));
      const terminated = rejection(run.ssc.awaitTermination());
      run.ssc.start();
      try {
        const failed = await run.next();
        expect(failed.failures).toHaveLength(1);
        expect((failed.failures[0] as any).code).toBe('CHISPA_ERR_USER_FUNCTION');
        expect((failed.failures[0] as any).operator).toBe('updateStateByKey');
        expect(await terminated).toBe(failed.failures[0]);
        expect(readFileSync(calls, 'utf8')).toBe('x');
        expect((await run.next()).failures).toEqual([]);
        expect(seen).toEqual([[['ok', 1]]]);
        expect(counted).toEqual([1]);
      } finally {
        await run.ssc.stop();
      }
    },
    60_000,
  );
});

describe('SparkConf task options', () => {
  it('are checked, and timeouts and memory caps need worker threads', () => {
    expect(thrown(() => new SparkContext({ master: 'local', taskTimeout: 1 })).code).toBe('CHISPA_ERR_ILLEGAL_ARGUMENT');
    expect(thrown(() => new SparkContext({ master: 'local', workerMemoryLimitMB: 64 })).message).toMatch(/workerMemoryLimitMB needs worker threads/);
    expect(thrown(() => new SparkContext({ master: 'local[2]', taskMaxFailures: 0 })).message).toMatch(/taskMaxFailures must be a positive integer, got 0/);
    expect(thrown(() => new SparkContext({ master: 'local[2]', taskTimeout: -1 })).code).toBe('CHISPA_ERR_ILLEGAL_ARGUMENT');
  });
});

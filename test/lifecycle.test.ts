import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  add,
  IllegalArgumentError,
  IllegalStateError,
  ManualClock,
  SparkContext,
  StreamingContext,
  UserFunctionError,
  type BatchInfo,
  type DStream,
  type RDD,
} from '../src/index.js';
import { MASTERS, runBatches, sorted, waitFor } from './helpers/streaming.js';
import { rejection, thrown } from './helpers/errors.js';
import { captureLog } from './helpers/log.js';

// The StreamingContext life cycle: what may be defined when, start/stop/restart, several contexts
// in one process, failed batches, awaitTermination, graceful and non-graceful stop.



interface Harness<T> {
  ssc: StreamingContext;
  clock: ManualClock;
  outputs: { time: number; records: T[] }[];
  infos: BatchInfo[];
  /** Advances the clock one interval and waits until that batch completes. */
  step(): Promise<void>;
}

/** A started context on a manual clock whose `build` stream's batches are collected. */
function harness<T>(sc: SparkContext, build: (ssc: StreamingContext) => DStream<T>, clock = new ManualClock(0)): Harness<T> {
  const ssc = new StreamingContext(sc, 1, { clock });
  const outputs: { time: number; records: T[] }[] = [];
  const infos: BatchInfo[] = [];
  build(ssc).foreachRDD(async (rdd, time) => void outputs.push({ time, records: await rdd.collect() }));
  ssc.addStreamingListener({ onBatchCompleted: (i) => void infos.push(i) });
  ssc.start();
  return {
    ssc,
    clock,
    outputs,
    infos,
    async step() {
      const n = infos.length + 1;
      clock.advance(1000);
      await waitFor(() => infos.length >= n, `batch ${n}`);
    },
  };
}

describe('errors independent of the master', () => {
  it('a SparkContext with a bad master string throws CHISPA_ERR_ILLEGAL_ARGUMENT', () => {
    for (const master of ['yarn', 'local[0]', 'local[-1]', 'local[x]', 'local[2', 'spark://host:7077', '']) {
      const err = thrown(() => new SparkContext({ master }));
      expect(err, master).toBeInstanceOf(IllegalArgumentError);
      expect(err.code, master).toBe('CHISPA_ERR_ILLEGAL_ARGUMENT');
      expect(err.message, master).toContain(`'${master}'`);
    }
  });

  it('new StreamingContext(stoppedSc, 1) throws CHISPA_ERR_ILLEGAL_STATE', async () => {
    const sc = new SparkContext({ master: 'local' });
    await sc.stop();
    const err = thrown(() => new StreamingContext(sc, 1));
    expect(err).toBeInstanceOf(IllegalStateError);
    expect(err.code).toBe('CHISPA_ERR_ILLEGAL_STATE');
  });

  it('start() after its SparkContext was stopped throws CHISPA_ERR_ILLEGAL_STATE and leaves the context INITIALIZED', async () => {
    const sc = new SparkContext({ master: 'local' });
    const ssc = new StreamingContext(sc, 1, { clock: new ManualClock(0) });
    ssc.queueStream([[1]]).foreachRDD(() => {});
    await sc.stop();
    const err = thrown(() => ssc.start());
    expect(err).toBeInstanceOf(IllegalStateError);
    expect(err.code).toBe('CHISPA_ERR_ILLEGAL_STATE');
    expect(ssc.getState()).toBe('INITIALIZED');
    await ssc.stop();
    expect(ssc.getState()).toBe('STOPPED');
  });

  it('a non-positive batch duration throws CHISPA_ERR_ILLEGAL_ARGUMENT', async () => {
    const sc = new SparkContext({ master: 'local' });
    try {
      for (const d of [0, -1, Number.NaN]) expect(thrown(() => new StreamingContext(sc, d)).code).toBe('CHISPA_ERR_ILLEGAL_ARGUMENT');
    } finally {
      await sc.stop();
    }
  });
});

describe.each(MASTERS)('StreamingContext life cycle under %s', (master) => {
  let sc: SparkContext;
  beforeAll(() => {
    sc = new SparkContext({ master, appName: 'lifecycle' });
  });
  afterAll(() => sc.stop());

  it("start() with no output operation throws 'No output operations registered, so nothing to execute'", async () => {
    const ssc = new StreamingContext(sc, 1, { clock: new ManualClock(0) });
    ssc.queueStream([[1, 2]]).map((x) => x + 1); // a transformation, but no output
    const err = thrown(() => ssc.start());
    expect(err).toBeInstanceOf(IllegalArgumentError);
    expect(err.code).toBe('CHISPA_ERR_ILLEGAL_ARGUMENT');
    expect(err.message).toBe('No output operations registered, so nothing to execute');
    expect(ssc.getState()).toBe('INITIALIZED');
    await ssc.stop(false);
  });

  it("getState(): 'INITIALIZED' → 'ACTIVE' → 'STOPPED'", async () => {
    const ssc = new StreamingContext(sc, 1, { clock: new ManualClock(0) });
    expect(ssc.getState()).toBe('INITIALIZED');
    ssc.queueStream([[1]]).foreachRDD(() => {});
    expect(ssc.getState()).toBe('INITIALIZED');
    ssc.start();
    expect(ssc.getState()).toBe('ACTIVE');
    const log = captureLog();
    ssc.start(); // a second start only warns
    log.restore();
    expect(log.messages()).toEqual(['StreamingContext has already been started']);
    expect(ssc.getState()).toBe('ACTIVE');
    await ssc.stop(false);
    expect(ssc.getState()).toBe('STOPPED');
    expect(sc.isStopped).toBe(false);
  });

  it('defining inputs, transformations or outputs after start or after stop throws CHISPA_ERR_ILLEGAL_STATE', async () => {
    const ssc = new StreamingContext(sc, 1, { clock: new ManualClock(0) });
    const input = ssc.queueStream<string>([['a']]);
    const mapped = input.map((x) => x.toUpperCase());
    mapped.foreachRDD(() => {});
    const attempts: [string, () => unknown][] = [
      ['map', () => input.map((x) => x + '!')],
      ['flatMap', () => mapped.flatMap((x) => [x])],
      ['filter', () => mapped.filter((x) => x !== '')],
      ['reduceByKey', () => mapped.map((w) => [w, 1]).reduceByKey(add)],
      ['transform', () => mapped.transform((rdd) => rdd)],
      ['union', () => mapped.union(input)],
      ['count', () => mapped.count()],
      ['pprint', () => mapped.pprint()],
      ['foreachRDD', () => mapped.foreachRDD(() => {})],
      ['queueStream', () => ssc.queueStream([[1]])],
      ['socketTextStream', () => ssc.socketTextStream('127.0.0.1', 9)],
      ['remember', () => ssc.remember(10)],
    ];
    const check = (phase: string, word: string) => {
      for (const [name, attempt] of attempts) {
        const err = thrown(attempt);
        expect(err, `${name} ${phase}`).toBeInstanceOf(IllegalStateError);
        expect(err.code, `${name} ${phase}`).toBe('CHISPA_ERR_ILLEGAL_STATE');
        expect(err.message, `${name} ${phase}`).toContain(word);
      }
    };
    ssc.start();
    check('after start', 'starting');
    await ssc.stop(false);
    check('after stop', 'stopping');
  });

  it("a stopped context cannot be restarted: start() throws CHISPA_ERR_ILLEGAL_STATE mentioning 'stopped'", async () => {
    const ssc = new StreamingContext(sc, 1, { clock: new ManualClock(0) });
    ssc.queueStream([[1]]).foreachRDD(() => {});
    ssc.start();
    await ssc.stop(false);
    const err = thrown(() => ssc.start());
    expect(err).toBeInstanceOf(IllegalStateError);
    expect(err.code).toBe('CHISPA_ERR_ILLEGAL_STATE');
    expect(err.message).toContain('stopped');
    expect(ssc.getState()).toBe('STOPPED');

    // Also a context stopped before it ever started.
    const never = new StreamingContext(sc, 1, { clock: new ManualClock(0) });
    never.queueStream([[1]]).foreachRDD(() => {});
    await never.stop(false);
    const err2 = thrown(() => never.start());
    expect(err2.code).toBe('CHISPA_ERR_ILLEGAL_STATE');
    expect(err2.message).toContain('stopped');
  });

  it('stop() is idempotent and stop(false) keeps the SparkContext usable', async () => {
    const ssc = new StreamingContext(sc, 1, { clock: new ManualClock(0) });
    ssc.queueStream([[1]]).foreachRDD(() => {});
    ssc.start();
    const a = ssc.stop(false);
    const b = ssc.stop(false);
    await Promise.all([a, b]);
    expect(sc.isStopped).toBe(false);
    expect(await sc.parallelize([1, 2, 3]).map((x) => x * 2).collect()).toEqual([2, 4, 6]);
  });

  it('a new StreamingContext on the same SparkContext runs after the first was stopped with stop(false)', async () => {
    const words = (ssc: StreamingContext) =>
      ssc
        .queueStream([['a b a'], ['c']])
        .flatMap((l) => l.split(' '))
        .map((w) => [w, 1] as [string, number])
        .reduceByKey(add);
    const first = await runBatches(sc, 2, words);
    expect(first.outputs.map(sorted)).toEqual([[['a', 2], ['b', 1]], [['c', 1]]]);
    expect(sc.isStopped).toBe(false);
    // The seed notebook dies here with "Only one StreamingContext may be started in this JVM".
    const second = await runBatches(sc, 2, words);
    expect(second.outputs.map(sorted)).toEqual([[['a', 2], ['b', 1]], [['c', 1]]]);
    const third = await runBatches(sc, 1, (ssc) => ssc.queueStream([[10, 20]]).map((x) => x / 10));
    expect(third.outputs).toEqual([[1, 2]]);
  });

  it('a new SparkContext and StreamingContext run after stop() stopped the first pair', async () => {
    const own = new SparkContext({ master, appName: 'first' });
    const h1 = harness(own, (ssc) => ssc.queueStream([[1, 2, 3]]).map((x) => x * 2));
    await h1.step();
    await h1.ssc.stop(); // stops `own` too
    expect(own.isStopped).toBe(true);
    expect(thrown(() => own.parallelize([1])).code).toBe('CHISPA_ERR_ILLEGAL_STATE');
    expect(h1.outputs.map((o) => o.records)).toEqual([[2, 4, 6]]);

    const fresh = new SparkContext({ master, appName: 'second' });
    try {
      const h2 = harness(fresh, (ssc) => ssc.queueStream([['x y'], ['y']]).flatMap((l) => l.split(' ')).map((w) => [w, 1] as [string, number]).reduceByKey(add));
      await h2.step();
      await h2.step();
      await h2.ssc.stop();
      expect(h2.outputs.map((o) => sorted(o.records))).toEqual([[['x', 1], ['y', 1]], [['y', 1]]]);
      expect(h2.outputs.map((o) => o.time)).toEqual([1000, 2000]);
    } finally {
      await fresh.stop();
    }
  });

  it('two StreamingContexts running at once each process their own batches independently', async () => {
    const a = harness(sc, (ssc) => ssc.queueStream([['a1'], ['a2'], ['a3']]).map((x) => x.toUpperCase()), new ManualClock(0));
    const b = harness(sc, (ssc) => ssc.queueStream([[1], [2]]).map((x) => x * 100), new ManualClock(50_000));
    try {
      expect(a.ssc.getState()).toBe('ACTIVE');
      expect(b.ssc.getState()).toBe('ACTIVE');
      // Interleave: b's clock moving does not cut a batch of a, and vice versa.
      await a.step();
      expect(b.infos).toHaveLength(0);
      await b.step();
      await a.step();
      expect(a.infos).toHaveLength(2);
      expect(b.infos).toHaveLength(1);
      // Both at once.
      const both = Promise.all([a.step(), b.step()]);
      await both;
    } finally {
      await Promise.all([a.ssc.stop(false), b.ssc.stop(false)]);
    }
    expect(a.outputs).toEqual([
      { time: 1000, records: ['A1'] },
      { time: 2000, records: ['A2'] },
      { time: 3000, records: ['A3'] },
    ]);
    expect(b.outputs).toEqual([
      { time: 51_000, records: [100] },
      { time: 52_000, records: [200] },
    ]);
    expect([...a.infos, ...b.infos].every((i) => i.failures.length === 0)).toBe(true);
    expect(a.infos.map((i) => i.numRecords)).toEqual([1, 1, 1]);
    expect(b.infos.map((i) => i.numRecords)).toEqual([1, 1]);
  });

  it('awaitTerminationOrTimeout returns false while running and true after stop; awaitTermination resolves after stop', async () => {
    const h = harness(sc, (ssc) => ssc.queueStream([[1]]));
    const terminated = h.ssc.awaitTermination();
    let settled = false;
    void terminated.then(() => (settled = true));
    expect(await h.ssc.awaitTerminationOrTimeout(0.05)).toBe(false);
    await h.step();
    expect(await h.ssc.awaitTerminationOrTimeout(0.05)).toBe(false);
    expect(settled).toBe(false);
    // A waiter that is pending when stop() is called is released by it.
    const pendingWait = h.ssc.awaitTerminationOrTimeout(60);
    await h.ssc.stop(false);
    expect(await pendingWait).toBe(true);
    await expect(terminated).resolves.toBeUndefined();
    expect(await h.ssc.awaitTerminationOrTimeout(0.05)).toBe(true);
    expect(await h.ssc.awaitTerminationOrTimeout(0)).toBe(true);
    await expect(h.ssc.awaitTermination()).resolves.toBeUndefined();
    expect(h.outputs.map((o) => o.records)).toEqual([[1]]);
  });

  describe('a failed batch fails only itself', () => {
    const inputs = [['a', 'b'], ['c', 'bad', 'd'], ['e'], ['f']];

    /** Runs 4 batches over `inputs`, the second of which fails in `build`'s user function. */
    async function runFailing(build: (s: DStream<string>) => DStream<string>, outputFn?: (rdd: RDD<string>, time: number) => Promise<void>) {
      const clock = new ManualClock(0);
      const ssc = new StreamingContext(sc, 1, { clock });
      const outputs: { time: number; records: string[] }[] = [];
      const infos: BatchInfo[] = [];
      const stream = build(ssc.queueStream(inputs));
      stream.foreachRDD(outputFn ?? (async (rdd, time) => void outputs.push({ time, records: (await rdd.collect()).sort() })));
      if (outputFn) stream.foreachRDD(async (rdd, time) => void outputs.push({ time, records: (await rdd.collect()).sort() }));
      ssc.addStreamingListener({ onBatchCompleted: (i) => void infos.push(i) });
      ssc.start();
      // Waiting before the failure: the waiter is rejected when the batch fails.
      const waiting = ssc.awaitTerminationOrTimeout(60);
      waiting.catch(() => {});
      try {
        for (let n = 1; n <= inputs.length; n++) {
          clock.advance(1000);
          await waitFor(() => infos.length >= n, `batch ${n}`);
        }
        const waitErr = await rejection(waiting);
        // Waiting after the failure: rejects at once with the same first error.
        const laterErr = await rejection(ssc.awaitTermination());
        const timeoutErr = await rejection(ssc.awaitTerminationOrTimeout(5));
        expect(laterErr).toBe(waitErr);
        expect(timeoutErr).toBe(waitErr);
        return { err: waitErr, outputs, infos };
      } finally {
        await ssc.stop(false);
      }
    }

    function expectOnlySecondFailed(infos: BatchInfo[], err: unknown) {
      expect(infos.map((i) => i.batchTime)).toEqual([1000, 2000, 3000, 4000]);
      expect(infos.map((i) => i.failures.length)).toEqual([0, 1, 0, 0]);
      expect(infos[1].failures[0]).toBe(err);
    }

    it("map: CHISPA_ERR_USER_FUNCTION, operator 'map', message and cause kept; later batches still run", async () => {
      const { err, outputs, infos } = await runFailing((s) =>
        s.map((x) => {
          if (x === 'bad') throw new Error('bad record');
          return x;
        }),
      );
      expect(err).toBeInstanceOf(UserFunctionError);
      expect(err.code).toBe('CHISPA_ERR_USER_FUNCTION');
      expect(err.operator).toBe('map');
      expect(err.message).toContain('bad record');
      expect(err.message).toMatch(/^map: /);
      expect(err.cause).toBeInstanceOf(Error);
      expect(err.cause.message).toBe('bad record');
      expect(err.cause.name).toBe('Error');
      expect(err.cause.stack).toContain('bad record');
      expectOnlySecondFailed(infos, err);
      expect(outputs).toEqual([
        { time: 1000, records: ['a', 'b'] },
        { time: 3000, records: ['e'] },
        { time: 4000, records: ['f'] },
      ]);
    });

    it("reduceByKey: a failure inside a shuffle names operator 'reduceByKey'", async () => {
      const { err, outputs, infos } = await runFailing((s) =>
        s
          .map((w) => ['k', w] as [string, string])
          .reduceByKey((a, b) => {
            if (a.includes('bad') || b.includes('bad')) throw new RangeError('cannot merge bad');
            return a + b;
          })
          .map((p) => String(p[1].length)),
      );
      expect(err).toBeInstanceOf(UserFunctionError);
      expect(err.code).toBe('CHISPA_ERR_USER_FUNCTION');
      expect(err.operator).toBe('reduceByKey');
      expect(err.message).toContain('cannot merge bad');
      expect(err.cause.name).toBe('RangeError');
      expect(err.cause.message).toBe('cannot merge bad');
      expectOnlySecondFailed(infos, err);
      expect(outputs).toEqual([
        { time: 1000, records: ['2'] },
        { time: 3000, records: ['1'] },
        { time: 4000, records: ['1'] },
      ]);
    });

    it("foreachRDD: an error thrown in the output function names operator 'foreachRDD'", async () => {
      const original = new TypeError('cannot write bad batch');
      const { err, outputs, infos } = await runFailing(
        (s) => s,
        async (rdd) => {
          const records = await rdd.collect();
          if (records.includes('bad')) throw original;
        },
      );
      expect(err).toBeInstanceOf(UserFunctionError);
      expect(err.code).toBe('CHISPA_ERR_USER_FUNCTION');
      expect(err.operator).toBe('foreachRDD');
      expect(err.message).toContain('cannot write bad batch');
      expect(err.cause).toBe(original);
      expectOnlySecondFailed(infos, err);
      // The second output operation of the failed batch still ran: jobs of a batch are independent.
      expect(outputs).toEqual([
        { time: 1000, records: ['a', 'b'] },
        { time: 2000, records: ['bad', 'c', 'd'] },
        { time: 3000, records: ['e'] },
        { time: 4000, records: ['f'] },
      ]);
    });

    it("foreachRDD: a task failing inside the output function's action keeps the task's operator", async () => {
      const { err, infos } = await runFailing(
        (s) => s,
        async (rdd) => {
          await rdd
            .filter((x) => {
              if (x === 'bad') throw new Error('bad record in filter');
              return true;
            })
            .count();
        },
      );
      expect(err.code).toBe('CHISPA_ERR_USER_FUNCTION');
      expect(err.operator).toBe('filter');
      expect(err.message).toContain('bad record in filter');
      expectOnlySecondFailed(infos, err);
    });

    it("transform: an error thrown in the transform function names operator 'transform'", async () => {
      const original = new Error('bad transform');
      const { err, outputs, infos } = await runFailing((s) =>
        s.transform((rdd, time) => {
          if (time === 2000) throw original;
          return rdd.map((x) => x.toUpperCase());
        }),
      );
      expect(err).toBeInstanceOf(UserFunctionError);
      expect(err.code).toBe('CHISPA_ERR_USER_FUNCTION');
      expect(err.operator).toBe('transform');
      expect(err.message).toContain('bad transform');
      expect(err.cause).toBe(original);
      expectOnlySecondFailed(infos, err);
      expect(outputs).toEqual([
        { time: 1000, records: ['A', 'B'] },
        { time: 3000, records: ['E'] },
        { time: 4000, records: ['F'] },
      ]);
    });
  });

  it('non-graceful stop drops batches not started yet, without error', async () => {
    const clock = new ManualClock(0);
    const ssc = new StreamingContext(sc, 1, { clock });
    const started: number[] = [];
    const done: { time: number; records: number[] }[] = [];
    const completed: BatchInfo[] = [];
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    ssc.queueStream([[1], [2], [3], [4]]).foreachRDD(async (rdd, time) => {
      started.push(time);
      if (time === 1000) await gate;
      done.push({ time, records: await rdd.collect() });
    });
    ssc.addStreamingListener({ onBatchCompleted: (i) => void completed.push(i) });
    ssc.start();
    clock.advance(1000);
    await waitFor(() => started.length === 1, 'batch 1 to start');
    clock.advance(1000);
    clock.advance(1000); // batches 2000 and 3000 wait behind 1000
    const stopping = ssc.stop(false);
    expect(ssc.getState()).toBe('STOPPED');
    clock.advance(1000); // no batch after stop
    release();
    await stopping;
    expect(started).toEqual([1000]);
    expect(done).toEqual([{ time: 1000, records: [1] }]);
    expect(completed.map((i) => [i.batchTime, i.failures.length])).toEqual([[1000, 0]]);
    expect(await ssc.awaitTerminationOrTimeout(0)).toBe(true);
  });

  it('graceful stop runs the batches already generated and one last batch', async () => {
    const clock = new ManualClock(0);
    const ssc = new StreamingContext(sc, 1, { clock });
    const done: { time: number; records: number[] }[] = [];
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let first = true;
    ssc.queueStream([[1], [2], [3], [4]], true).map((x) => x * 10).foreachRDD(async (rdd, time) => {
      if (first) {
        first = false;
        await gate;
      }
      done.push({ time, records: await rdd.collect() });
    });
    ssc.start();
    clock.advance(1000);
    clock.advance(1000);
    const stopping = ssc.stop(false, true);
    release();
    await stopping;
    expect(done).toEqual([
      { time: 1000, records: [10] },
      { time: 2000, records: [20] },
      { time: 3000, records: [30] },
    ]);
    await expect(ssc.awaitTermination()).resolves.toBeUndefined();
  });

  it('graceful stop(true, true) processes the lines a socket stream already received', async () => {
    const own = new SparkContext({ master, appName: 'graceful' });
    const clients: net.Socket[] = [];
    const server = net.createServer((s) => clients.push(s));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as net.AddressInfo).port;
    try {
      const clock = new ManualClock(0);
      const ssc = new StreamingContext(own, 1, { clock });
      const lines = ssc.socketTextStream('127.0.0.1', port);
      const batches: { time: number; records: string[] }[] = [];
      lines.foreachRDD(async (rdd, time) => void batches.push({ time, records: await rdd.collect() }));
      const counts: [string, number][][] = [];
      lines.flatMap((l) => l.split(' ')).map((w) => [w, 1] as [string, number]).reduceByKey(add).foreachRDD(async (rdd) => void counts.push(await rdd.collect()));
      ssc.start();
      await waitFor(() => clients.length === 1, 'receiver to connect');

      // One batch with data, cut by the clock.
      clients[0].write('uno dos\ntres\n');
      await waitFor(() => lines.receiverStats().lines === 2, 'first lines');
      clock.advance(1000);
      await waitFor(() => batches.length === 1, 'first batch');

      // Received but not yet cut into a batch when the graceful stop comes.
      const pending = ['cuatro cinco', 'seis', 'siete siete'];
      clients[0].write(pending.map((l) => l + '\n').join(''));
      await waitFor(() => lines.receiverStats().lines === 5, 'pending lines');
      await ssc.stop(true, true);
      expect(own.isStopped).toBe(true);
      expect(batches).toEqual([
        { time: 1000, records: ['uno dos', 'tres'] },
        { time: 2000, records: pending },
      ]);
      expect(counts.map(sorted)).toEqual([
        [['dos', 1], ['tres', 1], ['uno', 1]],
        [['cinco', 1], ['cuatro', 1], ['seis', 1], ['siete', 2]],
      ]);
      await expect(ssc.awaitTermination()).resolves.toBeUndefined();
    } finally {
      await own.stop();
      for (const c of clients) c.destroy();
      await new Promise((r) => server.close(r));
    }
  });

  it('non-graceful stop with lines received but not cut: no batch for them, no error', async () => {
    const clients: net.Socket[] = [];
    const server = net.createServer((s) => clients.push(s));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as net.AddressInfo).port;
    try {
      const clock = new ManualClock(0);
      const ssc = new StreamingContext(sc, 1, { clock });
      const lines = ssc.socketTextStream('127.0.0.1', port);
      const batches: string[][] = [];
      lines.foreachRDD(async (rdd) => void batches.push(await rdd.collect()));
      ssc.start();
      await waitFor(() => clients.length === 1, 'receiver to connect');
      clients[0].write('a\nb\n');
      await waitFor(() => lines.receiverStats().lines === 2, 'lines');
      await ssc.stop(false);
      expect(batches).toEqual([]);
      expect(await ssc.awaitTerminationOrTimeout(0)).toBe(true);
    } finally {
      for (const c of clients) c.destroy();
      await new Promise((r) => server.close(r));
    }
  });
});

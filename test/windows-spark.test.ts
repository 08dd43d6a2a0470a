import { describe, expect, it } from 'vitest';
import { add, ManualClock, StreamingContext, type DStream } from '../src/index.js';
import { thrown } from './helpers/errors.js';
import { latestCheckpoint, session, suiteContext } from './helpers/session.js';
import { MASTERS, sorted } from './helpers/streaming.js';

// Spark's own window tests, ported with their expected outputs: PySpark's WindowFunctionTests
// (test_dstream.py: 0.5 s batches) and the cases of Spark's WindowOperationsSuite whose slide is
// longer than the batch (1 s batches). Spark counts slides from the context's zero time, the first
// batch time minus the batch interval, so the outputs do not depend on when the clock starts; each
// case runs from a clock start where slides counted from the epoch would fall elsewhere, and
// from 0, where Spark's suites start their manual clock. Across a restart from a checkpoint the
// outputs continue as if the program had never stopped.

const sub = (a: number, b: number) => a - b;
const range = (n: number) => Array.from({ length: n }, (_, i) => i);

/** PySpark's `_collect`: the first `n` non-empty outputs (empty RDDs are skipped). */
const firstNonEmpty = <T>(outputs: T[][], n: number) => outputs.filter((rows) => rows.length > 0).slice(0, n);

// ---- PySpark: python/pyspark/streaming/tests/test_dstream.py, WindowFunctionTests ----

interface PySparkCase {
  readonly name: string;
  readonly input: unknown[][];
  readonly func: (s: DStream<any>) => DStream<any>;
  readonly expected: unknown[][];
  /** Outputs compared as sets (the order of keys after a shuffle is not Spark's to promise). */
  readonly sort?: boolean;
  /** Clock starts to run it from: 500 puts Spark's 1 s slides where epoch seconds are not. */
  readonly starts: readonly number[];
}

const PYSPARK: PySparkCase[] = [
  {
    name: 'test_window',
    input: [1, 2, 3, 4, 5].map(range),
    func: (s) => s.window(1.5, 0.5).count(),
    expected: [[1], [3], [6], [9], [12], [9], [5]],
    starts: [500],
  },
  {
    name: 'test_count_by_window',
    input: [1, 2, 3, 4, 5].map(range),
    func: (s) => s.countByWindow(1.5, 0.5),
    expected: [[1], [3], [6], [9], [12], [9], [5]],
    starts: [500],
  },
  {
    name: 'test_count_by_window_large',
    input: [1, 2, 3, 4, 5, 6].map(range),
    func: (s) => s.countByWindow(2.5, 0.5),
    expected: [[1], [3], [6], [10], [15], [20], [18], [15], [11], [6]],
    starts: [500],
  },
  {
    name: 'test_count_by_value_and_window',
    input: [1, 2, 3, 4, 5, 6].map(range),
    func: (s) => s.countByValueAndWindow(2.5, 0.5),
    expected: [
      [[0, 1]],
      [[0, 2], [1, 1]],
      [[0, 3], [1, 2], [2, 1]],
      [[0, 4], [1, 3], [2, 2], [3, 1]],
      [[0, 5], [1, 4], [2, 3], [3, 2], [4, 1]],
      [[0, 5], [1, 5], [2, 4], [3, 3], [4, 2], [5, 1]],
      [[0, 4], [1, 4], [2, 4], [3, 3], [4, 2], [5, 1]],
      [[0, 3], [1, 3], [2, 3], [3, 3], [4, 2], [5, 1]],
      [[0, 2], [1, 2], [2, 2], [3, 2], [4, 2], [5, 1]],
      [[0, 1], [1, 1], [2, 1], [3, 1], [4, 1], [5, 1]],
    ],
    sort: true,
    starts: [500],
  },
  {
    name: 'test_group_by_key_and_window',
    input: range(5).map((i) => [['a', i]]),
    func: (s) => s.groupByKeyAndWindow(1.5, 0.5).mapValues((vs: unknown[]) => [...vs]),
    expected: [[['a', [0]]], [['a', [0, 1]]], [['a', [0, 1, 2]]], [['a', [1, 2, 3]]], [['a', [2, 3, 4]]], [['a', [3, 4]]], [['a', [4]]]],
    starts: [500],
  },
  {
    // The one with a slide (1 s) longer than the batch (0.5 s): slides come at the zero time + k s.
    name: 'test_reduce_by_key_and_window_with_none_invFunc',
    input: [1, 2, 3, 4, 5, 6].map(range),
    func: (s) =>
      s
        .map((x: number) => [x, 1])
        .reduceByKeyAndWindow((a: number, b: number) => a + b, null, 5, 1)
        .filter((kv: [number, number]) => kv[1] > 0)
        .count(),
    expected: [[2], [4], [6], [6], [6], [6]],
    starts: [0, 500],
  },
];

// ---- Spark: streaming/src/test/scala/.../WindowOperationsSuite.scala, slide longer than the batch ----

const largerSlideInput: [string, number][][] = [[['a', 1]], [['a', 2]], [['a', 3]], [['a', 4]], [['a', 5]], [['a', 6]], [], []];
const largerSlideReduceOutput = [[['a', 3]], [['a', 10]], [['a', 18]], [['a', 11]]];

interface SparkCase {
  readonly name: string;
  readonly input: unknown[][];
  readonly op: (s: DStream<any>) => DStream<any>;
  readonly expected: unknown[][];
  readonly slideSeconds: number;
}

const SPARK: SparkCase[] = [
  {
    name: 'window - tumbling window',
    input: range(6).map((i) => [i]),
    op: (s) => s.window(2, 2),
    expected: [[0, 1], [2, 3], [4, 5]],
    slideSeconds: 2,
  },
  {
    name: 'window - larger window',
    input: range(6).map((i) => [i]),
    op: (s) => s.window(4, 2),
    expected: [[0, 1], [0, 1, 2, 3], [2, 3, 4, 5], [4, 5]],
    slideSeconds: 2,
  },
  {
    name: 'window - non-overlapping window',
    input: range(6).map((i) => [i]),
    op: (s) => s.window(2, 3),
    expected: [[1, 2], [4, 5]],
    slideSeconds: 3,
  },
  {
    name: 'reduceByKeyAndWindow - larger slide time',
    input: largerSlideInput,
    op: (s) => s.reduceByKeyAndWindow((a: number, b: number) => a + b, null, 4, 2),
    expected: largerSlideReduceOutput,
    slideSeconds: 2,
  },
  {
    name: 'reduceByKeyAndWindow with inverse function - larger slide time',
    input: largerSlideInput,
    op: (s) => s.reduceByKeyAndWindow(add, sub, 4, 2).checkpoint(100),
    expected: largerSlideReduceOutput,
    slideSeconds: 2,
  },
  {
    // Spark's filtered-inverse helper (persisted) on the larger-slide input.
    name: 'reduceByKeyAndWindow with inverse and filter functions - larger slide time',
    input: largerSlideInput,
    op: (s) => s.reduceByKeyAndWindow(add, sub, 4, 2, undefined, (p: [string, number]) => p[1] !== 0).persist().checkpoint(100),
    expected: largerSlideReduceOutput,
    slideSeconds: 2,
  },
];

/**
 * Spark's TestInputStream: batch i holds input i, whether or not anything reads it then. A queue
 * stream hands out its next item when a batch of it is computed, and a window with a slide longer
 * than itself skips batches: an output on every batch takes each item at its own batch.
 */
function timeIndexed<T>(ssc: StreamingContext, input: readonly (readonly T[])[]): DStream<T> {
  const stream = ssc.queueStream(input);
  stream.foreachRDD(() => {});
  return stream;
}

describe.each(MASTERS)("Spark's window tests under %s", (master) => {
  const ctx = suiteContext(master, 'chispa-window-spark-');

  /** Runs a PySpark case from clock `startMs` until it has `expected.length` non-empty outputs. */
  async function pyspark(c: PySparkCase, startMs: number, build = c.func) {
    const s = session(ctx.sc, ctx.freshDir(), 0.5, startMs, (ssc) => build(ssc.queueStream(c.input)));
    try {
      for (let i = 0; i < 40 && firstNonEmpty(s.outputs, Infinity).length < c.expected.length; i++) await s.step();
    } finally {
      await s.stop();
    }
    return s;
  }
  const norm = (c: { sort?: boolean }, outputs: unknown[][]) => (c.sort ? outputs.map(sorted) : outputs);

  for (const c of PYSPARK) {
    it.each(c.starts)(`PySpark ${c.name} (clock from %i ms)`, async (startMs) => {
      const s = await pyspark(c, startMs);
      expect(s.failures).toEqual([]);
      expect(norm(c, firstNonEmpty(s.outputs, c.expected.length))).toEqual(norm(c, c.expected));
    });
  }

  it('PySpark test_reduce_by_key_and_window_with_none_invFunc: slides every 1 s from the zero time, two batches a window step', async () => {
    const c = PYSPARK.find((p) => p.name === 'test_reduce_by_key_and_window_with_none_invFunc')!;
    // The clock starts at 500: the first batch is at 1000, so the zero time is 500 and the 1 s
    // slides come at 1500, 2500, …: the first window holds the first two batches.
    const s = await pyspark(c, 500);
    expect(s.times.slice(0, 3)).toEqual([1500, 2500, 3500]);
  });

  it('PySpark test_reduce_by_invalid_window: a window or slide that is not a multiple of the batch is refused', () => {
    const ssc = new StreamingContext(ctx.sc, 0.5, { clock: new ManualClock(0) });
    const d1 = ssc.queueStream([range(3), range(5), range(1), range(6)]).map((x): [number, number] => [x, x]);
    expect(thrown(() => d1.reduceByKeyAndWindow(add, null, 0.1, 0.1)).code).toBe('CHISPA_ERR_ILLEGAL_ARGUMENT');
    expect(thrown(() => d1.reduceByKeyAndWindow(add, null, 1, 0.1)).code).toBe('CHISPA_ERR_ILLEGAL_ARGUMENT');
  });

  // Every case, with an inverse (state) or without (the window's remembered batches are checkpointed).
  for (const c of PYSPARK) {
    it(`PySpark ${c.name} across a restart: stopped after 3 batches, recovered with getOrCreate, the same outputs`, async () => {
      const cp = ctx.freshDir();
      // Checkpoint every batch, so the restart takes up exactly where the first run stopped: set on
      // the program's last stream, the interval covers the windows it reads.
      const build = (input: unknown[][]) => (ssc: StreamingContext) => c.func(ssc.queueStream(input)).checkpoint(0.5);
      const first = session(ctx.sc, cp, 0.5, 500, build(c.input));
      for (let i = 0; i < 3; i++) await first.step();
      await first.stop();
      const stoppedAt = latestCheckpoint(cp);
      expect(stoppedAt).toBe(2000);
      // The restarted program's queue holds the batches the first run did not take.
      const second = session(ctx.sc, cp, 0.5, stoppedAt, build(c.input.slice(3)));
      try {
        for (let i = 0; i < 40 && firstNonEmpty([...first.outputs, ...second.outputs], Infinity).length < c.expected.length; i++) await second.step();
      } finally {
        await second.stop();
      }
      expect([...first.failures, ...second.failures]).toEqual([]);
      expect(second.times[0]).toBe(2500);
      expect(norm(c, firstNonEmpty([...first.outputs, ...second.outputs], c.expected.length))).toEqual(norm(c, c.expected));
    });
  }

  for (const c of SPARK) {
    // Spark's manual clock starts at 0 (zero time 0); from 1000 the zero time is 1000, and slides
    // counted from the epoch would come one batch early.
    it.each([0, 1000])(`WindowOperationsSuite ${c.name} (clock from %i ms)`, async (startMs) => {
      const s = session(ctx.sc, ctx.freshDir(), 1, startMs, (ssc) => c.op(timeIndexed(ssc, c.input)));
      const numBatches = c.expected.length * c.slideSeconds;
      try {
        for (let i = 0; i < numBatches; i++) await s.step();
      } finally {
        await s.stop();
      }
      expect(s.failures).toEqual([]);
      const zero = startMs;
      expect(s.times).toEqual(c.expected.map((_, k) => zero + (k + 1) * c.slideSeconds * 1000));
      expect(s.outputs.map(sorted)).toEqual(c.expected.map(sorted));
    });
  }

  for (const c of SPARK) {
    it.each([0, 1000])(`WindowOperationsSuite ${c.name}, across a restart after 3 batches (clock from %i ms): the same outputs`, async (startMs) => {
      const cp = ctx.freshDir();
      // Checkpointed every batch: set on the case's result, the interval covers the windows it reads.
      const build = (input: readonly unknown[][]) => (ssc: StreamingContext) => c.op(timeIndexed(ssc, input)).checkpoint(1);
      const first = session(ctx.sc, cp, 1, startMs, build(c.input));
      for (let i = 0; i < 3; i++) await first.step();
      await first.stop();
      const stoppedAt = latestCheckpoint(cp);
      expect(stoppedAt).toBe(startMs + 3000);
      const second = session(ctx.sc, cp, 1, stoppedAt, build(c.input.slice(3)));
      try {
        for (let i = 3; i < c.expected.length * c.slideSeconds; i++) await second.step();
      } finally {
        await second.stop();
      }
      expect([...first.failures, ...second.failures]).toEqual([]);
      expect([...first.times, ...second.times]).toEqual(c.expected.map((_, k) => startMs + (k + 1) * c.slideSeconds * 1000));
      expect([...first.outputs, ...second.outputs].map(sorted)).toEqual(c.expected.map(sorted));
    });
  }

  it.each([0, 1000])(
    'WindowOperationsSuite reduceByKeyAndWindow with inverse - larger slide time, across a restart between slides (clock from %i ms): the zero time comes back from the checkpoint',
    async (startMs) => {
      const cp = ctx.freshDir();
      const build = (input: [string, number][][]) => (ssc: StreamingContext) => ssc.queueStream(input).reduceByKeyAndWindow(add, sub, 4, 2).checkpoint(1);
      const first = session(ctx.sc, cp, 1, startMs, build(largerSlideInput));
      for (let i = 0; i < 3; i++) await first.step();
      await first.stop();
      // Restarted at the checkpoint's batch time: a zero time derived afresh (that time) would put
      // the slides one batch off; the checkpointed one keeps them.
      const stoppedAt = latestCheckpoint(cp);
      expect(stoppedAt).toBe(startMs + 3000);
      const second = session(ctx.sc, cp, 1, stoppedAt, build(largerSlideInput.slice(3)));
      try {
        for (let i = 0; i < 5; i++) await second.step();
      } finally {
        await second.stop();
      }
      expect([...first.failures, ...second.failures]).toEqual([]);
      expect([...first.times, ...second.times]).toEqual([1, 2, 3, 4].map((k) => startMs + 2000 * k));
      expect([...first.outputs, ...second.outputs].map(sorted)).toEqual(largerSlideReduceOutput);
    },
  );
});

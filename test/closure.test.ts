import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  add,
  ClosureCaptureError,
  ManualClock,
  SparkContext,
  StreamingContext,
  UserFunctionError,
  type TaskEndInfo,
} from '../src/index.js';
import { MASTERS, runBatches, sorted, waitFor } from './helpers/streaming.js';
import { rejection, thrown } from './helpers/errors.js';

// User functions and their variables: on a worker pool only a function's source travels, so a
// captured variable is refused at definition with a ClosureCaptureError naming it; `context`
// passes values explicitly; under `local` closures just work.

const run = promisify(execFile);
const root = fileURLToPath(new URL('..', import.meta.url));



function expectCapture(err: any, operator: string, variables: string[]): void {
  expect(err).toBeInstanceOf(ClosureCaptureError);
  expect(err.code).toBe('CHISPA_ERR_CLOSURE_CAPTURE');
  expect(err.operator).toBe(operator);
  expect(err.variables).toEqual(variables);
  expect(err.message).toContain(operator);
  for (const v of variables) expect(err.message).toContain(`'${v}'`);
  expect(err.message).toContain('context');
  expect(err.message).toContain("'local'");
}

describe('closures on a worker pool (local[2])', () => {
  let sc: SparkContext;
  const ends: TaskEndInfo[] = [];
  beforeAll(() => {
    sc = new SparkContext({ master: 'local[2]', appName: 'closures' });
    sc.addSparkListener({ onTaskEnd: (i) => void ends.push(i) });
  });
  afterAll(() => sc.stop());

  it('a captured variable throws ClosureCaptureError synchronously at definition, on RDDs', () => {
    const factor = 3;
    const sep = ' ';
    const limit = 2;
    const rdd = sc.parallelize([1, 2, 3]);
    const before = ends.length;
    expectCapture(thrown(() => rdd.map((x) => x * factor)), 'map', ['factor']);
    expectCapture(thrown(() => sc.parallelize(['a b']).flatMap((l) => l.split(sep))), 'flatMap', ['sep']);
    expectCapture(thrown(() => rdd.filter((x) => x > limit)), 'filter', ['limit']);
    const pairs = sc.parallelize([['a', 1] as [string, number]]);
    expectCapture(thrown(() => pairs.reduceByKey((a, b) => a + b * factor)), 'reduceByKey', ['factor']);
    expectCapture(thrown(() => pairs.mapValues((v) => v * factor)), 'mapValues', ['factor']);
    expectCapture(thrown(() => rdd.mapPartitions((xs) => [...xs].map((x) => x + limit))), 'mapPartitions', ['limit']);
    // Several variables, in order of first use; the message then says 'variables'.
    const err = thrown(() => rdd.map((x) => x * factor + limit - factor));
    expectCapture(err, 'map', ['factor', 'limit']);
    expect(err.message).toContain('variables');
    expect(err.message).toContain('{ context: { factor, limit } }');
    // Nothing ran: the error comes from the definition, not from a task.
    expect(ends.length).toBe(before);
  });

  it('a captured variable throws ClosureCaptureError synchronously at definition, on DStreams', async () => {
    const factor = 3;
    const sep = ' ';
    const ssc = new StreamingContext(sc, 1, { clock: new ManualClock(0) });
    const nums = ssc.queueStream([[1, 2, 3]]);
    const lines = ssc.queueStream([['a b']]);
    expectCapture(thrown(() => nums.map((x) => x * factor)), 'map', ['factor']);
    const e = thrown(() => nums.map((x) => x * factor));
    expect(e.message).toContain('.map(fn, { context: { factor } })');
    expectCapture(thrown(() => lines.flatMap((l) => l.split(sep))), 'flatMap', ['sep']);
    expectCapture(thrown(() => nums.filter((x) => x > factor)), 'filter', ['factor']);
    const pairs = lines.map((w) => [w, 1] as [string, number]);
    expectCapture(thrown(() => pairs.reduceByKey((a, b) => a + b + factor)), 'reduceByKey', ['factor']);
    expectCapture(thrown(() => nums.reduce((a, b) => a + b + factor)), 'reduce', ['factor']);
    // A function is a variable too.
    const double = (x: number) => x * 2;
    expectCapture(thrown(() => nums.map((x) => double(x))), 'map', ['double']);
    await ssc.stop(false);
  });

  it('globals are fine: Math, JSON, String methods, Buffer, Map, Set, Date, RegExp', async () => {
    const out = await sc
      .parallelize(['b a', 'c', 'a a a'], 3)
      .map((line) => {
        const words = line.split(' ');
        const m = new Map<string, number>();
        for (const w of words) m.set(w, (m.get(w) ?? 0) + 1);
        return JSON.stringify({
          max: Math.max(...[...m.values()]),
          upper: line.toUpperCase().padStart(6, '_'),
          b64: Buffer.from(line).toString('base64'),
          distinct: new Set(words).size,
          iso: new Date(0).toISOString(),
          vowels: (line.match(/[aeiou]/g) ?? []).length,
          num: Number.parseInt('42', 10) + parseFloat('0.5'),
        });
      })
      .collect();
    expect(out.map((s) => JSON.parse(s))).toEqual(
      ['b a', 'c', 'a a a'].map((line) => ({
        max: line === 'a a a' ? 3 : 1,
        upper: line.toUpperCase().padStart(6, '_'),
        b64: Buffer.from(line).toString('base64'),
        distinct: new Set(line.split(' ')).size,
        iso: '1970-01-01T00:00:00.000Z',
        vowels: (line.match(/[aeiou]/g) ?? []).length,
        num: 42.5,
      })),
    );
  });

  it('a missing global sneaked past the analyser fails as CHISPA_ERR_USER_FUNCTION naming the operator', async () => {
    const typeErr = await rejection(sc.parallelize([1, 2], 2).map((x) => (globalThis as any).noSuchFn(x)).collect());
    expect(typeErr).toBeInstanceOf(UserFunctionError);
    expect(typeErr.code).toBe('CHISPA_ERR_USER_FUNCTION');
    expect(typeErr.operator).toBe('map');
    expect(typeErr.message).toMatch(/^map: /);
    expect(typeErr.cause.name).toBe('TypeError');

    // eval is a global, so the analyser lets it through; what it evaluates is not analysed.
    const refErr = await rejection(sc.parallelize(['a'], 1).filter((x) => eval('undefinedVar') === x).count());
    expect(refErr).toBeInstanceOf(UserFunctionError);
    expect(refErr.code).toBe('CHISPA_ERR_USER_FUNCTION');
    expect(refErr.operator).toBe('filter');
    expect(refErr.message).toContain('undefinedVar');
    expect(refErr.cause.name).toBe('ReferenceError');
    expect(refErr.cause.message).toContain('undefinedVar');
  });

  it('the same through a streaming batch: the batch fails with the typed error, the next batch runs', async () => {
    const clock = new ManualClock(0);
    const ssc = new StreamingContext(sc, 1, { clock });
    const outputs: number[][] = [];
    const failures: Error[][] = [];
    ssc
      .queueStream([[1], [2], [3]])
      .map((x) => (x === 2 ? (globalThis as any).noSuchFn(x) : x * 10))
      .foreachRDD(async (rdd) => void outputs.push(await rdd.collect()));
    ssc.addStreamingListener({ onBatchCompleted: (i) => void failures.push([...i.failures]) });
    ssc.start();
    const waiting = ssc.awaitTermination();
    waiting.catch(() => {});
    try {
      for (let n = 1; n <= 3; n++) {
        clock.advance(1000);
        await waitFor(() => failures.length >= n, `batch ${n}`);
      }
      const err = await rejection(waiting);
      expect(err.code).toBe('CHISPA_ERR_USER_FUNCTION');
      expect(err.operator).toBe('map');
      expect(err.cause.name).toBe('TypeError');
    } finally {
      await ssc.stop(false);
    }
    expect(failures.map((f) => f.length)).toEqual([0, 1, 0]);
    expect(outputs).toEqual([[10], [30]]);
  });
});

describe.each(MASTERS)('context and closures under %s', (master) => {
  let sc: SparkContext;
  beforeAll(() => {
    sc = new SparkContext({ master, appName: 'closures' });
  });
  afterAll(() => sc.stop());

  it('{ context } makes captured values available, on RDDs', async () => {
    const factor = 3;
    const sep = '-';
    const limit = 4;
    const double = (x: number) => x * 2;
    expect(await sc.parallelize([1, 2, 3, 4], 2).map((x) => x * factor, { context: { factor } }).collect()).toEqual([3, 6, 9, 12]);
    expect(await sc.parallelize(['a-b', 'c'], 2).flatMap((l) => l.split(sep), { context: { sep } }).collect()).toEqual(['a', 'b', 'c']);
    expect(await sc.parallelize([1, 5, 3, 7], 2).filter((x) => x > limit, { context: { limit } }).collect()).toEqual([5, 7]);
    const sums = await sc
      .parallelize([['a', 1], ['b', 2], ['a', 3]] as [string, number][], 2)
      .reduceByKey((a, b) => (a + b) * factor, { context: { factor } })
      .collect();
    expect(sorted(sums)).toEqual([['a', 12], ['b', 2]]);
    // A function in the context travels by source too.
    expect(await sc.parallelize([1, 2], 2).map((x) => double(x) + factor, { context: { double, factor } }).collect()).toEqual([5, 7]);
  });

  it('{ context } on DStreams: the seed WordCount with a captured separator and weight', async () => {
    const sep = ' ';
    const weight = 2;
    const { outputs } = await runBatches(sc, 2, (ssc) =>
      ssc
        .queueStream([['a b a', 'b'], ['c']])
        .flatMap((line) => line.split(sep), { context: { sep } })
        .map((word) => [word, weight] as [string, number], { context: { weight } })
        .reduceByKey(add),
    );
    expect(outputs.map(sorted)).toEqual([[['a', 4], ['b', 4]], [['c', 2]]]);
  });

  it('a context value is a snapshot taken at definition', async () => {
    const state = { n: 1 };
    const rdd = sc.parallelize([10], 1).map((x) => x + state.n, { context: { state } });
    state.n = 100;
    expect(await rdd.collect()).toEqual([11]);
  });

  if (master === 'local') {
    it('under local, closures work without context', async () => {
      const factor = 3;
      const seen: number[] = [];
      expect(await sc.parallelize([1, 2, 3], 2).map((x) => x * factor).collect()).toEqual([3, 6, 9]);
      // Even side effects on driver state: the function is the closure itself.
      await sc.parallelize([1, 2, 3], 3).map((x) => seen.push(x)).count();
      expect(seen.sort()).toEqual([1, 2, 3]);
      const sep = ' ';
      const { outputs } = await runBatches(sc, 1, (ssc) =>
        ssc
          .queueStream([['x y x']])
          .flatMap((l) => l.split(sep))
          .map((w) => [w, factor] as [string, number])
          .reduceByKey(add)
          .filter((p) => p[1] > factor),
      );
      expect(outputs).toEqual([[['x', 6]]]);
    });
  }

  it('a missing global fails as CHISPA_ERR_USER_FUNCTION, never a bare error', async () => {
    const err = await rejection(sc.parallelize([1], 1).map((x) => (globalThis as any).noSuchFn(x)).collect());
    expect(err).toBeInstanceOf(UserFunctionError);
    expect(err.code).toBe('CHISPA_ERR_USER_FUNCTION');
    expect(err.operator).toBe('map');
  });
});

describe('a user program run through tsx', () => {
  it('the seed WordCount on local[2] with a queueStream ships tsx-transformed functions', async () => {
    const fixture = fileURLToPath(new URL('./fixtures/programs/wordcount-queue.ts', import.meta.url));
    const { stdout } = await run(process.execPath, ['--import', 'tsx', fixture], { cwd: root, timeout: 60_000 });
    const out = JSON.parse(stdout.trim());
    expect(out.batches).toEqual([
      [['be', 2], ['is', 1], ['not', 1], ['or', 1], ['question', 1], ['that', 1], ['the', 1], ['to', 2]],
      [['comió', 1], ['el', 1], ['niño', 1]],
      [],
    ]);
    expect(out.failures).toEqual([]);
    // What tsx emits: no parens, double quotes, and a __name wrapper inside a shipped function.
    expect(out.flatMapSource).toBe('line=>line.split(" ")');
    expect(out.keepSource).toContain('__name(nonEmpty,"nonEmpty")');
  }, 60_000);
});

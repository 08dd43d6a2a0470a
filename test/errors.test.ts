import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as errors from '../src/errors.js';
import * as api from '../src/index.js';
import { KafkaUtils, ManualClock, RDD, SparkContext, StateSpec, StreamingContext, type DStream } from '../src/index.js';
import { rejection, thrown } from './helpers/errors.js';
import { captureLog, withCapturedLog } from './helpers/log.js';
import { MASTERS, waitFor } from './helpers/streaming.js';

// The error contract, from the README's side: every code its "Errors" table lists is raised by a
// real trigger below, with its code at top level and the operator that failed, under both masters
// where it is a run-time error. The table is parsed here, so the README and the code cannot drift.

/** The README's error table: code → class name. */
function readmeErrorTable(): Map<string, string> {
  const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
  const start = readme.indexOf('\n### Errors\n');
  const section = readme.slice(start, readme.indexOf('\n### ', start + 1));
  const rows = [...section.matchAll(/^\| `(CHISPA_ERR_[A-Z_]+)` \| `(\w+)` \|/gm)];
  return new Map(rows.map((m) => [m[1], m[2]]));
}

const listed = readmeErrorTable();

/** Runs `body` on a SparkContext of its own (other task limits than the shared one), then stops it. */
async function withOwnContext(sc: SparkContext, conf: { taskTimeout?: number; workerMemoryLimitMB?: number; taskMaxFailures?: number }, body: (own: SparkContext) => Promise<any>): Promise<any> {
  const own = new SparkContext({ master: sc.master, ...conf });
  try {
    return await body(own);
  } finally {
    await own.stop();
  }
}

type Master = (typeof MASTERS)[number];

/** A real way to raise a code: `raise` returns the error; `operator` is what it must name. */
interface Trigger {
  readonly what: string;
  readonly operator: string | undefined;
  /** Masters it applies to (a definition-time check of shipped functions is a pool matter). */
  readonly masters?: readonly Master[];
  raise(sc: SparkContext): Promise<any>;
}

let tmp: string;

/** Runs one batch of `build`'s program on a manual clock; resolves with what awaitTermination rejected with. */
async function failedBatch(sc: SparkContext, build: (ssc: StreamingContext) => void): Promise<any> {
  const clock = new ManualClock(0);
  const ssc = new StreamingContext(sc, 1, { clock });
  ssc.checkpoint(mkdtempSync(join(tmp, 'cp-')));
  build(ssc);
  let done = 0;
  ssc.addStreamingListener({ onBatchCompleted: () => void done++ });
  const err = rejection(ssc.awaitTermination());
  // The failure goes to awaitTermination, and is reported once a batch: nothing is logged.
  const log = captureLog();
  try {
    ssc.start();
    clock.advance(1000);
    await waitFor(() => done === 1, 'the batch');
    await ssc.stop(false);
  } finally {
    log.restore();
  }
  const e = await err;
  expect(log.messages()).toEqual([]);
  return e;
}

const pairs = (ssc: StreamingContext): DStream<[string, number]> => ssc.queueStream([['a', 'b', 'a']]).map((w) => [w, 1] as [string, number]);

/** Writes a checkpoint through a real stateful program, then damages every one there is. */
async function damagedCheckpointDir(sc: SparkContext): Promise<string> {
  const dir = mkdtempSync(join(tmp, 'damaged-'));
  const clock = new ManualClock(0);
  const ssc = new StreamingContext(sc, 1, { clock });
  ssc.checkpoint(dir);
  pairs(ssc).updateStateByKey((vs: number[], s: number | null) => vs.length + (s ?? 0)).checkpoint(1).foreachRDD(() => {});
  let done = 0;
  ssc.addStreamingListener({ onBatchCompleted: () => void done++ });
  ssc.start();
  for (let i = 1; i <= 2; i++) {
    clock.advance(1000);
    await waitFor(() => done === i, `batch ${i}`);
  }
  await ssc.stop(false);
  const checkpoints = readdirSync(dir).filter((n) => n.startsWith('checkpoint-'));
  expect(checkpoints.length).toBeGreaterThan(0);
  for (const name of checkpoints) writeFileSync(join(dir, name, 'manifest.chk'), 'not a checkpoint');
  return dir;
}

const triggers: Record<string, readonly Trigger[]> = {
  CHISPA_ERR_CLOSURE_CAPTURE: [
    {
      what: 'a function that uses a variable of its scope, on a pool',
      operator: 'map',
      masters: ['local[2]'],
      raise: async (sc) => {
        const factor = 3;
        return thrown(() => sc.parallelize([1]).map((x) => x * factor));
      },
    },
  ],
  CHISPA_ERR_FUNCTION_SOURCE: [
    { what: 'a native function, on a pool', operator: 'map', masters: ['local[2]'], raise: async (sc) => thrown(() => sc.parallelize([1]).map(Math.abs)) },
  ],
  CHISPA_ERR_USER_FUNCTION: [
    {
      what: 'map throws an Error',
      operator: 'map',
      raise: (sc) =>
        rejection(
          sc.parallelize([1, 2], 2).map((x) => {
            if (x === 2) throw new RangeError('two');
            return x;
          }).collect(),
        ),
    },
    {
      what: "filter throws a string (not an Error)",
      operator: 'filter',
      raise: (sc) =>
        rejection(
          sc.parallelize([1, 2], 2).filter(() => {
            throw 'no good';
          }).collect(),
        ),
    },
    {
      what: 'mapAsync rejects with {} (not an Error)',
      operator: 'mapAsync',
      raise: (sc) => rejection(sc.parallelize([1, 2], 2).mapAsync(() => Promise.reject({})).collect()),
    },
    {
      what: 'a foreachRDD function throws',
      operator: 'foreachRDD',
      raise: (sc) =>
        failedBatch(sc, (ssc) =>
          pairs(ssc).foreachRDD(() => {
            throw new Error('output failed');
          }),
        ),
    },
    {
      what: 'a map inside pprint throws: the map is named, not the output',
      operator: 'map',
      raise: (sc) =>
        failedBatch(sc, (ssc) =>
          ssc.queueStream([[1]]).map(() => {
            throw new Error('in map');
          }).pprint(),
        ),
    },
  ],
  CHISPA_ERR_ASYNC_FUNCTION: [
    { what: 'an async function given to map', operator: 'map', raise: async (sc) => thrown(() => sc.parallelize([1]).map(async (x) => x)) },
    {
      what: 'an async function given to DStream.flatMap',
      operator: 'flatMap',
      raise: async (sc) => thrown(() => new StreamingContext(sc, 1, { clock: new ManualClock(0) }).queueStream([['a']]).flatMap((async (x: string) => [x]) as any)),
    },
    {
      what: "an async function given to reduceByKey",
      operator: 'reduceByKey',
      raise: async (sc) => thrown(() => sc.parallelize([['a', 1] as [string, number]]).reduceByKey((async (a: number, b: number) => a + b) as any)),
    },
    { what: 'map returns a Promise at run time', operator: 'map', raise: (sc) => rejection(sc.parallelize([1, 2], 2).map((x) => Promise.resolve(x)).collect()) },
    {
      what: 'reduceByKey returns a Promise at run time',
      operator: 'reduceByKey',
      raise: (sc) => rejection(sc.parallelize([['a', 1], ['a', 2]] as [string, number][], 1).reduceByKey((a, b) => Promise.resolve(a + b) as unknown as number).collect()),
    },
  ],
  CHISPA_ERR_NOT_A_PAIR: [
    { what: 'reduceByKey over numbers', operator: 'reduceByKey', raise: (sc) => rejection((sc.parallelize([1, 2], 2) as unknown as RDD<[number, number]>).reduceByKey((a, b) => a + b).collect()) },
    { what: 'mapValues over strings', operator: 'mapValues', raise: (sc) => rejection((sc.parallelize(['ab']) as unknown as RDD<[string, string]>).mapValues((v) => v).collect()) },
  ],
  CHISPA_ERR_ILLEGAL_STATE: [
    {
      what: "State.get() of an unset state in a mapWithState function",
      operator: 'mapWithState',
      raise: (sc) =>
        failedBatch(sc, (ssc) => pairs(ssc).mapWithState(StateSpec.function((_k: string, _v: number | null, s: api.State<number>) => s.get())).foreachRDD(async (rdd) => void (await rdd.count()))),
    },
  ],
  CHISPA_ERR_ILLEGAL_ARGUMENT: [
    { what: 'a bad port', operator: 'socketTextStream', raise: async (sc) => thrown(() => new StreamingContext(sc, 1, { clock: new ManualClock(0) }).socketTextStream('127.0.0.1', 70000)) },
    {
      what: 'a bad maxLineBytes',
      operator: 'socketTextStream',
      raise: async (sc) => thrown(() => new StreamingContext(sc, 1, { clock: new ManualClock(0) }).socketTextStream('127.0.0.1', 9999, { maxLineBytes: 0 })),
    },
    { what: 'an unknown log level', operator: 'setLogLevel', raise: async (sc) => thrown(() => sc.setLogLevel('LOUD')) },
    { what: 'a concurrency of 0', operator: 'mapAsync', raise: async (sc) => thrown(() => sc.parallelize([1]).mapAsync(async (x) => x, { concurrency: 0 })) },
  ],
  CHISPA_ERR_WORKER: [
    { what: 'records that cannot be cloned back from a worker', operator: 'map', masters: ['local[2]'], raise: (sc) => rejection(sc.parallelize([1, 2], 2).map((x) => () => x).collect()) },
  ],
  CHISPA_ERR_TASK_TIMEOUT: [
    {
      what: 'a map function past taskTimeout',
      operator: 'map',
      masters: ['local[2]'],
      raise: (sc) =>
        withOwnContext(sc, { taskTimeout: 1, taskMaxFailures: 1 }, (own) =>
          rejection(
            own
              .parallelize([1], 1)
              .map((x: number) => {
                while (x > 0) {}
                return x;
              })
              .collect(),
          ),
        ),
    },
  ],
  CHISPA_ERR_WORKER_MEMORY: [
    {
      what: 'a map function that allocates past workerMemoryLimitMB',
      operator: 'map',
      masters: ['local[2]'],
      raise: (sc) =>
        withOwnContext(sc, { workerMemoryLimitMB: 64, taskMaxFailures: 1 }, (own) =>
          rejection(
            own
              .parallelize([1], 1)
              .map((x: number) => {
                const kept: number[][] = [];
                while (x > 0) kept.push(new Array(100_000).fill(x));
                return kept.length;
              })
              .collect(),
          ),
        ),
    },
  ],
  CHISPA_ERR_TASK_CANCELLED: [
    {
      what: 'sc.stop() while a job runs a function that never returns',
      operator: 'map',
      masters: ['local[2]'],
      raise: async (sc) => {
        const own = new SparkContext({ master: sc.master });
        const job = rejection(
          own
            .parallelize([1], 1)
            .map((x: number) => {
              while (x > 0) {}
              return x;
            })
            .collect(),
        );
        await own.stop();
        return job;
      },
    },
  ],
  CHISPA_ERR_KAFKA: [
    {
      what: 'commitAsync on a direct stream whose context has stopped',
      operator: 'commit',
      raise: async (sc) => {
        const ssc = new StreamingContext(sc, 1, { clock: new ManualClock(0) });
        // No broker is needed: the stream has stopped before the commit is asked for.
        const stream = KafkaUtils.createDirectStream(ssc, ['t'], { 'bootstrap.servers': '127.0.0.1:9', 'group.id': 'g' });
        await ssc.stop(false);
        return new Promise((resolve) => stream.commitAsync([{ topic: 't', partition: 0, fromOffset: 0, untilOffset: 1 }], (e) => resolve(e)));
      },
    },
  ],
  CHISPA_ERR_OUTPUT: [
    {
      what: 'saveAsTextFile under a path whose parent is a file',
      operator: 'saveAsTextFile',
      raise: async (sc) => {
        const file = join(mkdtempSync(join(tmp, 'out-')), 'a-file');
        writeFileSync(file, '');
        const err = await rejection(sc.parallelize(['x']).saveAsTextFile(join(file, 'out')));
        expect(err.path).toBe(join(file, 'out'));
        expect(err.cause.code).toMatch(/^E[A-Z]+$/); // the file system's own error, kept as the cause
        return err;
      },
    },
  ],
  CHISPA_ERR_CHECKPOINT: [
    {
      what: 'getOrCreate over a directory whose checkpoints are all damaged',
      operator: undefined,
      raise: async (sc) => {
        const dir = await damagedCheckpointDir(sc);
        const { result: err, log } = await withCapturedLog(() =>
          thrown(() => StreamingContext.getOrCreate(dir, () => new StreamingContext(sc, 1, { clock: new ManualClock(0) }))),
        );
        expect(err.path).toBe(dir);
        // The error names each damaged checkpoint and why; nothing was deleted, nothing logged.
        const names = readdirSync(dir).filter((n) => n.startsWith('checkpoint-'));
        expect(names.length).toBeGreaterThan(0);
        for (const n of names) expect(err.message).toContain(join(dir, n));
        expect(log.messages('WARN')).toEqual([]);
        return err;
      },
    },
  ],
  CHISPA_ERR_CORRUPT_DATA: [
    {
      what: 'a source block with a bad header',
      operator: 'map',
      raise: (sc) =>
        rejection(new RDD<number>(sc, { kind: 'source', partitions: [{ kind: 'block', sab: new SharedArrayBuffer(64), section: 0 }] }).map((x) => x).collect()),
    },
  ],
};

describe('the README lists every error', () => {
  it('its table has one row per error class in src/errors.ts, each exported from the package', () => {
    const classes = Object.values(errors).filter(
      (v): v is typeof errors.ChispaError => typeof v === 'function' && v.prototype instanceof errors.ChispaError,
    );
    expect(new Map(classes.map((c) => [c.code, c.name]))).toEqual(listed);
    for (const name of listed.values()) expect(typeof (api as Record<string, unknown>)[name], name).toBe('function');
  });

  it('and this file has a trigger for each', () => {
    expect(Object.keys(triggers).sort()).toEqual([...listed.keys()].sort());
  });
});

describe.each(MASTERS)('every listed error, raised for real, under %s', (master) => {
  let sc: SparkContext;
  beforeAll(async () => {
    sc = new SparkContext({ master });
    tmp = mkdtempSync(join(tmpdir(), 'chispa-errors-'));
    // The pool's threads start (and warm the fast path up) here, not inside the first case.
    await sc.parallelize([1, 2], 2).count();
  }, 120_000);
  afterAll(async () => {
    await sc.stop();
    rmSync(tmp, { recursive: true, force: true });
  });

  for (const [code, name] of listed) {
    for (const t of triggers[code] ?? []) {
      it.skipIf(t.masters !== undefined && !t.masters.includes(master))(`${code}: ${t.what}`, async () => {
        const err = await t.raise(sc);
        expect(err).toBeInstanceOf(errors.ChispaError);
        expect(err).toBeInstanceOf((errors as Record<string, unknown>)[name] as typeof errors.ChispaError);
        expect(err.code).toBe(code);
        expect(err.name).toBe(name);
        expect(err.operator).toBe(t.operator);
        if (t.operator) expect(err.message.startsWith(`${t.operator}: `)).toBe(true);
        // Never a bare object or an empty message.
        expect(err.message.length).toBeGreaterThan(t.operator ? t.operator.length + 2 : 0);
      });
    }
  }

  it('a non-Error throw is described in the message, and the original kept as the cause', async () => {
    const err = await rejection(
      sc.parallelize([1]).map(() => {
        throw { reason: 'custom' };
      }).collect(),
    );
    expect(err.code).toBe('CHISPA_ERR_USER_FUNCTION');
    expect(err.message).toBe('map: threw or rejected with a value that is not an Error: {"reason":"custom"}');
  });

  it('a user Error keeps its name, message and code on the cause', async () => {
    const err = await rejection(
      sc.parallelize([1]).map(() => {
        throw Object.assign(new TypeError('bad input'), { code: 'E_MINE' });
      }).collect(),
    );
    expect(err.code).toBe('CHISPA_ERR_USER_FUNCTION');
    expect(err.cause).toMatchObject({ name: 'TypeError', message: 'bad input', code: 'E_MINE' });
  });

  it('the async advice names the operator to use', async () => {
    expect(thrown(() => sc.parallelize([1]).flatMap((async (x: number) => [x]) as any)).message).toContain('use flatMapAsync(fn, { concurrency })');
    expect(thrown(() => sc.parallelize([1]).filter(async (x) => x)).message).toContain('mapAsync');
  });

  it('an unawaited batch failure is logged as an ERROR naming the operator (captured, not printed)', async () => {
    const log = captureLog();
    try {
      const clock = new ManualClock(0);
      const ssc = new StreamingContext(sc, 1, { clock });
      ssc.queueStream([[1]]).map((): number => {
        throw new Error('nobody awaits');
      }).foreachRDD(async (rdd) => void (await rdd.count()));
      let done = 0;
      ssc.addStreamingListener({ onBatchCompleted: () => void done++ });
      ssc.start();
      clock.advance(1000);
      await waitFor(() => done === 1, 'the batch');
      await ssc.stop(false);
    } finally {
      log.restore();
    }
    expect(log.messages('ERROR')).toEqual(['batch failed: map: nobody awaits']);
  });
});

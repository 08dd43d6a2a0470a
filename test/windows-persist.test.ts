import { describe, expect, it } from 'vitest';
import { readLatestCheckpoint } from '../src/checkpoint/checkpoint-store.js';
import { add, type DStream, type StreamingContext } from '../src/index.js';
import { latestCheckpoint, session, type Session, suiteContext } from './helpers/session.js';
import { MASTERS, sorted } from './helpers/streaming.js';

// persist()/cache() on every windowed operation gives what the operation gives without it, batch
// after batch, as in Spark's WindowOperationsSuite (whose filtered-inverse case persists). An
// incremental window's own blocks are in shared memory already, so persisting it keeps them as they
// are: the window still merges every slide, drops the panes that left, keeps keys back at 0 (no
// filter) and is checkpointed, so a restart takes up where it stopped.

const sub = (a: number, b: number) => a - b;

// WindowOperationsSuite's bigInput, and its expected outputs for a 2 s window sliding every 1 s.
const bigInput: [string, number][][] = [
  [['a', 1]],
  [['a', 1], ['b', 1]],
  [['a', 1], ['b', 1], ['c', 1]],
  [['a', 1], ['b', 1]],
  [['a', 1]],
  [],
  [['a', 1]],
  [['a', 1], ['b', 1]],
  [['a', 1], ['b', 1], ['c', 1]],
  [['a', 1], ['b', 1]],
  [['a', 1]],
  [],
];
const bigReduceOutput = [
  [['a', 1]],
  [['a', 2], ['b', 1]],
  [['a', 2], ['b', 2], ['c', 1]],
  [['a', 2], ['b', 2], ['c', 1]],
  [['a', 2], ['b', 1]],
  [['a', 1]],
  [['a', 1]],
  [['a', 2], ['b', 1]],
  [['a', 2], ['b', 2], ['c', 1]],
  [['a', 2], ['b', 2], ['c', 1]],
  [['a', 2], ['b', 1]],
  [['a', 1]],
];
// With an inverse and no filter no key leaves the window, even at 0 (Spark's bigReduceInvOutput).
const bigReduceInvOutput = [
  [['a', 1]],
  [['a', 2], ['b', 1]],
  [['a', 2], ['b', 2], ['c', 1]],
  [['a', 2], ['b', 2], ['c', 1]],
  [['a', 2], ['b', 1], ['c', 0]],
  [['a', 1], ['b', 0], ['c', 0]],
  [['a', 1], ['b', 0], ['c', 0]],
  [['a', 2], ['b', 1], ['c', 0]],
  [['a', 2], ['b', 2], ['c', 1]],
  [['a', 2], ['b', 2], ['c', 1]],
  [['a', 2], ['b', 1], ['c', 0]],
  [['a', 1], ['b', 0], ['c', 0]],
];
const records = (t: number) => [...bigInput[t - 1], ...(bigInput[t - 2] ?? [])];
const windowSizes = bigInput.map((_, i) => [records(i + 1).length]);

type Pairs = DStream<[string, number]>;
const OPERATIONS: { name: string; op: (s: Pairs) => DStream<any>; expected: unknown[][] }[] = [
  { name: 'window', op: (s) => s.window(2, 1).map(([k]) => k), expected: bigInput.map((_, i) => records(i + 1).map(([k]) => k)) },
  { name: 'countByWindow', op: (s) => s.countByWindow(2, 1), expected: windowSizes },
  { name: 'reduceByWindow without an inverse', op: (s) => s.map(([, n]) => n).reduceByWindow(add, null, 2, 1), expected: windowSizes },
  { name: 'reduceByWindow with an inverse', op: (s) => s.map(([, n]) => n).reduceByWindow(add, sub, 2, 1), expected: windowSizes },
  { name: 'reduceByKeyAndWindow without an inverse', op: (s) => s.reduceByKeyAndWindow(add, null, 2, 1), expected: bigReduceOutput },
  { name: 'reduceByKeyAndWindow with an inverse', op: (s) => s.reduceByKeyAndWindow(add, sub, 2, 1), expected: bigReduceInvOutput },
  {
    name: 'reduceByKeyAndWindow with an inverse and a filter',
    op: (s) => s.reduceByKeyAndWindow(add, sub, 2, 1, undefined, ([, n]) => n !== 0),
    expected: bigReduceOutput,
  },
  { name: 'countByValueAndWindow', op: (s) => s.map(([k]) => k).countByValueAndWindow(2, 1), expected: bigReduceOutput },
  {
    name: 'groupByKeyAndWindow',
    op: (s) => s.groupByKeyAndWindow(2, 1).mapValues((vs) => vs.length),
    expected: bigReduceOutput,
  },
];

describe.each(MASTERS)('persisted windows under %s', (master) => {
  const ctx = suiteContext(master, 'chispa-window-persist-');

  /** Runs `op` over bigInput for 12 batches; a second output reads each batch's RDD again. */
  async function run(op: (s: Pairs) => DStream<any>, keep: (s: DStream<any>) => DStream<any>) {
    const again: unknown[][] = [];
    const s: Session<unknown> = session(ctx.sc, ctx.freshDir(), 1, 0, (ssc: StreamingContext) => {
      const stream = keep(op(ssc.queueStream(bigInput)));
      stream.foreachRDD(async (rdd) => void again.push(await rdd.collect()));
      return stream;
    });
    try {
      for (let i = 0; i < bigInput.length; i++) await s.step();
    } finally {
      await s.stop();
    }
    return { ...s, again };
  }

  for (const { name, op, expected } of OPERATIONS) {
    it(`${name}: persist() and cache() give the same windows as without, batch after batch`, async () => {
      const plain = await run(op, (s) => s);
      expect(plain.failures).toEqual([]);
      expect(plain.outputs.map(sorted)).toEqual(expected.map(sorted));
      for (const keep of [(s: DStream<any>) => s.persist(), (s: DStream<any>) => s.cache()]) {
        const kept = await run(op, keep);
        expect(kept.failures).toEqual([]);
        expect(kept.outputs.map(sorted)).toEqual(plain.outputs.map(sorted));
        expect(kept.again.map(sorted)).toEqual(plain.outputs.map(sorted));
      }
    });
  }

  it('the same holds for keyed state: a persisted updateStateByKey stream still commits every batch', async () => {
    const plain = await run((s) => s.updateStateByKey((vs: number[], last: number | null) => vs.length + (last ?? 0)), (s) => s);
    const kept = await run((s) => s.updateStateByKey((vs: number[], last: number | null) => vs.length + (last ?? 0)), (s) => s.persist());
    expect(kept.failures).toEqual([]);
    expect(kept.outputs.map(sorted)).toEqual(plain.outputs.map(sorted));
    expect(sorted(kept.outputs.at(-1)!)).toEqual([['a', 10], ['b', 6], ['c', 2]]);
  });

  it('a persisted incremental window is checkpointed, and after a restart keeps its keys at 0 and drops what leaves', async () => {
    const cp = ctx.freshDir();
    const build = (input: [string, number][][]) => (ssc: StreamingContext) =>
      ssc.queueStream(input).reduceByKeyAndWindow(add, sub, 2, 1).persist().checkpoint(1);
    const first = session(ctx.sc, cp, 1, 0, build(bigInput));
    for (let i = 0; i < 6; i++) await first.step();
    await first.stop();
    // The window of the 6th slide, with its keys at 0, is in the checkpoint.
    expect(latestCheckpoint(cp)).toBe(6000);
    const saved = readLatestCheckpoint(cp)!.operators[0];
    expect(saved.kind).toBe('reduceByKeyAndWindow');
    expect(saved.windowTime).toBe(6000);
    const second = session(ctx.sc, cp, 1, 6000, build(bigInput.slice(6)));
    try {
      for (let i = 0; i < 6; i++) await second.step();
    } finally {
      await second.stop();
    }
    expect([...first.failures, ...second.failures]).toEqual([]);
    expect([...first.outputs, ...second.outputs].map(sorted)).toEqual(bigReduceInvOutput.map(sorted));
  });
});

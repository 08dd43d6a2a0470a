import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock, SparkContext, StateSpec, StreamingContext, type DStream, type State } from '../src/index.js';
import { rejection, thrown } from './helpers/errors.js';
import { captureLog } from './helpers/log.js';
import { MASTERS, runBatches, sorted, waitFor } from './helpers/streaming.js';

// mapWithState with Spark's semantics: called per record of keys with data and once per timed-out
// key; State's rules and messages; stateSnapshots; initial state; the missing checkpoint.

const runningSum = (word: string, one: number | null, state: State<number>) => {
  if (state.isTimingOut()) return [word, 'timed out', state.get()];
  const sum = (one ?? 0) + (state.getOption() ?? 0);
  state.update(sum);
  return [word, sum];
};

describe.each(MASTERS)('mapWithState under %s', (master) => {
  let sc: SparkContext;
  let dir: string;
  beforeAll(() => {
    sc = new SparkContext({ master });
    dir = mkdtempSync(join(tmpdir(), 'chispa-mws-'));
  });
  afterAll(async () => {
    await sc.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  function words(ssc: StreamingContext, batches: string[][]): DStream<[string, number]> {
    ssc.checkpoint(dir);
    return ssc.queueStream(batches).flatMap((l) => l.split(' ')).map((w) => [w, 1]);
  }

  it('calls the function once per record, in order, each call seeing the previous update', async () => {
    const { outputs } = await runBatches(sc, 3, (ssc) => words(ssc, [['a b a'], [], ['b']]).mapWithState(StateSpec.function(runningSum)));
    expect(outputs.map(sorted)).toEqual([sorted([['a', 1], ['a', 2], ['b', 1]]), [], [['b', 2]]]);
  });

  it('stateSnapshots gives the whole state after each batch, keys without data included', async () => {
    const { outputs } = await runBatches(sc, 3, (ssc) => words(ssc, [['a b a'], [], ['b']]).mapWithState(StateSpec.function(runningSum)).stateSnapshots());
    expect(outputs.map(sorted)).toEqual([
      [['a', 2], ['b', 1]],
      [['a', 2], ['b', 1]],
      [['a', 2], ['b', 2]],
    ]);
  });

  it('times out keys idle longer than the timeout: one call with isTimingOut(), then the state is gone', async () => {
    let snapshots: DStream<[string, number]> | undefined;
    const snaps: [string, number][][] = [];
    const { outputs } = await runBatches(sc, 5, (ssc) => {
      const mapped = words(ssc, [['a b'], ['b'], [], ['b'], []]).mapWithState(StateSpec.function(runningSum).timeout(2));
      snapshots = mapped.stateSnapshots();
      snapshots.foreachRDD(async (rdd) => void snaps.push(sorted(await rdd.collect())));
      return mapped;
    });
    // a: last data at t=1 s; idle more than 2 s first at t=4 s. b: data at 1, 2 and 4 s.
    expect(outputs.map(sorted)).toEqual([[['a', 1], ['b', 1]], [['b', 2]], [], sorted([['a', 'timed out', 1], ['b', 3]]), []]);
    expect(snaps).toEqual([[['a', 1], ['b', 1]], [['a', 1], ['b', 2]], [['a', 1], ['b', 2]], [['b', 3]], [['b', 3]]]);
  });

  it('starts from initialState and partitions state as numPartitions says', async () => {
    const { outputs } = await runBatches(sc, 2, (ssc) =>
      words(ssc, [['a'], ['z']]).mapWithState(StateSpec.function(runningSum).initialState([['a', 10], ['z', 1]]).numPartitions(3)).stateSnapshots().glom(),
    );
    expect(outputs.map((parts) => parts.length)).toEqual([3, 3]);
    expect(outputs.map((parts) => sorted(parts.flat()))).toEqual([
      [['a', 11], ['z', 1]],
      [['a', 11], ['z', 2]],
    ]);
  });

  it('remove() drops the state; the key starts afresh with its next record', async () => {
    const spec = StateSpec.function((w: string, v: number | null, state: State<number>) => {
      const n = (state.getOption() ?? 0) + (v ?? 0);
      if (n >= 2) state.remove();
      else state.update(n);
      return [w, n];
    });
    const { outputs } = await runBatches(sc, 2, (ssc) => words(ssc, [['a a a'], ['a']]).mapWithState(spec));
    expect(outputs).toEqual([[['a', 1], ['a', 2], ['a', 1]], [['a', 2]]]);
  });

  it("misuse fails the batch with Spark's messages", async () => {
    const cases: [(w: string, v: number | null, s: State<number>) => unknown, string][] = [
      [(_w, _v, s) => s.get(), 'State is not set'],
      [(_w, _v, s) => { s.update(1); s.remove(); s.update(2); }, 'Cannot update the state after it has been removed'],
      [(_w, _v, s) => { s.update(1); s.remove(); s.remove(); }, 'Cannot remove the state that has already been removed'],
    ];
    for (const [fn, message] of cases) {
      const clock = new ManualClock(0);
      const ssc = new StreamingContext(sc, 1, { clock });
      const failures: Error[][] = [];
      words(ssc, [['a']]).mapWithState(StateSpec.function(fn)).foreachRDD(async (rdd) => void (await rdd.count()));
      ssc.addStreamingListener({ onBatchCompleted: (i) => void failures.push([...i.failures]) });
      const err = rejection(ssc.awaitTermination());
      // The state commit fails, and so does the output that reads the state, with the same error:
      // the batch reports it once, to awaitTermination, so nothing is logged.
      const log = captureLog();
      ssc.start();
      clock.advance(1000);
      await waitFor(() => failures.length === 1, 'the batch');
      await ssc.stop(false);
      log.restore();
      expect(log.messages()).toEqual([]);
      const e = await err;
      expect(e.code).toBe('CHISPA_ERR_ILLEGAL_STATE');
      expect(e.operator).toBe('mapWithState');
      expect(e.message).toContain(message);
    }
  });

  it('needs a checkpoint directory', () => {
    const ssc = new StreamingContext(sc, 1, { clock: new ManualClock(0) });
    ssc.queueStream<[string, number]>([]).mapWithState(StateSpec.function(runningSum)).pprint();
    expect(thrown(() => ssc.start()).message).toBe('The checkpoint directory has not been set. Please set it by StreamingContext.checkpoint().');
  });
});

it('StateSpec rejects a bad timeout or partition count', () => {
  expect(thrown(() => StateSpec.function(runningSum).timeout(0)).code).toBe('CHISPA_ERR_ILLEGAL_ARGUMENT');
  expect(thrown(() => StateSpec.function(runningSum).numPartitions(0)).code).toBe('CHISPA_ERR_ILLEGAL_ARGUMENT');
});

import { mkdtempSync, readdirSync, rmSync, truncateSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ManualClock, SparkContext, StateSpec, StreamingContext, type DStream, type State } from '../src/index.js';
import { thrown } from './helpers/errors.js';
import { withCapturedLog } from './helpers/log.js';
import { MASTERS, sorted, waitFor } from './helpers/streaming.js';

// Checkpoint and recovery through StreamingContext.getOrCreate: state survives a restart by stable
// operator ids; stateless code changes are fine; a renamed stateful operator is a clear error.

const sum = (vs: number[], s: number | null) => vs.reduce((a, b) => a + b, 0) + (s ?? 0);

describe.each(MASTERS)('recovery under %s', (master) => {
  let sc: SparkContext;
  let dir: string;
  beforeAll(() => {
    sc = new SparkContext({ master });
  });
  afterAll(() => sc.stop());
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'chispa-recovery-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  /**
   * Runs `batches` batches of a program built by `build` through getOrCreate, starting the clock at
   * `startMs`, and returns each batch's collected output and the batch times.
   */
  async function run<T>(build: (ssc: StreamingContext) => DStream<T>, batches: number, startMs: number, opts = {}) {
    const clock = new ManualClock(startMs);
    const outputs: { time: number; rows: T[] }[] = [];
    const ssc = StreamingContext.getOrCreate(
      dir,
      () => {
        const ssc = new StreamingContext(sc, 1, { clock });
        ssc.checkpoint(dir);
        build(ssc).foreachRDD(async (rdd, time) => void outputs.push({ time, rows: sorted(await rdd.collect()) }));
        return ssc;
      },
      opts,
    );
    let submitted = 0;
    let done = 0;
    ssc.addStreamingListener({ onBatchSubmitted: () => void submitted++, onBatchCompleted: () => void done++ });
    ssc.start(); // submits the batches that fell due while down, if any
    await waitFor(() => done === submitted, 'catch-up batches');
    for (let i = 0; i < batches; i++) {
      clock.advance(1000);
      await waitFor(() => done === submitted, `batch ${i}`);
    }
    await ssc.stop(false);
    return outputs;
  }

  const words = (ssc: StreamingContext, batches: string[][]) =>
    ssc.queueStream(batches).flatMap((l) => l.split(' ')).map((w) => [w, 1]);

  it('restores updateStateByKey state from the last checkpoint and generates the batches due while down', async () => {
    await run((ssc) => words(ssc, [['a b'], ['a']]).updateStateByKey(sum).checkpoint(1), 2, 0);
    expect(readdirSync(dir).filter((n) => n.startsWith('checkpoint-'))).toContain('checkpoint-2000');
    // Restart at t = 4.5 s: batches 3 s and 4 s were due while down and run at start.
    const outputs = await run((ssc) => words(ssc, [['a c']]).updateStateByKey(sum).checkpoint(1), 1, 4500);
    expect(outputs.map((o) => o.time)).toEqual([3000, 4000, 5000]);
    expect(outputs[0].rows).toEqual([['a', 3], ['b', 1], ['c', 1]]);
    expect(outputs[2].rows).toEqual([['a', 3], ['b', 1], ['c', 1]]);
  });

  it('restores mapWithState state, timestamps included', async () => {
    const spec = () => StateSpec.function((w: string, v: number | null, s: State<number>) => {
      s.update((s.getOption() ?? 0) + (v ?? 0));
      return [w, s.get()];
    });
    await run((ssc) => words(ssc, [['x x']]).mapWithState(spec()).checkpoint(1), 1, 0);
    const outputs = await run((ssc) => words(ssc, [['x']]).mapWithState(spec()).checkpoint(1), 1, 1000);
    expect(outputs[0].rows).toEqual([['x', 3]]);
  });

  it('keeps the checkpoint usable when a stateless filter is added', async () => {
    await run((ssc) => words(ssc, [['a a b']]).updateStateByKey(sum).checkpoint(1), 1, 0);
    const outputs = await run((ssc) => words(ssc, [['a b']]).filter((p) => p[0] !== 'b').updateStateByKey(sum).checkpoint(1), 1, 1000);
    expect(outputs[0].rows).toEqual([['a', 3], ['b', 1]]);
  });

  it('reports a renamed stateful operator by name, and drops its state when asked', async () => {
    await run((ssc) => words(ssc, [['a']]).updateStateByKey(sum).name('counts').checkpoint(1), 1, 0);
    const err = thrown(() =>
      StreamingContext.getOrCreate(dir, () => {
        const ssc = new StreamingContext(sc, 1, { clock: new ManualClock(1000) });
        words(ssc, [['a']]).updateStateByKey(sum).name('totals').pprint();
        return ssc;
      }),
    );
    expect(err.code).toBe('CHISPA_ERR_ILLEGAL_STATE');
    expect(err.message).toContain("operator 'counts'");
    expect(err.message).toContain("'totals'");
    expect(err.message).toContain("dropState: ['counts']");
    const { result: outputs, log } = await withCapturedLog(() =>
      run((ssc) => words(ssc, [['a']]).updateStateByKey(sum).name('totals').checkpoint(1), 1, 1000, { dropState: ['counts'] }),
    );
    expect(log.messages('WARN')).toEqual([expect.stringMatching(/^dropping checkpointed state of 'counts' \(updateStateByKey\) from .*checkpoint-1000, as asked$/)]);
    expect(outputs[0].rows).toEqual([['a', 1]]);
  });

  it('falls back to the previous checkpoint when the newest is damaged', async () => {
    await run((ssc) => words(ssc, [['a'], ['a'], ['a']]).updateStateByKey(sum).checkpoint(1), 3, 0);
    truncateSync(join(dir, 'checkpoint-3000', 'op-0-part-0.chk'), 12);
    const { result: outputs, log } = await withCapturedLog(() => run((ssc) => words(ssc, [['a']]).updateStateByKey(sum).checkpoint(1), 0, 3000));
    expect(log.messages('WARN')).toEqual([expect.stringContaining('checkpoint-3000 is damaged')]);
    // Restored at 2 s (a = 2); batch 3 s is generated again at start, with the new program's data.
    expect(outputs.map((o) => [o.time, o.rows])).toEqual([[3000, [['a', 3]]]]);
  });
});

describe('getActive and getActiveOrCreate', () => {
  it('return the running context, and create one only when none is active', async () => {
    const sc = new SparkContext({ master: 'local' });
    const make = () => {
      const ssc = new StreamingContext(sc, 1, { clock: new ManualClock(0) });
      ssc.queueStream([[1]]).pprint();
      return ssc;
    };
    expect(StreamingContext.getActive()).toBeNull();
    const first = StreamingContext.getActiveOrCreate(make);
    expect(StreamingContext.getActive()).toBeNull(); // created, not started
    first.start();
    expect(StreamingContext.getActive()).toBe(first);
    expect(StreamingContext.getActiveOrCreate(make)).toBe(first);
    await first.stop(false);
    expect(StreamingContext.getActive()).toBeNull();
    const second = StreamingContext.getActiveOrCreate(make);
    expect(second).not.toBe(first);
    await second.stop();
  });
});


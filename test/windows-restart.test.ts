import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as flatbuffers from 'flatbuffers';
import { describe, expect, it } from 'vitest';
import { readCheckpoint, readLatestCheckpoint, writeCheckpoint } from '../src/checkpoint/checkpoint-store.js';
import { frame } from '../src/checkpoint/frame.js';
import { Manifest, OperatorState } from '../src/layouts/generated/checkpoint_generated.js';
import { thrown } from './helpers/errors.js';
import type { DStream, StreamingContext } from '../src/index.js';
import { latestCheckpoint, session, suiteContext } from './helpers/session.js';
import { MASTERS } from './helpers/streaming.js';

// Windows without an inverse function across a restart, as Spark's: their parent's remembered
// batches go into the checkpoint (Spark checkpoints the graph with the RDDs its windows still
// need), so a recovered program's windows hold the batches from before the restart.

const range = (n: number) => Array.from({ length: n }, (_, i) => i);
const INPUT = range(10).map((i) => range(i + 1));

/**
 * window(1.5, 0.5) over 0.5 s batches whose partition counts alternate (1, 2, 1, …): each batch
 * goes into the checkpoint with its own. The interval is set on the count, downstream of the window.
 */
const program = (input: number[][]) => (ssc: StreamingContext): DStream<number> =>
  ssc
    .queueStream(input)
    .transform((rdd, time) => rdd.repartition(((time / 500) % 2) + 1))
    .window(1.5, 0.5)
    .count()
    .checkpoint(0.5);

describe.each(MASTERS)('windows without an inverse across a restart under %s', (master) => {
  const ctx = suiteContext(master, 'chispa-window-restart-');

  async function run(cp: string, startMs: number, steps: number, build: (ssc: StreamingContext) => DStream<number>) {
    const s = session(ctx.sc, cp, 0.5, startMs, build);
    try {
      for (let i = 0; i < steps; i++) await s.step();
    } finally {
      await s.stop();
    }
    expect(s.failures).toEqual([]);
    return s;
  }

  it('a program with only such windows checkpoints its zero time and the batches the windows still need, each with its partition count', async () => {
    const cp = ctx.freshDir();
    await run(cp, 500, 6, program(INPUT));
    const saved = readLatestCheckpoint(cp)!;
    expect(saved.batchTime).toBe(3500);
    expect(saved.zeroTime).toBe(500);
    expect(saved.operators.map((o) => [o.id, o.kind])).toEqual([['window#0', 'window']]);
    // Only the batches in (3500 − 1.5 s, 3500]: the checkpoint does not grow with the stream.
    const batches = saved.operators[0].batches!;
    expect(batches.map((b) => [b.time, b.blocks.length])).toEqual([
      [2500, 2],
      [3000, 1],
      [3500, 2],
    ]);
    expect(readdirSync(saved.path).filter((f) => f.includes('-batch-')).sort()).toEqual(
      ['op-0-batch-0-part-0.chk', 'op-0-batch-0-part-1.chk', 'op-0-batch-1-part-0.chk', 'op-0-batch-2-part-0.chk', 'op-0-batch-2-part-1.chk'],
    );
  });

  it('restarted from the checkpoint, its windows hold the batches from before the restart: the outputs of a run that never stopped', async () => {
    const whole = await run(ctx.freshDir(), 500, 10, program(INPUT));
    const cp = ctx.freshDir();
    const first = await run(cp, 500, 6, program(INPUT));
    const stoppedAt = latestCheckpoint(cp);
    expect(stoppedAt).toBe(3500);
    // The restarted program's queue holds the batches the first run did not take.
    const second = await run(cp, stoppedAt, 4, program(INPUT.slice(6)));
    expect(second.times[0]).toBe(4000);
    expect([...first.times, ...second.times]).toEqual(whole.times);
    expect([...first.outputs, ...second.outputs]).toEqual(whole.outputs);
    // Batch k has k records: the window at 4000 holds the batches at 3000 and 3500 (5 + 6 records,
    // from the checkpoint) and its own 7.
    expect(whole.outputs.slice(6)).toEqual([[18], [21], [24], [27]]);
  });

  it('a checkpoint written before windows kept their batches still recovers: the windows start from the restart', async () => {
    const cp = ctx.freshDir();
    writeCheckpoint(cp, { batchTime: 3500, batchDurationMs: 500, zeroTime: 500, operators: [], sources: [] });
    expect(readLatestCheckpoint(cp)!.operators).toEqual([]);
    const s = await run(cp, 3500, 4, program(INPUT.slice(6)));
    expect(s.times).toEqual([4000, 4500, 5000, 5500]);
    // Batches of 7, 8, 9 and 10 records, from 4000 on: nothing from before the restart.
    expect(s.outputs).toEqual([[7], [15], [24], [27]]);
    expect(readdirSync(join(cp, 'checkpoint-5500')).some((f) => f.includes('-batch-'))).toBe(true);
  });
});

describe("a window's batches in a damaged manifest", () => {
  const ctx = suiteContext('local', 'chispa-window-manifest-');

  /** A ~300-byte manifest, checksummed as a sound one is, whose window declares these batch vectors. */
  function manifestWith(times: bigint[], partitions: number[]): string {
    const dir = ctx.freshDir();
    mkdirSync(join(dir, 'checkpoint-1000'));
    const b = new flatbuffers.Builder(256);
    const op = OperatorState.createOperatorState(
      b, b.createString('window#0'), b.createString('window'), 0, OperatorState.createPaneTimesVector(b, []), -1n, 1500n, 500n,
      OperatorState.createBatchTimesVector(b, times), OperatorState.createBatchPartitionsVector(b, partitions),
    );
    b.finish(Manifest.createManifest(b, 1, 1000n, 500n, Manifest.createOperatorsVector(b, [op]), Manifest.createSourcesVector(b, []), Manifest.createFilesVector(b, []), 500n));
    writeFileSync(join(dir, 'checkpoint-1000', 'manifest.chk'), frame(b.asUint8Array()));
    return join(dir, 'checkpoint-1000');
  }

  it('is a coded error naming the count, not an allocation: 2^31 − 1 partitions, or times and counts that disagree', () => {
    const huge = thrown(() => readCheckpoint(manifestWith([1000n], [2 ** 31 - 1])));
    expect(huge.code).toBe('CHISPA_ERR_CORRUPT_DATA');
    expect(huge.message).toContain('2147483647 batch partitions but the manifest lists 0 files');
    const mismatched = thrown(() => readCheckpoint(manifestWith([1000n, 1500n], [1])));
    expect(mismatched.code).toBe('CHISPA_ERR_CORRUPT_DATA');
    expect(mismatched.message).toContain('2 batch times but 1 partition counts');
  });
});

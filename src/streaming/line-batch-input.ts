import type { LineBatch } from '../memory/line-batch.js';
import { SegmentPool } from '../memory/segment-pool.js';
import type { LineRange, SourceDesc } from '../plan/task.js';
import { RDD } from '../rdd/rdd.js';
import { InputDStream } from './input-dstream.js';

/**
 * What the line-based inputs (`socketTextStream`, `textFileStream`) share: a pool of shared-memory
 * line segments, the batches cut from it kept until their batch is released, and the cut of a
 * batch into `defaultParallelism` partitions of about equal bytes.
 */
export abstract class LineBatchInputDStream extends InputDStream<string> {
  /** The segments this input's batches are built in. */
  protected readonly pool = new SegmentPool();
  readonly #batches = new Map<number, LineBatch>();

  override release(time: number): void {
    for (const [t, batch] of this.#batches) {
      if (t <= time) {
        batch.release();
        this.#batches.delete(t);
      }
    }
    super.release(time);
  }

  /**
   * Makes `batch` the data of batch `time`: kept until the batch is released, its lines counted
   * for listeners, and read by an RDD of at most `defaultParallelism` partitions.
   */
  protected batchRDD(time: number, batch: LineBatch): RDD<string> {
    this.#batches.set(time, batch);
    this.noteRecords(time, batch.lineCount);
    const partitions = splitLines(batch, this.ssc.sparkContext.defaultParallelism).map(
      (ranges): SourceDesc => ({ kind: 'lines', ranges }),
    );
    return new RDD<string>(this.ssc.sparkContext, { kind: 'source', partitions });
  }
}

/**
 * Cuts a batch into at most `parts` partitions of about equal bytes, at line boundaries; an
 * empty batch has no partitions, as an empty block RDD in Spark.
 */
export function splitLines(batch: LineBatch, parts: number): LineRange[][] {
  const total = batch.byteLength + batch.lineCount; // count each line's terminator so empty lines weigh something
  if (batch.lineCount === 0) return [];
  const target = total / parts;
  const out: LineRange[][] = [];
  let current: LineRange[] = [];
  let weight = 0;
  for (const seg of batch.segments) {
    const { offsets, lineCount } = seg;
    let from = 0;
    while (from < lineCount) {
      // The first line `to` at which this partition reaches its share: binary search on offsets.
      const need = target - weight;
      let lo = from + 1;
      let hi = lineCount;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if (offsets[mid] - offsets[from] + (mid - from) >= need) hi = mid;
        else lo = mid + 1;
      }
      const to = out.length === parts - 1 ? lineCount : lo;
      current.push({ sab: seg.sab, from, to });
      weight += offsets[to] - offsets[from] + (to - from);
      from = to;
      if (weight >= target && out.length < parts - 1) {
        out.push(current);
        current = [];
        weight = 0;
      }
    }
  }
  if (current.length > 0) out.push(current);
  return out;
}

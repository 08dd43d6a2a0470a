import type { LineBatch } from '../memory/line-batch.js';
import { SegmentPool } from '../memory/segment-pool.js';
import { lineBatchRDD } from '../rdd/line-rdd.js';
import type { RDD } from '../rdd/rdd.js';
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
    return lineBatchRDD(this.ssc.sparkContext, batch);
  }
}

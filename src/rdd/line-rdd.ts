import type { LineBatch } from '../memory/line-batch.js';
import type { LineRange } from '../plan/task.js';
import { RDD } from './rdd.js';
import type { SparkContext } from './spark-context.js';

/**
 * @internal The RDD of a batch of lines in shared memory (what `socketTextStream` and
 * `textFileStream` cut): at most `defaultParallelism` partitions of about equal bytes, each
 * reading its lines in place.
 */
export function lineBatchRDD(sc: SparkContext, batch: LineBatch): RDD<string> {
  const partitions = splitLines(batch, sc.defaultParallelism).map((ranges) => ({ kind: 'lines' as const, ranges }));
  return new RDD<string>(sc, { kind: 'source', partitions });
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

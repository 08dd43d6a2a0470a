/**
 * Spark's `OffsetRange`: the records [fromOffset, untilOffset) of one topic-partition that one
 * batch reads. `HasOffsetRanges.offsetRanges()` gives them; `CanCommitOffsets.commitAsync`
 * takes them.
 */
export interface OffsetRange {
  readonly topic: string;
  readonly partition: number;
  /** The first offset of the range (inclusive). */
  readonly fromOffset: number;
  /** The offset after the last (exclusive): where the next batch starts. */
  readonly untilOffset: number;
}

/** A topic-partition, as PySpark's `TopicAndPartition`. */
export interface TopicAndPartition {
  readonly topic: string;
  readonly partition: number;
}

/** `fromOffsets` as PySpark takes it (a map from TopicAndPartition), or as a list. */
export type FromOffsets =
  | ReadonlyMap<TopicAndPartition, number>
  | readonly { readonly topic: string; readonly partition: number; readonly offset: number }[];

/** The key a topic-partition is kept under in maps (`topic-partition`, as Kafka names it). */
export function tpKey(topic: string, partition: number): string {
  return `${topic}-${partition}`;
}

/** The number of records a range covers (an upper bound where offsets hold no record). */
export function rangeCount(r: OffsetRange): number {
  return r.untilOffset - r.fromOffset;
}

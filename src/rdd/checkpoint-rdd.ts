import type { LineageNode } from './lineage.js';
import { RDD } from './rdd.js';
import type { SparkContext } from './spark-context.js';

type PersistedNode = Extract<LineageNode, { kind: 'persisted' }>;

/**
 * @internal What a checkpoint keeps of `rdd`, as Spark's RDD checkpointing: its partitions
 * computed into shared-memory blocks of encoded records, one per partition. Returns the job that
 * computes them (once: the first job that needs `rdd`'s blocks, this or another, computes them).
 * An RDD whose computing runs operations is persisted in place, so the jobs that read it share
 * the blocks; one read from shared memory already (an input's batch, state) is copied once,
 * leaving `rdd` read as it is.
 */
export function checkpointBlocks(rdd: RDD<unknown>): () => Promise<SharedArrayBuffer[]> {
  const node = (rdd.isComputed || rdd.isCached ? rdd.persist().node : { kind: 'persisted', parent: rdd.node }) as PersistedNode;
  return async () => {
    await rdd.context.scheduler.plan(node);
    return node.blocks!;
  };
}

/** @internal An RDD reading blocks that {@link checkpointBlocks} computed (a checkpoint's), one partition per block. */
export function checkpointedRDD<T>(sc: SparkContext, blocks: readonly SharedArrayBuffer[]): RDD<T> {
  return new RDD<T>(sc, { kind: 'source', partitions: blocks.map((sab) => ({ kind: 'block', sab, section: 0 })) });
}

import { positiveInteger } from '../check-argument.js';
import { asRDD, type RDD } from '../rdd/rdd.js';
import type { SparkContext } from '../rdd/spark-context.js';
import type { StateStreamConfig, UpdateStateOptions } from './state-dstream.js';
import type { StateSpec } from './state-spec.js';

/** A stateful operator's partition count: `n` when given (a positive integer), else `fallback`. */
export function statePartitions(op: string, n: number | undefined, fallback: number): number {
  return n === undefined ? fallback : positiveInteger(n, `${op}: numPartitions`);
}

/** updateStateByKey's state stream: the update function prepared for the workers. */
export function updateStateConfig<K, S>(
  sc: SparkContext,
  updateFn: (newValues: any[], lastState: S | null) => S | null | undefined,
  opts: UpdateStateOptions<K, S>,
): StateStreamConfig<K, S> {
  const op = 'updateStateByKey';
  // The DAG scheduler recognises the seed's summing update and sums its values map-side.
  const fn = sc.prepareFunction(updateFn, op, opts.context);
  return {
    op,
    partitions: statePartitions(op, opts.numPartitions, sc.defaultParallelism),
    initial: opts.initialRDD && asRDD(sc, opts.initialRDD),
    update: (_time, loading) => ({ kind: 'update', fn: loading ? null : fn }),
  };
}

/** mapWithState's state stream: states stored as `[state, lastUpdatedMs]`. */
export function mapWithStateConfig<K, V, S, U>(sc: SparkContext, spec: StateSpec<K, V, S, U>): StateStreamConfig<K, [S, number]> {
  const op = 'mapWithState';
  const fn = sc.prepareFunction(spec.fn, op, spec.contextValues);
  const { timeoutMs } = spec;
  return {
    op,
    partitions: statePartitions(op, spec.partitions, sc.defaultParallelism),
    initial: spec.initial && (asRDD(sc, spec.initial) as RDD<[K, [S, number]]>),
    update: (time, loading) => ({ kind: 'map', fn: loading ? null : fn, time, timeoutMs }),
  };
}

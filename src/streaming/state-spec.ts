import { positiveInteger } from '../check-argument.js';
import type { State } from '../exec/state.js';
import { IllegalArgumentError } from '../errors.js';
import type { RDD } from '../rdd/rdd.js';

/** A mapWithState function: called once per record of a key, and once when its state times out (value null). */
export type MappingFunction<K, V, S, U> = (key: K, value: V | null, state: State<S>) => U;

/**
 * What `mapWithState` does, as Spark's StateSpec: the function, and optionally the initial state,
 * the number of state partitions and an idle timeout.
 *
 * @example
 * ```ts
 * const spec = StateSpec.function((word: string, one: number | null, state: State<number>) => {
 *   const sum = (one ?? 0) + (state.getOption() ?? 0);
 *   if (!state.isTimingOut()) state.update(sum);
 *   return [word, sum];
 * }).timeout(60);
 * const running = pairs.mapWithState(spec);
 * ```
 */
export class StateSpec<K, V, S, U> {
  /** @internal */ readonly fn: MappingFunction<K, V, S, U>;
  /** @internal */ initial: RDD<[K, S]> | readonly [K, S][] | undefined;
  /** @internal */ partitions: number | undefined;
  /** @internal */ timeoutMs: number | null = null;
  /** @internal */ contextValues: Record<string, unknown> | undefined;

  private constructor(fn: MappingFunction<K, V, S, U>) {
    this.fn = fn;
  }

  static function<K, V, S, U>(fn: MappingFunction<K, V, S, U>): StateSpec<K, V, S, U> {
    if (typeof fn !== 'function') throw new IllegalArgumentError('StateSpec.function: expected a function');
    return new StateSpec(fn);
  }

  /** State before the first batch. */
  initialState(initial: RDD<[K, S]> | readonly [K, S][]): this {
    this.initial = initial;
    return this;
  }

  numPartitions(n: number): this {
    this.partitions = positiveInteger(n, 'StateSpec.numPartitions');
    return this;
  }

  /** Removes a key's state after `seconds` without data, calling the function once with it timing out. */
  timeout(seconds: number): this {
    if (!(seconds > 0)) throw new IllegalArgumentError(`StateSpec.timeout: expected a positive number of seconds, got ${seconds}`);
    this.timeoutMs = Math.round(seconds * 1000);
    return this;
  }

  /** Values the function may use on worker threads (see `FnOptions.context`). */
  context(values: Record<string, unknown>): this {
    this.contextValues = values;
    return this;
  }
}

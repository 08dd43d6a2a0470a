import { IllegalArgumentError } from '../errors.js';
import type { FnOptions } from '../rdd/rdd.js';
import type { SparkContext } from '../rdd/spark-context.js';
import type { ReducedWindowConfig } from './reduced-window-dstream.js';

/** A window's length and slide, in ms. */
export interface WindowDurations {
  readonly windowMs: number;
  readonly slideMs: number;
}

/**
 * Window and slide in ms, checked as Spark checks them, when the operation is defined: positive
 * multiples of the parent stream's slide (`parentMs`). The slide defaults to the parent's.
 */
export function windowDurations(op: string, parentMs: number, windowDuration: number, slideDuration: number | undefined): WindowDurations {
  const check = (what: string, seconds: number) => {
    const ms = Math.round(seconds * 1000);
    if (!(ms > 0)) throw new IllegalArgumentError(`${op}: the ${what} duration must be a positive number of seconds, got ${seconds}`);
    if (ms % parentMs !== 0) {
      throw new IllegalArgumentError(
        `${op}: the ${what} duration (${ms / 1000} s) must be a multiple of the slide duration of the parent stream (${parentMs / 1000} s)`,
      );
    }
    return ms;
  };
  const windowMs = check('window', windowDuration);
  return { windowMs, slideMs: slideDuration === undefined ? parentMs : check('slide', slideDuration) };
}

/** reduceByKeyAndWindow with an inverse: its functions checked and prepared for the workers. */
export function incrementalWindow(
  sc: SparkContext,
  durations: WindowDurations,
  partitions: number,
  fns: { reduce: (a: any, b: any) => any; inverse: (a: any, b: any) => any; filter?: (pair: any) => unknown },
  opts: FnOptions,
): ReducedWindowConfig {
  const op = 'reduceByKeyAndWindow';
  const reduce = sc.prepareFunction(fns.reduce, op, opts.context, opts);
  return {
    op,
    ...durations,
    partitions,
    reduce,
    merge: {
      reduce,
      inverse: sc.prepareFunction(fns.inverse, op, opts.context, opts),
      filter: fns.filter ? sc.prepareFunction(fns.filter, op, opts.context, opts) : null,
    },
  };
}

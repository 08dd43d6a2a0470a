import { IllegalArgumentError } from './errors.js';

/**
 * `n` when it is a positive integer (a partition count, a number of slices); otherwise an
 * IllegalArgumentError that names `what` (`'reduceByKey: numPartitions'`) and the value given, and
 * `operator` when given (its message then starts with it).
 */
export function positiveInteger(n: number, what: string, operator?: string): number {
  if (!Number.isInteger(n) || n < 1) throw new IllegalArgumentError(`${what} must be a positive integer, got ${n}`, { operator });
  return n;
}

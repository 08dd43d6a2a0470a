/**
 * Addition as a function, like Python's `operator.add`: `reduceByKey(add)` sums numbers and
 * concatenates strings. Its source is self-contained, so it ships to worker threads as is.
 */
export function add<T extends number | string | bigint>(a: T, b: T): T {
  return (a as any) + (b as any);
}

import { IllegalArgumentError } from './errors.js';

// Functions as values, in one place: the public ones (`add`, `words`, `pairWith`) and those the
// engine hands to operators itself. Each ships to worker threads by its source.

/**
 * Addition as a function, like Python's `operator.add`: `reduceByKey(add)` sums numbers and
 * concatenates strings. Its source is self-contained, so it ships to worker threads as is.
 */
export function add<T extends number | string | bigint>(a: T, b: T): T {
  return (a as any) + (b as any);
}

/**
 * Ready-made functions for the seed's WordCount, for users who want the byte-level fast path by
 * name rather than by writing the lambdas the planner recognises. Each is built from source with
 * its argument written in as a literal, so it captures nothing: it ships to worker threads as is
 * and is recognised like the hand-written lambda.
 *
 * @example
 * ```ts
 * lines.flatMap(words(' ')).map(pairWith(1)).reduceByKey(add); // = flatMap((l) => l.split(' ')).map((w) => [w, 1])
 * ```
 */
export function words(separator = ' '): (line: string) => string[] {
  if (typeof separator !== 'string') throw new IllegalArgumentError('words: the separator must be a string');
  return new Function('line', `return line.split(${JSON.stringify(separator)});`) as (line: string) => string[];
}

/** `(x) => [x, value]`: pairs each record with a constant (a number or string literal). */
export function pairWith<V extends number | string>(value: V): <T>(x: T) => [T, V] {
  if (typeof value === 'number' ? !Number.isFinite(value) : typeof value !== 'string') {
    throw new IllegalArgumentError('pairWith: the value must be a finite number or a string');
  }
  return new Function('x', `return [x, ${JSON.stringify(value)}];`) as <T>(x: T) => [T, V];
}

/**
 * Functions the engine itself hands to operators (count, countByValue, reduce, the windowed
 * counts); not exported from the package. They live at module level so that each is shipped, and
 * compiled by the workers, once per process rather than once per batch; their sources capture
 * nothing, so they ship like any user function.
 */
export const pairWithOne = <T>(x: T): [T, number] => [x, 1];
export const underKeyZero = <T>(x: T): [number, T] => [0, x];
export const pairValue = <V>(p: [unknown, V]): V => p[1];
export const sum = (a: number, b: number): number => a + b;
export const subtract = (a: number, b: number): number => a - b;
export const one = (): number => 1;
export const positiveValue = (p: [unknown, number]): boolean => p[1] > 0;

export function partitionSize(records: Iterable<unknown>): number[] {
  let n = 0;
  for (const _ of records) n++;
  return [n];
}

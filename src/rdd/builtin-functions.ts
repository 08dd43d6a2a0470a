/**
 * Functions the engine itself hands to operators (count, countByValue, reduce, the windowed counts). They live at
 * module level so that each is shipped, and compiled by the workers, once per process rather than
 * once per batch; their sources capture nothing, so they ship like any user function.
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

/**
 * The order `sortBy` uses, close to Python's for the values PySpark programs sort by: numbers
 * numerically, strings by UTF-16 code unit (as JavaScript compares them), arrays (tuples) element by element. Values of different
 * kinds, which Python refuses to compare, are ordered by kind (null, boolean, number, bigint,
 * string, array, other) so that a sort never throws half-way through a batch.
 */
function rank(v: unknown): number {
  if (v === null || v === undefined) return 0;
  switch (typeof v) {
    case 'boolean':
      return 1;
    case 'number':
      return 2;
    case 'bigint':
      return 3;
    case 'string':
      return 4;
    default:
      return Array.isArray(v) ? 5 : 6;
  }
}

export function compareValues(a: unknown, b: unknown): number {
  const ra = rank(a);
  const rb = rank(b);
  if (ra !== rb) return ra - rb;
  switch (ra) {
    case 1:
    case 2:
    case 3:
      return a === b ? 0 : (a as number) < (b as number) ? -1 : 1;
    case 4:
      return a === b ? 0 : (a as string) < (b as string) ? -1 : 1;
    case 5: {
      const x = a as unknown[];
      const y = b as unknown[];
      const n = Math.min(x.length, y.length);
      for (let i = 0; i < n; i++) {
        const c = compareValues(x[i], y[i]);
        if (c !== 0) return c;
      }
      return x.length - y.length;
    }
    default:
      return 0;
  }
}

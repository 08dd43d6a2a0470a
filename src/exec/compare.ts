/**
 * The order `sortBy` uses, close to Python's for the values PySpark programs sort by: numbers
 * numerically, strings by code point, arrays (tuples) element by element. Values of different
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
      return compareStrings(a as string, b as string);
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

/**
 * Code point order, as Python compares strings. JavaScript's `<` compares UTF-16 units, which puts
 * U+10000 and above (surrogate pairs, 0xD800–0xDFFF) below U+E000–U+FFFF; shifting units as ICU's
 * code point order fix-up does restores the order at the first difference.
 */
function compareStrings(a: string, b: string): number {
  if (a === b) return 0;
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    let x = a.charCodeAt(i);
    let y = b.charCodeAt(i);
    if (x === y) continue;
    if (x >= 0xd800 && y >= 0xd800) {
      x += x >= 0xe000 ? -0x800 : 0x2000;
      y += y >= 0xe000 ? -0x800 : 0x2000;
    }
    return x - y;
  }
  return a.length - b.length;
}

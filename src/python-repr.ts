/**
 * Python's `repr` and `str` of the values a PySpark program would hold, for everything chispa
 * prints or writes as PySpark does (`pprint`, `saveAsTextFile`). A pure module with no imports, so
 * every layer, the workers included, may use it.
 */

/**
 * Python's `repr` of the value a PySpark program would hold: a pair (2-element array) is a tuple
 * `('word', 3)`, other arrays are lists, `null`/`undefined` are `None`, booleans `True`/`False`,
 * plain objects dicts, Maps dicts, Sets sets.
 */
export function pythonRepr(v: unknown): string {
  switch (typeof v) {
    case 'string':
      return pythonString(v);
    case 'number':
      if (Number.isNaN(v)) return 'nan';
      if (!Number.isFinite(v)) return v > 0 ? 'inf' : '-inf';
      return String(v);
    case 'bigint':
      return v.toString();
    case 'boolean':
      return v ? 'True' : 'False';
    case 'undefined':
      return 'None';
    case 'object': {
      if (v === null) return 'None';
      if (Array.isArray(v)) {
        const items = v.map(pythonRepr);
        return v.length === 2 ? `(${items.join(', ')})` : `[${items.join(', ')}]`;
      }
      if (v instanceof Map) return `{${[...v].map(([k, x]) => `${pythonRepr(k)}: ${pythonRepr(x)}`).join(', ')}}`;
      if (v instanceof Set) return v.size === 0 ? 'set()' : `{${[...v].map(pythonRepr).join(', ')}}`;
      return `{${Object.entries(v).map(([k, x]) => `${pythonString(k)}: ${pythonRepr(x)}`).join(', ')}}`;
    }
    default:
      return String(v);
  }
}

/** What Python's `str.isprintable` rejects: controls, formats, separators other than space, unassigned. */
const NON_PRINTABLE = /[\p{Cc}\p{Cf}\p{Co}\p{Cn}\p{Cs}\p{Zl}\p{Zp}\p{Zs}]/u;

function escape(c: number): string {
  if (c <= 0xff) return '\\x' + c.toString(16).padStart(2, '0');
  if (c <= 0xffff) return '\\u' + c.toString(16).padStart(4, '0');
  return '\\U' + c.toString(16).padStart(8, '0');
}

/** Python's string repr: single quotes unless the text has `'` and no `"`. */
function pythonString(s: string): string {
  const quote = s.includes("'") && !s.includes('"') ? '"' : "'";
  let out = quote;
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    if (ch === '\\') out += '\\\\';
    else if (ch === quote) out += '\\' + quote;
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (ch !== ' ' && NON_PRINTABLE.test(ch)) out += escape(c);
    else out += ch;
  }
  return out + quote;
}

/** Python's `str()` of a record, as PySpark's `print` and `saveAsTextFile` show it: a string as is, anything else as its repr. */
export function pythonStr(record: unknown): string {
  return typeof record === 'string' ? record : pythonRepr(record);
}

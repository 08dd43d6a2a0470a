/**
 * `pprint` output, byte for byte as PySpark prints it, so our users' notebooks and ours look
 * alike: a rule of 43 dashes, the batch time, the rule again, up to `num` records as Python's
 * `repr` shows them, `...` when there were more, and a blank line.
 */
const RULE = '-'.repeat(43);

const pad = (n: number, w = 2) => String(n).padStart(w, '0');

/** `YYYY-MM-DD HH:MM:SS` in local time, with `.fff` only when the time is not whole seconds. */
export function formatBatchTime(ms: number): string {
  const d = new Date(ms);
  const base = `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
  return ms % 1000 === 0 ? base : `${base}.${pad(d.getMilliseconds(), 3)}`;
}

/** The pprint block for one batch; `records` holds up to `num + 1` records. */
export function formatPprint(timeMs: number, records: readonly unknown[], num: number): string {
  const lines = [RULE, `Time: ${formatBatchTime(timeMs)}`, RULE];
  // PySpark prints each record with print(), Python's str(): a string record shows bare; anything
  // else shows as its repr, strings inside it quoted.
  for (const r of records.slice(0, num)) lines.push(typeof r === 'string' ? r : pythonRepr(r));
  if (records.length > num) lines.push('...');
  lines.push('', '');
  return lines.join('\n');
}

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

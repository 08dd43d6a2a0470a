/**
 * `pprint` output, byte for byte as PySpark prints it, so our users' notebooks and ours look
 * alike: a rule of 43 dashes, the batch time, the rule again, up to `num` records as Python's
 * `repr` shows them, `...` when there were more, and a blank line.
 */
import { pythonStr } from '../python-repr.js';

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
  for (const r of records.slice(0, num)) lines.push(pythonStr(r));
  if (records.length > num) lines.push('...');
  lines.push('', '');
  return lines.join('\n');
}

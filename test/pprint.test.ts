import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { pythonRepr } from '../src/python-repr.js';
import { formatBatchTime, formatPprint } from '../src/streaming/pprint.js';

// pprint prints what PySpark's pprint prints:
//   print("-" * 43); print("Time: %s" % time); print("-" * 43)
//   for record in taken[:num]: print(record)
//   if len(taken) > num: print("...")
//   print("")

const run = promisify(execFile);
const root = fileURLToPath(new URL('..', import.meta.url));
const program = (name: string) => fileURLToPath(new URL(`./fixtures/programs/${name}`, import.meta.url));
const RULE = '-------------------------------------------';

/** What formatBatchTime must give in this process's time zone, from the Date getters. */
function localTime(ms: number): string {
  const d = new Date(ms);
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  const base = `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
  return ms % 1000 === 0 ? base : `${base}.${p(d.getMilliseconds(), 3)}`;
}

describe('formatBatchTime', () => {
  it('YYYY-MM-DD HH:MM:SS in local time, .fff only when the time is not whole seconds', () => {
    expect(RULE).toHaveLength(43);
    const t = new Date(2024, 0, 15, 9, 5, 7).getTime(); // local 2024-01-15 09:05:07
    expect(formatBatchTime(t)).toBe('2024-01-15 09:05:07');
    expect(formatBatchTime(t + 500)).toBe('2024-01-15 09:05:07.500');
    expect(formatBatchTime(t + 5)).toBe('2024-01-15 09:05:07.005');
    expect(formatBatchTime(t + 999)).toBe('2024-01-15 09:05:07.999');
    expect(formatBatchTime(new Date(1999, 11, 31, 23, 59, 59).getTime())).toBe('1999-12-31 23:59:59');
    for (const ms of [0, 1500, 1000, 1_705_314_600_000, 1_705_314_600_250, -1500]) expect(formatBatchTime(ms)).toBe(localTime(ms));
  });

  it('exact strings under TZ=UTC and TZ=Asia/Kolkata (a child process per zone)', async () => {
    const times = ['0', '1500', '1000', '1705314600000', '1705314600250', '1709251199999'];
    const inZone = async (tz: string) => {
      const { stdout } = await run(process.execPath, ['--import', 'tsx', program('pprint-time.ts'), ...times], {
        cwd: root,
        env: { ...process.env, TZ: tz },
      });
      return JSON.parse(stdout);
    };
    expect(await inZone('UTC')).toEqual([
      '1970-01-01 00:00:00',
      '1970-01-01 00:00:01.500',
      '1970-01-01 00:00:01',
      '2024-01-15 10:30:00',
      '2024-01-15 10:30:00.250',
      '2024-02-29 23:59:59.999',
    ]);
    expect(await inZone('Asia/Kolkata')).toEqual([
      '1970-01-01 05:30:00',
      '1970-01-01 05:30:01.500',
      '1970-01-01 05:30:01',
      '2024-01-15 16:00:00',
      '2024-01-15 16:00:00.250',
      '2024-03-01 05:29:59.999',
    ]);
  }, 60_000);
});

describe('pythonRepr', () => {
  it('pairs are tuples, other arrays lists, nested as Python shows them', () => {
    expect(pythonRepr(['word', 3])).toBe("('word', 3)");
    expect(pythonRepr([1, [2, 3], 'a'])).toBe("[1, (2, 3), 'a']");
    expect(pythonRepr([])).toBe('[]');
    expect(pythonRepr([7])).toBe('[7]');
    expect(pythonRepr(['k', [1, 2, 3]])).toBe("('k', [1, 2, 3])");
    expect(pythonRepr([['a', 1], ['b', [true, null]]])).toBe("(('a', 1), ('b', (True, None)))");
    expect(pythonRepr([[[]]])).toBe('[[[]]]');
  });

  it('None, True, False, numbers', () => {
    expect(pythonRepr(null)).toBe('None');
    expect(pythonRepr(undefined)).toBe('None');
    expect(pythonRepr(true)).toBe('True');
    expect(pythonRepr(false)).toBe('False');
    expect(pythonRepr(3)).toBe('3');
    expect(pythonRepr(-2)).toBe('-2');
    expect(pythonRepr(1.5)).toBe('1.5');
    expect(pythonRepr(0.1 + 0.2)).toBe('0.30000000000000004');
    expect(pythonRepr(Number.NaN)).toBe('nan');
    expect(pythonRepr(Number.POSITIVE_INFINITY)).toBe('inf');
    expect(pythonRepr(Number.NEGATIVE_INFINITY)).toBe('-inf');
    expect(pythonRepr(12345678901234567890n)).toBe('12345678901234567890');
  });

  it("strings: single quotes, double quotes when the text has ' and no \", escapes as Python", () => {
    expect(pythonRepr('word')).toBe("'word'");
    expect(pythonRepr('')).toBe("''");
    expect(pythonRepr("it's")).toBe(`"it's"`);
    expect(pythonRepr('say "hi"')).toBe(`'say "hi"'`);
    expect(pythonRepr(`it's "x"`)).toBe(`'it\\'s "x"'`);
    expect(pythonRepr('a\\b')).toBe("'a\\\\b'");
    expect(pythonRepr('tab\there\nnl\rcr')).toBe("'tab\\there\\nnl\\rcr'");
    expect(pythonRepr('\x01\x7f')).toBe("'\\x01\\x7f'");
    expect(pythonRepr('niño 🎉')).toBe("'niño 🎉'");
  });

  it('dicts, Maps and Sets', () => {
    expect(pythonRepr({ a: 1, b: [1, 2, 3] })).toBe("{'a': 1, 'b': [1, 2, 3]}");
    expect(pythonRepr({})).toBe('{}');
    expect(pythonRepr(new Map<unknown, unknown>([['k', 1], [2, 'v']]))).toBe("{'k': 1, 2: 'v'}");
    expect(pythonRepr(new Set([1, 2]))).toBe('{1, 2}');
    expect(pythonRepr(new Set())).toBe('set()');
    expect(pythonRepr(["it's", { "o'k": 'x' }])).toBe(`("it's", {"o'k": 'x'})`);
  });

  it('non-printable characters are escaped as Python escapes them (\\x.., \\u....)', () => {
    // Python's repr escapes every character that is not str.isprintable(): C1 controls, format
    // characters, separators other than the ASCII space.
    expect(pythonRepr('\x85')).toBe("'\\x85'");
    expect(pythonRepr('a\xa0b')).toBe("'a\\xa0b'");
    expect(pythonRepr('\xad')).toBe("'\\xad'");
    expect(pythonRepr('zero\u200bwidth')).toBe("'zero\\u200bwidth'");
    expect(pythonRepr('line\u2028sep')).toBe("'line\\u2028sep'");
  });
});

describe('formatPprint', () => {
  it('frame, up to num records, ... when there were more, blank line at the end', () => {
    const t = new Date(2024, 0, 15, 10, 30, 0).getTime();
    expect(formatPprint(t, [['a', 2], ['b', 1], ['c', 1]], 2)).toBe(
      `${RULE}\nTime: 2024-01-15 10:30:00\n${RULE}\n('a', 2)\n('b', 1)\n...\n\n`,
    );
    // Exactly num records: no '...'.
    expect(formatPprint(t, [['a', 2], ['b', 1]], 2)).toBe(`${RULE}\nTime: 2024-01-15 10:30:00\n${RULE}\n('a', 2)\n('b', 1)\n\n`);
    // Fewer.
    expect(formatPprint(t + 1500, [[`it's`, 1]], 10)).toBe(`${RULE}\nTime: 2024-01-15 10:30:01.500\n${RULE}\n("it's", 1)\n\n`);
    // Empty batch.
    expect(formatPprint(t, [], 10)).toBe(`${RULE}\nTime: 2024-01-15 10:30:00\n${RULE}\n\n`);
    // num = 0 with records: only '...'.
    expect(formatPprint(t, [1], 0)).toBe(`${RULE}\nTime: 2024-01-15 10:30:00\n${RULE}\n...\n\n`);
    // Records of other shapes.
    expect(formatPprint(t, [null, true, 3, [1, 2, 3]], 10)).toBe(`${RULE}\nTime: 2024-01-15 10:30:00\n${RULE}\nNone\nTrue\n3\n[1, 2, 3]\n\n`);
  });

  it("a string record prints as Python's print(record) does: without quotes", () => {
    // PySpark prints each record with print(record), i.e. str(record): a top-level string shows
    // raw (`lines.pprint()` shows the lines as they are); inside a tuple it is repr'd.
    const t = new Date(2024, 0, 15, 10, 30, 0).getTime();
    expect(formatPprint(t, ['hello world', "it's", ['w', 1]], 10)).toBe(
      `${RULE}\nTime: 2024-01-15 10:30:00\n${RULE}\nhello world\nit's\n('w', 1)\n\n`,
    );
  });
});

describe('pprint end to end (a child process, TZ=UTC)', () => {
  /** The stdout of the pprint WordCount fixture under `master`. */
  async function pprintOutput(master: string): Promise<string> {
    const { stdout, stderr } = await run(process.execPath, ['--import', 'tsx', program('pprint-wordcount.ts'), master], {
      cwd: root,
      env: { ...process.env, TZ: 'UTC' },
      timeout: 60_000,
    });
    expect(stderr).toBe('');
    return stdout;
  }

  it.each(['local[2]', 'local'])('WordCount pprint(2) over two batches under %s prints the exact frames', async (master) => {
    const stdout = await pprintOutput(master);
    const lines = stdout.split('\n');
    // Block 1: three distinct words, two shown (which two depends on partition order), then '...'.
    expect(lines.slice(0, 3)).toEqual([RULE, 'Time: 2024-01-15 10:30:00', RULE]);
    const shown = lines.slice(3, 5);
    expect(new Set(shown).size).toBe(2);
    for (const l of shown) expect(["('a', 2)", "('b', 1)", "('c', 1)"]).toContain(l);
    expect(lines.slice(5, 7)).toEqual(['...', '']);
    // Block 2: an empty batch at a time with milliseconds.
    expect(lines.slice(7)).toEqual([RULE, 'Time: 2024-01-15 10:30:00.500', RULE, '', '']);
    // The whole text, with the shown records put back in place.
    expect(stdout).toBe(
      `${RULE}\nTime: 2024-01-15 10:30:00\n${RULE}\n${shown.join('\n')}\n...\n\n` + `${RULE}\nTime: 2024-01-15 10:30:00.500\n${RULE}\n\n`,
    );
  }, 60_000);
});

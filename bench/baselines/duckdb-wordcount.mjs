/**
 * The peer row: the same WordCount in DuckDB (`@duckdb/node-api`, vectorised C++ with its own
 * thread pool), the fastest thing a Node user can install for it. DuckDB has no socket source, so
 * it reads the corpus file itself (after the feeder has read it too: the file is in the page
 * cache); this row is a batch query over a file, not a stream.
 *
 *   node bench/baselines/duckdb-wordcount.mjs FILE [THREADS]
 *
 * The query is the seed's WordCount: lines as DuckDB's CSV reader cuts them with no delimiter,
 * quote or escape (`\n`, or `\r\n` where the file uses it), each split on ' ' as JavaScript's
 * `line.split(' ')` does (empty tokens count; an empty line is one empty word), counted per word,
 * every (word, count) row read back into JavaScript. `ms` times that query, from its submission
 * to the last row read; opening the database (`openMs`) is not in it, as a chispa row's
 * context start is not in its. The line count (for the harness's check that every line was
 * read) is a second, untimed query. Prints one JSON line: {lines, words, distinct, ms, openMs,
 * threads, maxRssKB}.
 */
import { DuckDBInstance } from '@duckdb/node-api';
import { availableParallelism } from 'node:os';

const [file, threadsArg] = process.argv.slice(2);
if (!file) throw new Error('usage: duckdb-wordcount.mjs FILE [THREADS]');
const threads = Number(threadsArg ?? availableParallelism());

const t0 = performance.now();
const db = await DuckDBInstance.create(':memory:', { threads: String(threads) });
const connection = await db.connect();
const openMs = performance.now() - t0;

const path = `'${file.replace(/'/g, "''")}'`;
const lines = `read_csv(${path}, columns = {'line': 'VARCHAR'}, delim = '\\0', quote = '', escape = '', header = false, auto_detect = false, strict_mode = false)`;
// The CSV reader reads an empty line as NULL: it is one empty word, as ''.split(' ') is [''].
const wordCount = `SELECT word, count(*) AS n FROM (SELECT unnest(string_split(coalesce(line, ''), ' ')) AS word FROM ${lines}) GROUP BY word`;

const t1 = performance.now();
const reader = await connection.runAndReadAll(wordCount);
const rows = reader.getRows();
const ms = performance.now() - t1;

let words = 0;
for (const [, n] of rows) words += Number(n);
const lineCount = Number((await connection.runAndReadAll(`SELECT count(*) FROM ${lines}`)).getRows()[0][0]);
connection.closeSync();
console.log(JSON.stringify({ lines: lineCount, words, distinct: rows.length, ms, openMs, threads, maxRssKB: process.resourceUsage().maxRSS }));

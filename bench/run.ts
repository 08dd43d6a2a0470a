/**
 * `npm run bench`: the end-to-end WordCount suite over a local TCP socket.
 *
 *   node --import tsx bench/run.ts [--mb 64] [--seed 42] [--input FILE] [--runs 3] [--batch 0.25]
 *     [--rows naive,rxjs,duckdb,local,local[2]-literal,local[2]-fast] [--modes stateless,stateful]
 *     (also `local[2]-fastjs`: the fast path on the JavaScript kernel instead of WebAssembly;
 *     `duckdb[N]`: DuckDB on N threads, bare `duckdb` on every core)
 *     [--timeout 120] [--no-write]
 *   node --import tsx bench/run.ts --report bench/results/bench-<ISO>.json   # re-render only
 *
 * Corpus: bench/corpus.ts (seeded Zipf English-like text, cached in bench/.cache/), or `--input
 * FILE` (repeated to `--mb` MB if given). Rows (bench/harness.ts): `naive` (one thread, one
 * running Map: the baseline of both modes), `rxjs` (bufferTime micro-batches), `duckdb` (the peer:
 * the same WordCount as one DuckDB query over the corpus file, no socket; one row for both modes)
 * and chispa under `local` (generic path), `local[2]` with the seed's literal lambdas on the generic path
 * (`fastPath: false`) and `local[2]` with `fastPath: true`, each in stateless (reduceByKey) and
 * stateful (updateStateByKey) mode. Every row runs once per run, against its own feeder process,
 * rows interleaved within a run so that a noisy machine hits all of them alike.
 *
 * Correctness: every row must count every line; every word total must equal naive's (and the
 * corpus's, when generated); stateful rows' distinct words must too. A mismatch is printed loudly,
 * marked in the table and makes the exit code 1.
 *
 * Writes bench/results/bench-<ISO time>.json (raw), bench/results/latest.md and latest.svg
 * (bench/report.ts), and prints the table.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { generatedCorpus, inputCorpus, type Corpus } from './corpus.js';
import { expandRows, killChildren, measure, type Measurement, type Mode } from './harness.js';
import { markdown, ratios, summarize, svg } from './report.js';

const wallStart = performance.now();
const { values: opts } = parseArgs({
  options: {
    mb: { type: 'string' },
    seed: { type: 'string', default: '42' },
    input: { type: 'string' },
    runs: { type: 'string', default: '3' },
    batch: { type: 'string', default: '0.25' },
    rows: { type: 'string', default: 'naive,rxjs,duckdb,local,local[2]-literal,local[2]-fast' },
    modes: { type: 'string', default: 'stateless,stateful' },
    timeout: { type: 'string', default: '120' }, // seconds, per consumer process
    'no-write': { type: 'boolean', default: false },
    report: { type: 'string' }, // re-render latest.md / latest.svg from a raw JSON, measuring nothing
    help: { type: 'boolean', short: 'h', default: false },
  },
});
const resultsDir = fileURLToPath(new URL('./results/', import.meta.url));
if (opts.help) {
  const header = /\/\*\*([\s\S]*?)\*\//.exec(readFileSync(fileURLToPath(import.meta.url), 'utf8'))![1];
  process.stdout.write(header.replace(/^ \* ?/gm, '').trim() + '\n');
  process.exit(0);
}
if (opts.report) {
  const raw = JSON.parse(readFileSync(opts.report, 'utf8'));
  writeFileSync(join(resultsDir, 'latest.md'), markdown(raw.summary, raw.ratios, raw.meta));
  writeFileSync(join(resultsDir, 'latest.svg'), svg(raw.summary, raw.meta));
  console.log(`re-rendered bench/results/latest.md and latest.svg from ${opts.report}`);
  process.exit(0);
}
const split = (s: string): string[] => s.split(',').map((x) => x.trim()).filter(Boolean);
const modes = split(opts.modes) as Mode[];
for (const m of modes) if (m !== 'stateless' && m !== 'stateful') throw new Error(`unknown mode '${m}'`);
const rows = expandRows(split(opts.rows), modes);
const runs = Number(opts.runs);
const timeoutS = Number(opts.timeout);
if (!(Number.isInteger(runs) && runs > 0)) throw new Error(`--runs must be a positive integer, got '${opts.runs}'`);

const tmp = mkdtempSync(join(tmpdir(), 'chispa-bench-'));
process.once('SIGINT', () => {
  killChildren();
  rmSync(tmp, { recursive: true, force: true });
  process.exit(130);
});

const mb = opts.mb === undefined ? undefined : Number(opts.mb);
const corpus: Corpus = opts.input ? inputCorpus(opts.input, mb, tmp) : generatedCorpus(mb ?? 64, Number(opts.seed));
console.log(
  `corpus: ${corpus.source}: ${(corpus.bytes / 1e6).toFixed(1)} MB, ${corpus.lines} lines` +
    (corpus.words ? `, ${corpus.words} words, ${corpus.distinct} distinct, ${((corpus.multibyteWordShare ?? 0) * 100).toFixed(1)} % multi-byte` : '') +
    `; batch ${opts.batch} s; ${runs} runs × ${rows.length} rows; ${availableParallelism()} cores; node ${process.version}\n`,
);

const results: Measurement[] = [];
const failures: string[] = [];
try {
  for (let run = 1; run <= runs; run++) {
    for (const row of rows) {
      try {
        const m = await measure(run, row, corpus, opts.batch, timeoutS);
        results.push(m);
        const b = m.batches ? `, batch p50 ${Math.round(m.batches.p50ProcessingMs ?? 0)} / p99 ${Math.round(m.batches.p99ProcessingMs ?? 0)} ms, ${m.batches.count} batches` : '';
        console.error(`run ${run} ${row.id.padEnd(26)} ${m.mbPerS.toFixed(1).padStart(6)} MB/s ${Math.round(m.linesPerS).toString().padStart(8)} lines/s (${Math.round(m.ms)} ms${b})`);
      } catch (e) {
        failures.push(`run ${run} ${row.id}: ${e instanceof Error ? e.message : e}`);
        console.error(`run ${run} ${row.id}: FAILED: ${failures.at(-1)}`);
      }
    }
  }
} finally {
  killChildren();
  rmSync(tmp, { recursive: true, force: true });
}

// Correctness: the reference is naive's totals, else the generated corpus's.
const problems: string[] = [];
const bad = new Set<string>();
const naiveRuns = results.filter((r) => r.row === 'naive');
const words = new Set(naiveRuns.map((r) => r.words));
const distinct = new Set(naiveRuns.map((r) => r.distinct));
if (words.size > 1 || distinct.size > 1) problems.push(`naive runs disagree: words ${[...words]}, distinct ${[...distinct]}`);
if (corpus.words !== undefined && words.size === 1 && !words.has(corpus.words)) problems.push(`naive counted ${[...words][0]} words, the corpus has ${corpus.words}`);
const refWords = words.size === 1 ? [...words][0] : corpus.words;
const refDistinct = distinct.size === 1 ? [...distinct][0] : corpus.distinct;
for (const r of results) {
  const row = rows.find((x) => x.id === r.row)!;
  const wrong = (what: string): void => void (problems.push(`run ${r.run} ${r.row}: ${what}`), bad.add(r.row));
  if (r.lines !== corpus.lines) wrong(`${r.lines} lines, expected ${corpus.lines}`);
  if (refWords !== undefined && r.words !== refWords) wrong(`${r.words} words, expected ${refWords}`);
  if ((row.mode === 'stateful' || row.kind === 'naive' || row.kind === 'duckdb') && refDistinct != null && r.distinct !== refDistinct) wrong(`${r.distinct} distinct words, expected ${refDistinct}`);
  if (r.receiver && r.receiver.connects !== 1) wrong(`receiver connected ${r.receiver.connects} times`);
}

const summary = summarize(rows, results, bad);
const rs = ratios(summary);
const meta = {
  corpus: corpus.source, mb: corpus.bytes / 1e6, lines: corpus.lines, batchMs: Number(opts.batch) * 1000, runs,
  command: ['npm run bench', ...(process.argv.length > 2 ? ['--', ...process.argv.slice(2)] : [])].join(' '),
  cores: availableParallelism(), node: process.version, date: new Date().toISOString().slice(0, 10), wallS: (performance.now() - wallStart) / 1000,
};
const md = markdown(summary, rs, meta);
console.log('\n' + md);

if (!opts['no-write']) {
  const dir = resultsDir;
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `bench-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  const machine = { cores: availableParallelism(), node: process.version, platform: process.platform };
  const { file: _file, ...corpusInfo } = corpus;
  writeFileSync(file, JSON.stringify({ options: opts, corpus: corpusInfo, machine, meta, summary, ratios: rs, problems, failures, results }, null, 1) + '\n');
  writeFileSync(join(dir, 'latest.md'), md);
  writeFileSync(join(dir, 'latest.svg'), svg(summary, meta));
  console.log(`raw results: ${file}\nwrote bench/results/latest.md and latest.svg`);
}
console.log(`wall time: ${meta.wallS.toFixed(1)} s`);

if (problems.length > 0 || failures.length > 0) {
  console.error(`\n!!! ${problems.length} CORRECTNESS PROBLEM(S), ${failures.length} FAILED RUN(S) !!!`);
  for (const p of [...problems, ...failures]) console.error(`!!! ${p}`);
  process.exitCode = 1;
}

/**
 * End-to-end WordCount throughput over a local TCP socket: the naive single-thread Node script
 * (bench/baselines/naive-wordcount.mjs) against the seed's chispa program under `local` and
 * `local[N]` (bench/chispa-wordcount.ts).
 *
 *   node --import tsx bench/socket-wordcount.ts [--input FILE] [--mb 64] [--batch 0.25]
 *     [--runs 3] [--rows naive,local,local[2]] [--timeout 300]
 *
 * Corpus: the built-in Genesis text repeated to about `--mb` MB; with `--input FILE`, the file as
 * is (repeated only if `--mb` is given too). For every run and row, a fresh feeder process serves
 * the corpus once, at full speed, to one fresh consumer process; each consumer times itself from
 * its connect to the moment the whole corpus is counted (see each consumer's header). Rows
 * interleave within a run so that a noisy machine hits all of them alike. Prints per row the
 * median over runs of MB/s and lines/s (MB = 10^6 bytes of corpus, terminators included) and the
 * ratio to the naive row; writes raw results to bench/results/socket-wordcount-<ISO time>.json.
 * Every row must count every line, and chispa's word total must equal naive's: a mismatch is
 * printed loudly and makes the exit code 1.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const here = (p: string): string => fileURLToPath(new URL(p, import.meta.url));
const DEFAULT_TEXT = here('../src/cli/data/genesis.txt');
const TSX = ['--import', 'tsx'];

const { values: opts } = parseArgs({
  options: {
    input: { type: 'string' },
    mb: { type: 'string' },
    batch: { type: 'string', default: '0.25' },
    runs: { type: 'string', default: '3' },
    rows: { type: 'string', default: 'naive,local,local[2]' },
    timeout: { type: 'string', default: '300' }, // seconds, per consumer process
  },
});
const rows = opts.rows.split(',').map((r) => r.trim()).filter(Boolean);
const runs = Number(opts.runs);
const timeoutMs = Number(opts.timeout) * 1000;
for (const row of rows) {
  if (row !== 'naive' && !/^local(\[(\*|[1-9]\d*)\])?$/.test(row)) throw new Error(`unknown row '${row}'`);
}
if (!(Number.isInteger(runs) && runs > 0)) throw new Error(`--runs must be a positive integer, got '${opts.runs}'`);

// ---- corpus ----

const source = opts.input ?? DEFAULT_TEXT;
const targetMB = opts.mb !== undefined ? Number(opts.mb) : opts.input === undefined ? 64 : undefined;
let text = readFileSync(source);
if (targetMB !== undefined) {
  // Copies must not glue one copy's last line onto the next one's first.
  if (text.length > 0 && text[text.length - 1] !== 0x0a) text = Buffer.concat([text, Buffer.from('\n')]);
  text = Buffer.concat(Array(Math.max(1, Math.round((targetMB * 1e6) / text.length))).fill(text));
}
const corpus = { source, bytes: text.length, lines: countLines(text) };
const tmp = mkdtempSync(join(tmpdir(), 'chispa-bench-'));
const corpusFile = join(tmp, 'corpus.txt');
writeFileSync(corpusFile, text);
text = Buffer.alloc(0); // the driver only needs the counts; let the GC have it

// ---- child processes ----

const children = new Set<ChildProcess>();
/** Our children only, by handle; also on Ctrl-C, so no feeder survives an interrupted run. */
function killChildren(): void {
  for (const c of children) c.kill('SIGKILL');
}
process.once('SIGINT', () => {
  killChildren();
  process.exit(130);
});

function start(args: string[], ipc = false): ChildProcess {
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe', ...(ipc ? ['ipc' as const] : [])] });
  children.add(child);
  child.once('exit', () => children.delete(child));
  return child;
}

/** Resolves with the child's first stdout line; rejects if it exits first or takes too long. */
function firstLine(child: ChildProcess, what: string, ms: number): Promise<string> {
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${what}: no result after ${ms / 1000} s; stderr: ${err.trim()}`));
    }, ms);
    child.stderr!.on('data', (d) => (err += d));
    child.stdout!.on('data', (d) => {
      out += d;
      const nl = out.indexOf('\n');
      if (nl >= 0) {
        clearTimeout(timer);
        resolve(out.slice(0, nl));
      }
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`${what}: exited (${signal ?? code}) without a result; stderr: ${err.trim()}`));
    });
  });
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
  await exited;
  clearTimeout(timer);
}

interface Measurement {
  run: number;
  row: string;
  mbPerS: number;
  linesPerS: number;
  ms: number;
  lines: number;
  words: number;
  [k: string]: unknown;
}

async function measure(run: number, row: string): Promise<Measurement> {
  const feeder = start([...TSX, here('./feeder-process.ts'), corpusFile], true);
  let consumer: ChildProcess | undefined;
  try {
    const { port } = JSON.parse(await firstLine(feeder, 'feeder', 30_000)) as { port: number };
    consumer =
      row === 'naive'
        ? start([here('./baselines/naive-wordcount.mjs'), '127.0.0.1', String(port)])
        : start([...TSX, here('./chispa-wordcount.ts'), row, '127.0.0.1', String(port), String(corpus.lines), opts.batch, String(timeoutMs / 1000)]);
    const exited = once(consumer, 'exit');
    const result = JSON.parse(await firstLine(consumer, row, timeoutMs + 5000));
    // The next row starts on a quiet machine, with this one's threads gone (stopChild kills a laggard).
    await Promise.race([exited, new Promise((r) => setTimeout(r, 15_000).unref())]);
    return {
      run,
      row,
      mbPerS: corpus.bytes / 1e6 / (result.ms / 1000),
      linesPerS: corpus.lines / (result.ms / 1000),
      ...result,
    };
  } finally {
    if (consumer) await stopChild(consumer);
    await stopChild(feeder);
  }
}

// ---- main ----

const results: Measurement[] = [];
let failed = false;
try {
  console.log(`corpus: ${corpus.source}${targetMB !== undefined ? ` repeated to ~${targetMB} MB` : ''}: ` +
    `${(corpus.bytes / 1e6).toFixed(1)} MB, ${corpus.lines} lines; batch ${opts.batch} s; ${runs} runs; ` +
    `${availableParallelism()} cores; node ${process.version}\n`);
  for (let run = 1; run <= runs; run++) {
    for (const row of rows) {
      try {
        const m = await measure(run, row);
        results.push(m);
        const extra = typeof m.receivedMs === 'number' ? `, received in ${m.receivedMs} ms, ${m.batches && (m.batches as { nonEmpty: number }).nonEmpty} batches` : '';
        console.error(`run ${run} ${row.padEnd(9)} ${m.mbPerS.toFixed(1).padStart(7)} MB/s  ${Math.round(m.linesPerS).toString().padStart(9)} lines/s  (${Math.round(m.ms)} ms${extra})`);
      } catch (e) {
        failed = true;
        console.error(`run ${run} ${row}: FAILED: ${e instanceof Error ? e.message : e}`);
      }
    }
  }
} finally {
  killChildren();
  rmSync(tmp, { recursive: true, force: true });
}

// Correctness: every row counts every line; chispa's word total equals naive's.
const naiveWords = new Set(results.filter((r) => r.row === 'naive').map((r) => r.words));
const reference = naiveWords.size === 1 ? [...naiveWords][0] : undefined;
const problems: string[] = [];
if (naiveWords.size > 1) problems.push(`naive runs disagree on the word total: ${[...naiveWords].join(', ')}`);
for (const r of results) {
  if (r.lines !== corpus.lines) problems.push(`run ${r.run} ${r.row}: ${r.lines} lines, expected ${corpus.lines}`);
  if (reference !== undefined && r.words !== reference) problems.push(`run ${r.run} ${r.row}: ${r.words} words, naive counted ${reference}`);
  const receiver = r.receiver as { connects: number } | undefined;
  if (receiver && receiver.connects !== 1) problems.push(`run ${r.run} ${r.row}: receiver connected ${receiver.connects} times`);
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const summary = rows.map((row) => {
  const rs = results.filter((r) => r.row === row);
  return {
    row,
    runs: rs.length,
    mbPerS: rs.length ? median(rs.map((r) => r.mbPerS)) : NaN,
    linesPerS: rs.length ? median(rs.map((r) => r.linesPerS)) : NaN,
    maxRssMB: rs.length && typeof rs[0].maxRssKB === 'number' ? Math.max(...rs.map((r) => r.maxRssKB as number)) / 1024 : undefined,
  };
});
const naive = summary.find((s) => s.row === 'naive');

console.log(`\n| row | runs | MB/s (median) | lines/s (median) | vs naive | peak RSS |`);
console.log(`|---|---:|---:|---:|---:|---:|`);
for (const s of summary) {
  const ratio = naive && s.row !== 'naive' ? `${(s.mbPerS / naive.mbPerS).toFixed(2)}×` : '';
  const rss = s.maxRssMB === undefined ? '' : `${Math.round(s.maxRssMB)} MB`;
  console.log(`| ${s.row} | ${s.runs} | ${s.mbPerS.toFixed(1)} | ${Math.round(s.linesPerS).toLocaleString('en-US')} | ${ratio} | ${rss} |`);
}

const resultsDir = here('./results/');
mkdirSync(resultsDir, { recursive: true });
const file = join(resultsDir, `socket-wordcount-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
const machine = { cores: availableParallelism(), node: process.version, platform: process.platform };
writeFileSync(file, JSON.stringify({ options: opts, corpus, machine, summary, problems, results }, null, 2) + '\n');
console.log(`\nraw results: ${file}`);

if (problems.length > 0 || failed) {
  console.error(`\n!!! ${problems.length} CORRECTNESS PROBLEM(S)${failed ? ' and failed runs' : ''} !!!`);
  for (const p of problems) console.error(`!!! ${p}`);
  process.exitCode = 1;
}

/** Lines as the feeder and both consumers count them: ended by `\n`, `\r\n` or a lone `\r`, plus a final unterminated one. */
function countLines(buf: Buffer): number {
  let n = 0;
  for (let i = 0; i < buf.length; i++) {
    const b = buf[i];
    if (b === 0x0a || (b === 0x0d && buf[i + 1] !== 0x0a)) n++;
  }
  const last = buf.length > 0 ? buf[buf.length - 1] : 0x0a;
  return last === 0x0a || last === 0x0d ? n : n + 1;
}

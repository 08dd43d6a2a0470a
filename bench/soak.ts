/**
 * `npm run soak` (not in CI): the stateful WordCount with checkpoints and the receiver write-ahead
 * log, fed for a long time at a fraction of its peak rate, watching memory and scheduling delay,
 * and checking the final counts exactly.
 *
 *   node --import tsx bench/soak.ts [--minutes 10] [--fraction 0.8] [--peak LINES_PER_SEC]
 *     [--master local[2]] [--batch 1] [--mb 16] [--seed 42] [--sample 10]
 *
 * 1. Peak: unless `--peak` gives it, one full-speed run of the benchmark harness's
 *    `local[2]-fast stateful` row (bench/harness.ts `measure`, batches of 0.25 s) on the seeded
 *    corpus (bench/corpus.ts, `--mb`).
 * 2. Soak: a feeder process (bench/soak-feeder.ts) serves the corpus, looped, at `--fraction` ×
 *    peak lines/s for `--minutes`, then ends cleanly and reports how many lines it sent. This
 *    process runs the program: socketTextStream → flatMap(split) → map([w, 1]) →
 *    updateStateByKey(sum), checkpointing to a temporary directory with `writeAheadLog: true`,
 *    `--batch` s batches. Every `--sample` s it records RSS, heap, the last batch's scheduling
 *    and processing delay, and the lines received.
 * 3. End: once every sent line is received and a batch after it has completed, the state is
 *    collected and compared with the oracle: the corpus's own word counts × full passes plus the
 *    counts of the last partial pass, word by word. Prints the series, RSS start/end, max
 *    scheduling delay and "counts exact: yes/no"; writes JSON to bench/results/soak-latest.json.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { SparkContext, StreamingContext, type BatchInfo } from '../src/index.js';
import { generatedCorpus } from './corpus.js';
import { expandRows, firstLine, killChildren, measure, start, stopChild } from './harness.js';

const { values } = parseArgs({
  options: {
    minutes: { type: 'string', default: '10' },
    fraction: { type: 'string', default: '0.8' },
    peak: { type: 'string' },
    master: { type: 'string', default: 'local[2]' },
    batch: { type: 'string', default: '1' },
    mb: { type: 'string', default: '16' },
    seed: { type: 'string', default: '42' },
    sample: { type: 'string', default: '10' },
  },
});
const minutes = Number(values.minutes);
const batchSeconds = Number(values.batch);
const corpus = generatedCorpus(Number(values.mb), Number(values.seed));
process.on('exit', killChildren);

// 1. Peak.
let peak = values.peak === undefined ? NaN : Number(values.peak);
if (!(peak > 0)) {
  const [row] = expandRows(['local[2]-fast'], ['stateful']);
  process.stderr.write(`soak: measuring the peak (${row.id}, ${corpus.source})…\n`);
  peak = (await measure(0, row, corpus, '0.25', 300)).linesPerS;
}
const rate = Math.round(Number(values.fraction) * peak);
process.stderr.write(`soak: peak ${Math.round(peak)} lines/s; feeding ${rate} lines/s for ${minutes} min, ${values.master}, ${batchSeconds} s batches\n`);

// 2. Soak.
const feeder = start(['--import', 'tsx', fileURLToPath(new URL('./soak-feeder.ts', import.meta.url)), corpus.file, '--rate', String(rate), '--seconds', String(minutes * 60)], true);
const { port } = JSON.parse(await firstLine(feeder, 'soak feeder', 30_000)) as { port: number };
let sent: number | undefined;
const sentLine = new Promise<void>((resolve) => {
  let buf = '';
  feeder.stdout!.on('data', (d: Buffer) => {
    buf += d.toString();
    const m = /\{"sent":(\d+)\}/.exec(buf);
    if (m) {
      sent = Number(m[1]);
      resolve();
    }
  });
});

const cpDir = mkdtempSync(join(tmpdir(), 'chispa-soak-cp-'));
const sc = new SparkContext({ master: values.master! });
sc.setLogLevel('ERROR');
await sc.parallelize([0, 1], sc.defaultParallelism).count();
const ssc = new StreamingContext(sc, batchSeconds, { writeAheadLog: true });
ssc.checkpoint(cpDir);
const lines = ssc.socketTextStream('127.0.0.1', port, { initialDelayMs: 3_600_000 });
let want: ((state: [string, number][]) => void) | undefined;
lines
  .flatMap((line) => line.split(' '))
  .map((word) => [word, 1])
  .updateStateByKey((vs: number[], last: number | null) => vs.reduce((a, b) => a + b, 0) + (last ?? 0))
  .foreachRDD(async (rdd) => {
    const w = want;
    if (w) {
      want = undefined;
      w((await rdd.collect()) as [string, number][]);
    }
  });
const batches: BatchInfo[] = [];
let failures = 0;
ssc.addStreamingListener({
  onBatchCompleted: (i) => {
    batches.push(i);
    failures += i.failures.length;
  },
});
const samples: { s: number; rssMB: number; heapMB: number; schedulingDelayMs: number; processingMs: number; lines: number }[] = [];
const t0 = performance.now();
const sample = () => {
  const last = batches.at(-1);
  const m = process.memoryUsage();
  samples.push({
    s: Math.round((performance.now() - t0) / 1000),
    rssMB: Math.round(m.rss / 2 ** 20),
    heapMB: Math.round(m.heapUsed / 2 ** 20),
    schedulingDelayMs: last?.schedulingDelay ?? 0,
    processingMs: last?.processingDelay ?? 0,
    lines: lines.receiverStats().lines,
  });
  const x = samples.at(-1)!;
  process.stderr.write(`soak: ${x.s} s  RSS ${x.rssMB} MB  heap ${x.heapMB} MB  sched. delay ${x.schedulingDelayMs} ms  processing ${x.processingMs} ms  lines ${x.lines}\n`);
};
ssc.start();
sample();
const sampler = setInterval(sample, Number(values.sample) * 1000);

// 3. End: every sent line received and counted by a batch that completed after it.
await sentLine;
while (lines.receiverStats().lines < sent!) await new Promise((r) => setTimeout(r, 100));
// The batch cut at the first tick from now holds the last lines; the state is taken after it.
const lastCut = Math.ceil(Date.now() / (batchSeconds * 1000)) * batchSeconds * 1000;
while (!batches.some((b) => b.batchTime >= lastCut)) await new Promise((r) => setTimeout(r, 100));
const state = await new Promise<[string, number][]>((resolve) => (want = resolve));
clearInterval(sampler);
sample();
await ssc.stop();
await stopChild(feeder);
rmSync(cpDir, { recursive: true, force: true });

const corpusLines = readFileSync(corpus.file, 'utf8').split('\n');
if (corpusLines.at(-1) === '') corpusLines.pop();
const oracle = new Map<string, number>();
const tally = (ls: readonly string[], times: number) => {
  for (const l of ls) for (const w of l.split(' ')) oracle.set(w, (oracle.get(w) ?? 0) + times);
};
const passes = Math.floor(sent! / corpusLines.length);
if (passes > 0) tally(corpusLines, passes);
tally(corpusLines.slice(0, sent! - passes * corpusLines.length), 1);
const got = new Map(state);
const exact = got.size === oracle.size && [...oracle].every(([w, n]) => got.get(w) === n);
const sum = (m: Map<string, number>) => [...m.values()].reduce((a, b) => a + b, 0);
const maxDelay = Math.max(...batches.map((b) => b.schedulingDelay ?? 0));
const summary = {
  date: new Date().toISOString(),
  node: process.version,
  master: values.master,
  batchSeconds,
  minutes,
  peakLinesPerS: Math.round(peak),
  rateLinesPerS: rate,
  linesSent: sent,
  linesReceived: lines.receiverStats().lines,
  batches: batches.length,
  batchFailures: failures,
  rssStartMB: samples[0].rssMB,
  rssEndMB: samples.at(-1)!.rssMB,
  rssMaxMB: Math.max(...samples.map((x) => x.rssMB)),
  maxSchedulingDelayMs: maxDelay,
  p99ProcessingMs: [...batches.map((b) => b.processingDelay ?? 0)].sort((a, b) => a - b)[Math.floor(0.99 * (batches.length - 1))],
  distinctWords: got.size,
  words: sum(got),
  wordsExpected: sum(oracle),
  countsExact: exact,
  samples,
};
mkdirSync(fileURLToPath(new URL('./results/', import.meta.url)), { recursive: true });
writeFileSync(fileURLToPath(new URL('./results/soak-latest.json', import.meta.url)), JSON.stringify(summary, null, 1) + '\n');
process.stdout.write(
  `soak: ${minutes} min at ${rate} lines/s (${values.fraction} × peak ${Math.round(peak)}), ${sent} lines, ${batches.length} batches, ${failures} failures; ` +
    `RSS start ${summary.rssStartMB} MB, end ${summary.rssEndMB} MB, max ${summary.rssMaxMB} MB; max scheduling delay ${maxDelay} ms; ` +
    `p99 processing ${summary.p99ProcessingMs} ms; counts exact: ${exact ? 'yes' : 'NO'} (${sum(got)} of ${sum(oracle)} words, ${got.size} distinct)\n`,
);
process.exit(exact && failures === 0 ? 0 : 1);

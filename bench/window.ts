/**
 * `npm run bench:window`: reduceByKeyAndWindow with and without an inverse function, for a 30 s
 * window sliding every 1 s (1 s batches), the windowed WordCount's shape.
 *
 *   node --import tsx bench/window.ts [--master local[2]] [--window 30] [--records 50000]
 *     [--steady 30] [--runs 3] [--seed 42] [--no-write]
 *
 * Input: `--records` `[word, 1]` pairs per batch, words drawn Zipf-distributed (s = 1) from the
 * benchmark corpus's 60 000-word vocabulary (bench/corpus.ts, seeded), so each batch has many
 * repeated and a long tail of rare words, and a window holds far more distinct words than a batch.
 * Batches come from a queueStream and are driven by a ManualClock as fast as they complete, so the
 * figures are processing time, not wall-clock waiting: every batch is timed from the listener's
 * onBatchStarted to onBatchCompleted (performance.now()), and its output (the window's `count()`,
 * so the whole window is computed) is part of it. The first `--window` batches fill the window;
 * the next `--steady` are the steady state that is reported.
 *
 * Rows, interleaved run by run: `inverse` (`reduceByKeyAndWindow(add, sub, W, 1, P, n > 0)`,
 * incremental in the state store) and `no inverse` (`reduceByKeyAndWindow(add, null, W, 1, P)`:
 * each batch reduced once, every window reduced again from its W batches). Reported: median and
 * p90 per-slide ms over the steady batches (median over runs), the keys the incremental merge
 * updated per slide against the window's keys, and the ratio no-inverse / inverse.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { add, ManualClock, SparkContext, StreamingContext, type StateOperatorProgress } from '../src/index.js';
import { mulberry32, vocabulary } from './corpus.js';

const { values: o } = parseArgs({
  options: {
    master: { type: 'string', default: 'local[2]' },
    window: { type: 'string', default: '30' },
    records: { type: 'string', default: '50000' },
    steady: { type: 'string', default: '30' },
    runs: { type: 'string', default: '3' },
    seed: { type: 'string', default: '42' },
    'no-write': { type: 'boolean', default: false },
  },
});
const W = Number(o.window);
const steady = Number(o.steady);
const records = Number(o.records);
const runs = Number(o.runs);

/** Zipf(s = 1) draws over the vocabulary: inverse CDF by binary search over the cumulative weights. */
function batches(count: number, seed: number): [string, number][][] {
  const rng = mulberry32(seed);
  const words = vocabulary(rng);
  const cdf = new Float64Array(words.length);
  let acc = 0;
  for (let i = 0; i < words.length; i++) cdf[i] = acc += 1 / (i + 1);
  const draw = () => {
    const x = rng() * acc;
    let lo = 0;
    let hi = cdf.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (cdf[mid] < x) lo = mid + 1;
      else hi = mid;
    }
    return words[lo];
  };
  return Array.from({ length: count }, () => Array.from({ length: records }, (): [string, number] => [draw(), 1]));
}

interface RunResult {
  row: string;
  slideMs: number[];
  windowCounts: number[];
  progress: (StateOperatorProgress | undefined)[];
}

async function runOnce(sc: SparkContext, inverse: boolean, input: [string, number][][]): Promise<RunResult> {
  const cp = mkdtempSync(join(tmpdir(), 'chispa-bench-window-'));
  const clock = new ManualClock(0);
  const ssc = new StreamingContext(sc, 1, { clock });
  ssc.checkpoint(cp);
  const pairs = ssc.queueStream(input);
  const P = sc.defaultParallelism;
  const windowed = inverse
    ? pairs.reduceByKeyAndWindow(add, (a, b) => a - b, W, 1, P, ([, n]) => n > 0)
    : pairs.reduceByKeyAndWindow(add, null, W, 1, P);
  const windowCounts: number[] = [];
  windowed.foreachRDD(async (rdd) => void windowCounts.push(await rdd.count()));
  const started = new Map<number, number>();
  const slideMs: number[] = [];
  const progress: (StateOperatorProgress | undefined)[] = [];
  ssc.addStreamingListener({
    onBatchStarted: (i) => void started.set(i.batchTime, performance.now()),
    onBatchCompleted: (i) => {
      slideMs.push(performance.now() - started.get(i.batchTime)!);
      progress.push(i.stateOperators?.[0]);
    },
  });
  ssc.start();
  for (let i = 1; i <= input.length; i++) {
    clock.advance(1000);
    while (slideMs.length < i) await new Promise((r) => setTimeout(r, 1));
  }
  await ssc.stop(false);
  rmSync(cp, { recursive: true, force: true });
  return { row: inverse ? 'inverse' : 'no inverse', slideMs, windowCounts, progress };
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const quantile = (xs: number[], q: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(q * xs.length))];

const input = batches(W + steady, Number(o.seed));
const sc = new SparkContext({ master: o.master, appName: 'bench-window' });
sc.setLogLevel('ERROR');
await sc.parallelize([0, 1], sc.defaultParallelism).count(); // pool threads up before timing
const results: RunResult[] = [];
for (let run = 1; run <= runs; run++) {
  for (const inverse of run % 2 ? [true, false] : [false, true]) {
    const r = await runOnce(sc, inverse, input);
    results.push(r);
    process.stderr.write(`run ${run} ${r.row}: steady median ${median(r.slideMs.slice(W)).toFixed(1)} ms\n`);
  }
}
await sc.stop();

const byRow = (row: string) => results.filter((r) => r.row === row);
const summary = ['inverse', 'no inverse'].map((row) => {
  const rs = byRow(row);
  const steadyMs = rs.map((r) => r.slideMs.slice(W));
  const p = rs[0].progress.slice(W).filter((x): x is StateOperatorProgress => x !== undefined);
  return {
    row,
    p50: median(steadyMs.map(median)),
    p90: median(steadyMs.map((xs) => quantile(xs, 0.9))),
    fillP50: median(rs.map((r) => median(r.slideMs.slice(0, W)))),
    windowKeys: median(rs[0].windowCounts.slice(W)),
    updatedPerSlide: p.length > 0 ? median(p.map((x) => x.numRowsUpdated)) : undefined,
  };
});
// Both rows must compute the same windows.
const same = byRow('inverse').every((r) => JSON.stringify(r.windowCounts) === JSON.stringify(byRow('no inverse')[0].windowCounts));
const ratio = summary[1].p50 / summary[0].p50;

const lines = [
  `reduceByKeyAndWindow, ${W} s window sliding every 1 s (1 s batches), ${records.toLocaleString('en')} [word, 1] records a batch (Zipf over 60 000 words), master ${o.master}, ${availableParallelism()} cores, Node ${process.version}. Medians over ${runs} interleaved runs of the ${steady} steady-state slides.`,
  '',
  '| row | slide p50 ms | slide p90 ms | filling p50 ms | window keys | keys updated per slide | same windows |',
  '| --- | ---: | ---: | ---: | ---: | ---: | :---: |',
  ...summary.map((s) => `| ${s.row} | ${s.p50.toFixed(1)} | ${s.p90.toFixed(1)} | ${s.fillP50.toFixed(1)} | ${s.windowKeys.toLocaleString('en')} | ${s.updatedPerSlide?.toLocaleString('en') ?? '–'} | ${same ? 'yes' : 'NO'} |`),
  '',
  `no inverse / inverse, steady slide p50: **${ratio.toFixed(2)}×**`,
];
process.stdout.write(`${lines.join('\n')}\n`);
if (!o['no-write']) {
  const dir = fileURLToPath(new URL('./results/', import.meta.url));
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `window-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  writeFileSync(file, JSON.stringify({ options: o, summary, ratio, same, runs: results.map((r) => ({ row: r.row, slideMs: r.slideMs })) }, null, 1));
  process.stderr.write(`wrote ${file}\n`);
}
if (!same) process.exitCode = 1;

/**
 * `npm run bench:latency`: can chispa run 100 ms batches? The performance issue's latency item:
 * "at half the peak input rate, p99 batch processing time stays under the interval and
 * scheduling delay does not grow over 60 s".
 *
 *   node --import tsx bench/latency.ts [--rows local[2]-fast,local[2]-literal] [--modes stateless]
 *     [--seconds 60] [--batch 0.1] [--fraction 0.5] [--peak N | --peak ROW=N,ROW=N]
 *     [--peak-of own|ROW] [--peak-batch 0.25] [--peak-runs 1] [--mb 64] [--seed 42]
 *     [--timeout 120] [--no-write]
 *
 * 1. Peak: for every row whose peak is not given by `--peak` (one number for all rows, or
 *    `ROW=N` pairs, ROW being an engine such as `local[2]-fast` or a row id such as
 *    `local[2]-fast stateful`), `--peak-runs` full-speed runs of the end-to-end harness
 *    (bench/harness.ts `measure`, the same measurement as `npm run bench`, batches of
 *    `--peak-batch` s, the seeded corpus of bench/corpus.ts); the median lines/s is the peak.
 *    By default each row's rate is a fraction of its OWN peak; `--peak-of local[2]-fast` makes
 *    every row use that engine's peak (same mode) instead.
 * 2. Latency run, per row: a feeder process (bench/feeder-process.ts `--rate R --loop`, i.e.
 *    `startFeeder({ linesPerSecond: R, loop: true })`) serves the corpus, looped, at R =
 *    `--fraction` × peak lines/s, to bench/latency-consumer.ts (the same WordCount) running with
 *    `--batch` s batches for `--seconds` s from its receiver's connect; it collects every
 *    batch's BatchInfo from `ssc.addStreamingListener`, then stops. The feeder paces by line
 *    count and, if the consumer stops reading (TCP backpressure), resumes its pace from then
 *    on instead of bursting: a consumer that cannot keep up shows as a received rate below the
 *    offered one, so that is checked too.
 * 3. Report per row: batches, offered / received / processed lines/s, processing time p50 / p90
 *    / p99 / max against the interval, scheduling delay p50 / p99 / max, its trend (least-squares
 *    slope in ms per second of run, and the mean in the first vs the last 10 s), the backlog of
 *    submitted-but-unstarted batches at the end, main-thread GC pauses and event-loop delay,
 *    processing time's own trend (first vs last window; the JSON also has a rough least-squares
 *    fit ≈ fixed ms per batch + µs per line, ill-conditioned as batches are all about the same
 *    size), RSS sampled every second and its peak. Verdict: PASS when (a) p99 processing <
 *    interval, (b) the delay does not grow: slope × seconds ≤ one interval (a negative slope, a
 *    warm-up backlog draining, is fine), last-10 s mean ≤ first-10 s mean + one interval, and at
 *    most 2 batches submitted but not started at the deadline (a bigger backlog is delay the
 *    completed batches do not show yet), and (c) the receiver took ≥ 95 % of the offered lines
 *    (it buffers what the batches have not processed yet, so (c) only catches a receiver that
 *    cannot read fast enough; a slow pipeline shows in (b)).
 *
 * Prints a markdown table and one verdict line per row; writes the raw data to
 * bench/results/latency-<ISO time>.json (unless `--no-write`).
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { once } from 'node:events';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { generatedCorpus, type Corpus } from './corpus.js';
import { expandRows, firstLine, killChildren, measure, start, stopChild, type Measurement, type Mode, type Row } from './harness.js';

const wallStart = performance.now();
const { values: opts } = parseArgs({
  options: {
    rows: { type: 'string', default: 'local[2]-fast,local[2]-literal' },
    modes: { type: 'string', default: 'stateless' },
    seconds: { type: 'string', default: '60' },
    batch: { type: 'string', default: '0.1' },
    fraction: { type: 'string', default: '0.5' },
    peak: { type: 'string' },
    'peak-of': { type: 'string', default: 'own' },
    'peak-batch': { type: 'string', default: '0.25' },
    'peak-runs': { type: 'string', default: '1' },
    mb: { type: 'string', default: '64' },
    seed: { type: 'string', default: '42' },
    timeout: { type: 'string', default: '120' },
    'no-write': { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h', default: false },
  },
});
if (opts.help) {
  const header = /\/\*\*([\s\S]*?)\*\//.exec(readFileSync(fileURLToPath(import.meta.url), 'utf8'))![1];
  process.stdout.write(header.replace(/^ \* ?/gm, '').trim() + '\n');
  process.exit(0);
}

const split = (s: string): string[] => s.split(',').map((x) => x.trim()).filter(Boolean);
const modes = split(opts.modes) as Mode[];
for (const m of modes) if (m !== 'stateless' && m !== 'stateful') throw new Error(`unknown mode '${m}'`);
const rows = expandRows(split(opts.rows), modes);
for (const r of rows) if (r.kind !== 'chispa') throw new Error(`bench:latency runs chispa rows only, not '${r.id}'`);
const seconds = Number(opts.seconds);
const batchS = Number(opts.batch);
const batchMs = batchS * 1000;
const fraction = Number(opts.fraction);
const peakRuns = Number(opts['peak-runs']);
const timeoutS = Number(opts.timeout);
if (!(seconds > 0) || !(batchS > 0) || !(fraction > 0) || !(Number.isInteger(peakRuns) && peakRuns > 0)) {
  throw new Error('--seconds, --batch, --fraction must be positive and --peak-runs a positive integer');
}

process.once('SIGINT', () => {
  killChildren();
  process.exit(130);
});

const corpus: Corpus = generatedCorpus(Number(opts.mb), Number(opts.seed));
console.log(
  `corpus: ${corpus.source}: ${(corpus.bytes / 1e6).toFixed(1)} MB, ${corpus.lines} lines (looped by the feeder); ` +
    `latency runs: ${seconds} s, batch ${batchMs} ms, ${fraction} × peak; ${rows.length} rows; ${availableParallelism()} cores; node ${process.version}\n`,
);

// ---- 1. peaks ----

/** Given peaks: one number for all rows, or ROW=N pairs (ROW: engine or row id). */
const givenPeak = (row: Row): number | undefined => {
  if (opts.peak === undefined) return undefined;
  if (!opts.peak.includes('=')) return Number(opts.peak);
  for (const pair of split(opts.peak)) {
    const [k, v] = pair.split('=');
    if (k.trim() === row.id || k.trim() === row.engine) return Number(v);
  }
  return undefined;
};
/** The row whose peak sets `row`'s rate: itself, or `--peak-of`'s engine in the same mode. */
const peakSource = (row: Row): Row => (opts['peak-of'] === 'own' ? row : expandRows([opts['peak-of']], [row.mode!])[0]);

interface Peak {
  linesPerS: number;
  source: string;
  how: string;
  runs?: Measurement[];
}
const peaks = new Map<string, Peak>(); // by source row id
try {
  for (const row of rows) {
    const src = peakSource(row);
    if (peaks.has(src.id)) continue;
    const given = givenPeak(src) ?? givenPeak(row);
    if (given !== undefined) {
      if (!(given > 0)) throw new Error(`--peak for ${src.id} must be a positive number of lines/s`);
      peaks.set(src.id, { linesPerS: given, source: src.id, how: '--peak' });
      continue;
    }
    const runs: Measurement[] = [];
    for (let i = 1; i <= peakRuns; i++) {
      const m = await measure(i, src, corpus, opts['peak-batch'], timeoutS);
      if (m.lines !== corpus.lines) throw new Error(`peak run of ${src.id} counted ${m.lines} lines, expected ${corpus.lines}`);
      runs.push(m);
      console.error(`peak ${src.id.padEnd(26)} run ${i}: ${Math.round(m.linesPerS).toLocaleString('en-US').padStart(9)} lines/s (${Math.round(m.ms)} ms, batch ${opts['peak-batch']} s)`);
    }
    const sorted = runs.map((m) => m.linesPerS).sort((a, b) => a - b);
    const linesPerS = sorted[Math.floor((sorted.length - 1) / 2)];
    peaks.set(src.id, { linesPerS, source: src.id, how: `median of ${peakRuns} full-speed run(s), ${opts['peak-batch']} s batches`, runs });
  }
} catch (e) {
  killChildren();
  throw e;
}

// ---- 2. latency runs ----

const here = (p: string): string => fileURLToPath(new URL(p, import.meta.url));
const TSX = ['--import', 'tsx'];

/** What bench/latency-consumer.ts prints. */
interface Raw {
  seconds: number;
  batchMs: number;
  submitted: number;
  started: number;
  completed: number;
  backlogAtEnd: number;
  receiver: { connects: number; lines: number; bytes: number };
  words: number;
  /** [batchTime − t0, timer lateness, schedulingDelay, processingDelay, numRecords] */
  batches: [number, number, number, number, number][];
  gc: { count: number; totalMs: number; pauses: [number, number, string][] };
  eventLoopDelay: { p50: number; p99: number; max: number };
  /** [ms since t0, RSS MB, main heapUsed MB], every second. */
  memory: [number, number, number][];
  maxRssKB: number;
}

async function latencyRun(row: Row, rate: number): Promise<Raw> {
  const feeder = start([...TSX, here('./feeder-process.ts'), corpus.file, '--rate', String(rate), '--loop'], true);
  let consumer: ReturnType<typeof start> | undefined;
  try {
    const { port } = JSON.parse(await firstLine(feeder, 'feeder', 30_000)) as { port: number };
    consumer = start([
      ...TSX, here('./latency-consumer.ts'), '--master', row.master!, '--fast-path', String(row.fastPath), '--mode', row.mode!,
      '--host', '127.0.0.1', '--port', String(port), '--batch', String(batchS), '--seconds', String(seconds), '--timeout', String(seconds + timeoutS),
    ]);
    const exited = once(consumer, 'exit');
    const raw = JSON.parse(await firstLine(consumer, row.id, (seconds + timeoutS + 5) * 1000)) as Raw;
    await Promise.race([exited, new Promise((r) => setTimeout(r, 15_000).unref())]);
    return raw;
  } finally {
    if (consumer) await stopChild(consumer);
    await stopChild(feeder);
  }
}

// ---- 3. analysis ----

/** Nearest-rank percentile of sorted values. */
const pct = (sorted: number[], q: number): number => (sorted.length === 0 ? NaN : sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]);
const mean = (xs: number[]): number => (xs.length === 0 ? NaN : xs.reduce((a, b) => a + b, 0) / xs.length);
/** Least-squares slope of y over x. */
function slope(xs: number[], ys: number[]): number {
  const mx = mean(xs);
  const my = mean(ys);
  let num = 0;
  let den = 0;
  for (let i = 0; i < xs.length; i++) {
    num += (xs[i] - mx) * (ys[i] - my);
    den += (xs[i] - mx) ** 2;
  }
  return den === 0 ? 0 : num / den;
}

interface Summary {
  row: string;
  label: string;
  peakLinesPerS: number;
  peakSource: string;
  offeredLinesPerS: number;
  receivedLinesPerS: number;
  processedLinesPerS: number;
  batches: number;
  emptyBatches: number;
  /** p99Steady: p99 over the batches from {@link WARMUP_S} s on (the first ones run cold, before the JIT). */
  processing: { p50: number; p90: number; p99: number; max: number; mean: number; overInterval: number; p99Steady: number };
  /** Processing time's own trend, and a least-squares fit processing ≈ fixedMs + usPerRecord × records / 1000 (batches from WARMUP_S on). */
  processingTrend: { slopeMsPerS: number; firstMean: number; lastMean: number; fixedMs: number; usPerRecord: number };
  /** RSS (MB) sampled at the end of the first window and at the end. */
  rss: { afterFirstWindow: number; atEnd: number; heapAtEnd: number };
  scheduling: { p50: number; p99: number; max: number; slopeMsPerS: number; firstMean: number; lastMean: number; windowS: number };
  timerLateness: { p50: number; p99: number; max: number };
  endToEnd: { p50: number; p99: number; max: number };
  backlogAtEnd: number;
  gc: { pauses: number; over5ms: number; maxMs: number; maxKind: string | null; sumMs: number; tailBatches: number; tailWithGc: number };
  eventLoopDelay: Raw['eventLoopDelay'];
  slowest: { atS: number; processingMs: number; records: number; gcMsInside: number }[];
  peakRssMB: number;
  checks: { p99UnderInterval: boolean; noGrowth: boolean; keptRate: boolean };
  pass: boolean;
}

/** Batches before this (s since connect) are reported apart as warm-up: `p99Steady` leaves them out. */
const WARMUP_S = 2;

function analyze(row: Row, peak: Peak, rate: number, raw: Raw): Summary {
  const bs = raw.batches;
  const proc = bs.map((b) => b[3]).sort((a, b) => a - b);
  const sched = bs.map((b) => b[2]);
  const schedSorted = [...sched].sort((a, b) => a - b);
  const late = bs.map((b) => b[1]).sort((a, b) => a - b);
  const e2e = bs.map((b) => b[1] + b[2] + b[3]).sort((a, b) => a - b);
  const xs = bs.map((b) => b[0] / 1000);
  const windowS = Math.min(10, raw.seconds / 3);
  const first = bs.filter((b) => b[0] < windowS * 1000).map((b) => b[2]);
  const last = bs.filter((b) => b[0] >= (raw.seconds - windowS) * 1000).map((b) => b[2]);
  const records = bs.reduce((a, b) => a + b[4], 0);
  // When did each batch run, relative to t0, and how much main-thread GC fell inside it?
  const gcInside = (b: Raw['batches'][number]): number => {
    const s = b[0] + b[1] + b[2];
    const e = s + b[3];
    return raw.gc.pauses.reduce((a, [t, d]) => a + Math.max(0, Math.min(e, t + d) - Math.max(s, t)), 0);
  };
  const p99 = pct(proc, 0.99);
  const tail = bs.filter((b) => b[3] >= p99);
  const maxGc = raw.gc.pauses.reduce<[number, number, string] | null>((m, g) => (m === null || g[1] > m[1] ? g : m), null);
  const slopeMsPerS = slope(xs, sched);
  const firstMean = mean(first);
  const lastMean = mean(last);
  const checks = {
    p99UnderInterval: p99 < batchMs,
    // Growth only: a negative slope (the warm-up backlog draining) is not growth.
    // A backlog of k unstarted batches at the deadline is ≥ (k − 1) intervals of delay the completed batches do not show yet.
    noGrowth: slopeMsPerS * raw.seconds <= batchMs && lastMean <= firstMean + batchMs && raw.backlogAtEnd <= 2,
    keptRate: raw.receiver.lines >= 0.95 * rate * raw.seconds,
  };
  return {
    row: row.id,
    label: row.label,
    peakLinesPerS: peak.linesPerS,
    peakSource: peak.source,
    offeredLinesPerS: rate,
    receivedLinesPerS: raw.receiver.lines / raw.seconds,
    processedLinesPerS: records / raw.seconds,
    batches: bs.length,
    emptyBatches: bs.filter((b) => b[4] === 0).length,
    processing: {
      p50: pct(proc, 0.5), p90: pct(proc, 0.9), p99, max: proc.at(-1) ?? NaN, mean: mean(proc), overInterval: proc.filter((p) => p >= batchMs).length,
      p99Steady: pct(bs.filter((b) => b[0] >= WARMUP_S * 1000).map((b) => b[3]).sort((a, b) => a - b), 0.99),
    },
    processingTrend: (() => {
      const steady = bs.filter((b) => b[0] >= WARMUP_S * 1000);
      const per = slope(steady.map((b) => b[4]), steady.map((b) => b[3]));
      return {
        slopeMsPerS: slope(xs, bs.map((b) => b[3])),
        firstMean: mean(bs.filter((b) => b[0] < windowS * 1000).map((b) => b[3])),
        lastMean: mean(bs.filter((b) => b[0] >= (raw.seconds - windowS) * 1000).map((b) => b[3])),
        fixedMs: mean(steady.map((b) => b[3])) - per * mean(steady.map((b) => b[4])),
        usPerRecord: per * 1000,
      };
    })(),
    rss: {
      afterFirstWindow: raw.memory.find((m) => m[0] >= windowS * 1000)?.[1] ?? NaN,
      atEnd: raw.memory.at(-1)?.[1] ?? NaN,
      heapAtEnd: raw.memory.at(-1)?.[2] ?? NaN,
    },
    scheduling: { p50: pct(schedSorted, 0.5), p99: pct(schedSorted, 0.99), max: schedSorted.at(-1) ?? NaN, slopeMsPerS, firstMean, lastMean, windowS },
    timerLateness: { p50: pct(late, 0.5), p99: pct(late, 0.99), max: late.at(-1) ?? NaN },
    endToEnd: { p50: pct(e2e, 0.5), p99: pct(e2e, 0.99), max: e2e.at(-1) ?? NaN },
    backlogAtEnd: raw.backlogAtEnd,
    gc: {
      pauses: raw.gc.pauses.length,
      over5ms: raw.gc.pauses.filter((g) => g[1] >= 5).length,
      maxMs: maxGc?.[1] ?? 0,
      maxKind: maxGc?.[2] ?? null,
      sumMs: raw.gc.pauses.reduce((a, g) => a + g[1], 0),
      tailBatches: tail.length,
      tailWithGc: tail.filter((b) => gcInside(b) >= 1).length,
    },
    eventLoopDelay: raw.eventLoopDelay,
    slowest: [...bs].sort((a, b) => b[3] - a[3]).slice(0, 5).map((b) => ({ atS: b[0] / 1000, processingMs: b[3], records: b[4], gcMsInside: Math.round(gcInside(b) * 10) / 10 })),
    peakRssMB: raw.maxRssKB / 1024,
    checks,
    pass: checks.p99UnderInterval && checks.noGrowth && checks.keptRate,
  };
}

const fmt = (n: number, d = 0): string => (Number.isFinite(n) ? n.toLocaleString('en-US', { minimumFractionDigits: d, maximumFractionDigits: d }) : '–');

function verdict(s: Summary): string {
  const c = s.checks;
  return (
    `${s.row}: ${s.pass ? 'PASS' : 'FAIL'} at ${fmt(s.offeredLinesPerS)} lines/s offered (${fmt(fraction, 2)} × ${s.peakSource === s.row ? 'its own' : `${s.peakSource}'s`} peak ${fmt(s.peakLinesPerS)}), ${batchMs} ms batches — ` +
    `p99 processing ${fmt(s.processing.p99)} ms ${c.p99UnderInterval ? '<' : '≥'} ${batchMs} ms (${fmt(s.processing.p99Steady)} ms without the first ${WARMUP_S} s; ${s.processing.overInterval} of ${s.batches} batches ≥ ${batchMs} ms); ` +
    `scheduling delay ${c.noGrowth ? 'does not grow' : 'GROWS'} (slope ${fmt(s.scheduling.slopeMsPerS, 2)} ms/s, mean ${fmt(s.scheduling.firstMean, 1)} ms in the first ${fmt(s.scheduling.windowS)} s vs ${fmt(s.scheduling.lastMean, 1)} ms in the last, backlog ${s.backlogAtEnd} at the end); ` +
    `${c.keptRate ? 'took' : 'FELL BEHIND the feeder: took only'} ${fmt((100 * s.receivedLinesPerS) / s.offeredLinesPerS, 1)} % of the offered lines. ` +
    `(Processing itself: mean ${fmt(s.processingTrend.firstMean, 1)} ms in the first window vs ${fmt(s.processingTrend.lastMean, 1)} ms in the last, slope ${fmt(s.processingTrend.slopeMsPerS, 2)} ms/s; ` +
    `RSS ${fmt(s.rss.afterFirstWindow)} → ${fmt(s.rss.atEnd)} MB.)`
  );
}

function markdown(summaries: Summary[], meta: Record<string, unknown>): string {
  const head = [
    'row', 'peak lines/s (of)', 'offered lines/s', 'processed lines/s', 'batches',
    'proc p50 / p90 / p99 / max ms', 'sched p50 / p99 / max ms', 'sched slope ms/s', `sched mean first / last ${fmt(summaries[0]?.scheduling.windowS ?? 10)} s ms`,
    `proc mean first / last ${fmt(summaries[0]?.scheduling.windowS ?? 10)} s ms`, 'backlog at end', 'main GC max ms', 'RSS MB after first window / end / peak', 'verdict',
  ];
  const lines = [
    `Latency at ${fmt(fraction, 2)} × peak input rate, ${batchMs} ms batches, ${seconds} s per row. Corpus ${meta.corpus} (${fmt(corpus.bytes / 1e6, 1)} MB, looped by a paced feeder process). ${meta.cores} cores, Node ${meta.node}, ${meta.date}; wall ${fmt(Number(meta.wallS))} s.`,
    '',
    `| ${head.join(' | ')} |`,
    `| --- | ${head.slice(1).map((h) => (h === 'verdict' ? ':---:' : '---:')).join(' | ')} |`,
  ];
  for (const s of summaries) {
    const p = s.processing;
    const d = s.scheduling;
    lines.push(
      `| ${s.row} | ${fmt(s.peakLinesPerS)} (${s.peakSource === s.row ? 'own' : s.peakSource}) | ${fmt(s.offeredLinesPerS)} | ${fmt(s.processedLinesPerS)} | ${s.batches} | ` +
        `${fmt(p.p50)} / ${fmt(p.p90)} / **${fmt(p.p99)}** / ${fmt(p.max)} | ${fmt(d.p50)} / ${fmt(d.p99)} / ${fmt(d.max)} | ${fmt(d.slopeMsPerS, 2)} | ${fmt(d.firstMean, 1)} / ${fmt(d.lastMean, 1)} | ` +
        `${fmt(s.processingTrend.firstMean, 1)} / ${fmt(s.processingTrend.lastMean, 1)} | ${s.backlogAtEnd} | ${fmt(s.gc.maxMs, 1)} | ${fmt(s.rss.afterFirstWindow)} / ${fmt(s.rss.atEnd)} / ${fmt(s.peakRssMB)} | ${s.pass ? 'PASS' : 'FAIL'} |`,
    );
  }
  lines.push(
    '',
    `Peak: ${[...new Set(summaries.map((s) => s.peakSource))].map((id) => `${id} ${fmt(peaks.get(id)!.linesPerS)} lines/s (${peaks.get(id)!.how})`).join('; ')}. ` +
      `Processing / scheduling delay: BatchInfo.processingDelay / schedulingDelay (start − submission) of every batch in the ${seconds} s after the receiver connected. ` +
      `Slope: least squares of scheduling delay over batch time. PASS: p99 processing < ${batchMs} ms, slope × ${seconds} s ≤ ${batchMs} ms, last-window mean ≤ first-window mean + ${batchMs} ms and backlog ≤ 2 batches, and ≥ 95 % of the offered lines received. Main GC: the consumer's main thread only.`,
    '',
    `Reproduce: \`${meta.command}\` (options: \`npm run bench:latency -- --help\`).`,
  );
  return lines.join('\n') + '\n';
}

const summaries: Summary[] = [];
const raws: Record<string, Raw> = {};
const failures: string[] = [];
try {
  for (const row of rows) {
    const peak = peaks.get(peakSource(row).id)!;
    const rate = Math.round(peak.linesPerS * fraction);
    console.error(`latency ${row.id.padEnd(26)} offering ${fmt(rate)} lines/s for ${seconds} s …`);
    try {
      const raw = await latencyRun(row, rate);
      raws[row.id] = raw;
      const s = analyze(row, peak, rate, raw);
      summaries.push(s);
      console.error(
        `latency ${row.id.padEnd(26)} ${s.batches} batches, ${fmt(s.processedLinesPerS)} lines/s processed, proc p99 ${fmt(s.processing.p99)} ms (from ${WARMUP_S} s: ${fmt(s.processing.p99Steady)}), ` +
          `sched p99 ${fmt(s.scheduling.p99)} ms, slope ${fmt(s.scheduling.slopeMsPerS, 2)} ms/s, timer lateness p99 ${fmt(s.timerLateness.p99)} ms, ` +
          `event-loop delay p99 ${fmt(s.eventLoopDelay.p99)} ms; main-thread GC: ${s.gc.pauses} pauses ≥ 1 ms (max ${fmt(s.gc.maxMs, 1)} ms ${s.gc.maxKind ?? ''}), ` +
          `${s.gc.tailWithGc}/${s.gc.tailBatches} p99-tail batches had ≥ 1 ms of it inside; slowest: ${s.slowest.map((b) => `${fmt(b.processingMs)} ms @${fmt(b.atS, 1)} s${b.gcMsInside ? ` (gc ${b.gcMsInside})` : ''}`).join(', ')}`,
      );
    } catch (e) {
      failures.push(`${row.id}: ${e instanceof Error ? e.message : e}`);
      console.error(`latency ${row.id}: FAILED: ${failures.at(-1)}`);
    }
  }
} finally {
  killChildren();
}

const meta = {
  corpus: corpus.source, mb: corpus.bytes / 1e6, lines: corpus.lines, batchMs, seconds, fraction,
  command: ['npm run bench:latency', ...(process.argv.length > 2 ? ['--', ...process.argv.slice(2)] : [])].join(' '),
  cores: availableParallelism(), node: process.version, date: new Date().toISOString().slice(0, 10), wallS: (performance.now() - wallStart) / 1000,
};
console.log('\n' + markdown(summaries, meta));
for (const s of summaries) console.log(verdict(s));
for (const f of failures) console.log(`${f.split(':')[0]}: FAIL (run failed: ${f})`);

if (!opts['no-write']) {
  const dir = fileURLToPath(new URL('./results/', import.meta.url));
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `latency-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  const { file: _file, ...corpusInfo } = corpus;
  const peakInfo = Object.fromEntries([...peaks].map(([id, p]) => [id, { ...p, runs: p.runs?.map(({ series: _s, ...m }) => m) }]));
  writeFileSync(file, JSON.stringify({ options: opts, corpus: corpusInfo, meta, peaks: peakInfo, summaries, failures, raw: raws }) + '\n');
  console.log(`\nraw results: ${file}`);
}
console.log(`wall time: ${meta.wallS.toFixed(1)} s`);
if (failures.length > 0 || summaries.some((s) => !s.pass)) process.exitCode = 1;

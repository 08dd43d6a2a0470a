/**
 * The seed's network WordCount on chispa, timed end to end over a local TCP socket:
 *
 *   node --import tsx bench/chispa-wordcount.ts --master local[2] --fast-path true|false
 *     --mode stateless|stateful --port PORT --expected LINES [--host 127.0.0.1] [--batch 0.25]
 *     [--timeout 300]
 *
 * Runs the literal program against a server that sends a corpus once, and prints one JSON line
 * when the batch holding the corpus's last line has been processed:
 *
 * - stateless: `flatMap(line => line.split(' ')).map(word => [word, 1]).reduceByKey(add)`, every
 *   batch computed fully in foreachRDD (`count()` + a per-partition sum of the counts).
 * - stateful: the same pairs into `updateStateByKey((vs, last) => vs.reduce((a, b) => a + b, 0) +
 *   (last ?? 0))` with `ssc.checkpoint(<temp dir>)`; every batch's RDD (the whole state) gets the
 *   same two jobs, so the last batch's sum and count are the run's word total and distinct words.
 *
 * Timing: t0 is the first moment the receiver is seen connected (`receiverStats().connects > 0`,
 * polled every 1 ms; the naive baseline starts at its socket's 'connect'); tEnd is the
 * `processingEndTime` of the batch after which the cumulative `numRecords` reaches `--expected`
 * (so it includes the wait for the next batch tick after the last byte: what a micro-batch engine
 * costs end to end). `receivedMs`: when the receiver had every line (same poll). `series`: per
 * batch from the first non-empty one, `[ms since t0 at batch time, processing ms, records]`.
 * `fastPath` goes to `SparkConf.fastPath`; `false` forces the generic path.
 */
import { parseArgs } from 'node:util';
import type { BatchInfo } from '../src/index.js';
import { wordCountProgram } from './wordcount-program.js';

const { values: o } = parseArgs({
  options: {
    master: { type: 'string', default: 'local[2]' },
    'fast-path': { type: 'string', default: 'true' },
    mode: { type: 'string', default: 'stateless' },
    host: { type: 'string', default: '127.0.0.1' },
    port: { type: 'string' },
    expected: { type: 'string' },
    batch: { type: 'string', default: '0.25' },
    timeout: { type: 'string', default: '300' },
  },
});
const expected = Number(o.expected);
const fastPath = o['fast-path'] === 'true';
if (!(Number(o.port) > 0) || !(expected > 0) || !(Number(o.batch) > 0) || !['true', 'false'].includes(o['fast-path']) || !['stateless', 'stateful'].includes(o.mode)) {
  process.stderr.write('usage: chispa-wordcount.ts --master M --fast-path true|false --mode stateless|stateful --port P --expected LINES [--batch S]\n');
  process.exit(2);
}
// Never hang: the driver kills us too, but this also covers a driver that died.
setTimeout(() => fail(new Error(`timed out after ${o.timeout} s`)), Number(o.timeout) * 1000).unref();

const { ssc, lines, totals, cleanup } = await wordCountProgram({
  master: o.master,
  fastPath,
  mode: o.mode as 'stateless' | 'stateful',
  host: o.host,
  port: Number(o.port),
  batchSeconds: Number(o.batch),
  appName: 'bench',
});

const batches: BatchInfo[] = [];
let records = 0;
const lastBatch = new Promise<BatchInfo>((resolve, reject) => {
  ssc.addStreamingListener({
    onBatchCompleted(info) {
      batches.push(info);
      if (info.failures.length > 0) reject(info.failures[0]);
      records += info.numRecords;
      if (records >= expected) resolve(info);
    },
  });
});

let t0: number | undefined;
let tReceived: number | undefined;
const poll = setInterval(() => {
  const s = lines.receiverStats();
  if (t0 === undefined && s.connects > 0) t0 = Date.now();
  if (tReceived === undefined && s.lines >= expected) tReceived = Date.now();
}, 1);

ssc.start();
// With that retry delay a refused first connect would wait an hour: fail fast instead.
setTimeout(() => lines.receiverStats().connects === 0 && fail(new Error(`cannot connect to ${o.host}:${o.port}`)), 10_000).unref();
try {
  const last = await lastBatch;
  clearInterval(poll);
  const stats = lines.receiverStats();
  const start = t0 ?? last.processingStartTime!;
  const firstData = batches.findIndex((b) => b.numRecords > 0);
  const ran = batches.slice(Math.max(0, firstData));
  const processing = ran.map((b) => b.processingDelay ?? 0).sort((a, b) => a - b);
  const result = {
    lines: records,
    words: totals().words,
    distinct: o.mode === 'stateful' ? totals().distinct : null, // stateless batches have no global distinct count
    distinctSum: totals().distinctSum,
    ms: last.processingEndTime! - start,
    receivedMs: tReceived === undefined ? null : tReceived - start,
    receiver: stats,
    batches: {
      count: ran.length,
      p50ProcessingMs: percentile(processing, 0.5),
      p99ProcessingMs: percentile(processing, 0.99),
      maxSchedulingDelayMs: Math.max(0, ...batches.map((b) => b.schedulingDelay ?? 0)),
    },
    series: ran.map((b) => [b.batchTime - start, b.processingDelay ?? 0, b.numRecords]),
    maxRssKB: process.resourceUsage().maxRSS,
  };
  process.stdout.write(JSON.stringify(result) + '\n');
} catch (e) {
  fail(e);
}
await Promise.race([ssc.stop(), new Promise((r) => setTimeout(r, 10_000).unref())]);
cleanup();
process.exit(0);

/** Nearest-rank percentile of sorted values; null when there are none. */
function percentile(sorted: number[], q: number): number | null {
  return sorted.length === 0 ? null : sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)];
}

function fail(e: unknown): never {
  process.stderr.write(`chispa-wordcount (${o.master}, ${o.mode}): ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  cleanup();
  process.exit(1);
}

/**
 * The seed's network WordCount on chispa, timed end to end over a local TCP socket:
 *
 *   node --import tsx bench/chispa-wordcount.ts MASTER HOST PORT EXPECTED_LINES BATCH_SECONDS
 *
 * Runs the literal program (socketTextStream → flatMap → map → reduceByKey(add), every batch
 * computed fully by `rdd.count()` in foreachRDD) against a server that sends a corpus once, and
 * prints one JSON line when the batch holding the corpus's last line has been processed.
 *
 * - t0: the first moment the receiver is seen connected (`receiverStats().connects > 0`, polled
 *   every 1 ms; `connects` rather than `connected` because a small corpus may connect, arrive and
 *   close between two polls). The naive baseline starts at its socket's 'connect' event; the poll
 *   adds at most ~1 ms (the main thread is idle before data arrives).
 * - tEnd: `processingEndTime` of the batch after which the cumulative `numRecords` reaches
 *   EXPECTED_LINES. It includes the wait for the next batch tick after the last byte arrived (up
 *   to one batch interval): that is what a micro-batch engine costs end to end.
 * - receivedMs: when `receiverStats().lines` reached EXPECTED_LINES (same poll; late by however
 *   long the main thread was busy), to separate ingest from processing.
 *
 * For the correctness check each batch also sums its counts (`words`, to compare with the naive
 * row's total); that second job reads the batch's cached shuffle output, so it adds a pass over
 * the distinct words only, not over the lines.
 */
import { SparkContext, StreamingContext, add, type BatchInfo } from '../src/index.js';

const [master, host, portArg, expectedArg, batchArg, timeoutArg = '300'] = process.argv.slice(2);
const expected = Number(expectedArg);
if (!master || !host || !(Number(portArg) > 0) || !(expected > 0) || !(Number(batchArg) > 0)) {
  process.stderr.write('usage: chispa-wordcount.ts MASTER HOST PORT EXPECTED_LINES BATCH_SECONDS [TIMEOUT_SECONDS]\n');
  process.exit(2);
}
// Never hang: the driver kills us too, but this also covers a driver that died.
setTimeout(() => fail(new Error(`timed out after ${timeoutArg} s`)), Number(timeoutArg) * 1000).unref();

const sc = new SparkContext({ master, appName: 'bench' });
sc.setLogLevel('ERROR');
// Warm-up: a pool's threads boot (and, from sources, load tsx) asynchronously; one tiny job makes
// sure they are up before the clock starts, so we time throughput, not thread start-up.
await sc.parallelize([0, 1], sc.defaultParallelism).count();

const ssc = new StreamingContext(sc, Number(batchArg));
// A receiver reconnects when the server closes, and the feeder would serve the corpus again: a
// huge first retry delay keeps the run to exactly one copy (checked below with `connects`).
const lines = ssc.socketTextStream(host, Number(portArg), { initialDelayMs: 3_600_000 });
const counts = lines.flatMap((line) => line.split(' ')).map((word) => [word, 1]).reduceByKey(add);

let distinctSum = 0; // distinct words per batch, summed over batches (not global: batches are stateless)
let words = 0;
counts.foreachRDD(async (rdd) => {
  distinctSum += await rdd.count();
  // mapPartitions, not reduce: reduce rejects on an empty batch, and there are some before data.
  const sums = await rdd.mapPartitions((pairs) => {
    let s = 0;
    for (const p of pairs) s += p[1];
    return [s];
  }).collect();
  for (const s of sums) words += s;
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
setTimeout(() => lines.receiverStats().connects === 0 && fail(new Error(`cannot connect to ${host}:${portArg}`)), 10_000).unref();
try {
  const last = await lastBatch;
  clearInterval(poll);
  const stats = lines.receiverStats();
  const start = t0 ?? last.processingStartTime!;
  const nonEmpty = batches.filter((b) => b.numRecords > 0);
  const processing = nonEmpty.map((b) => b.processingDelay!).sort((a, b) => a - b);
  const result = {
    bytes: stats.bytes, // line bytes, terminators excluded
    lines: records,
    words,
    distinct: null, // stateless batches have no global distinct count; see distinctSum
    distinctSum,
    ms: last.processingEndTime! - start,
    receivedMs: tReceived === undefined ? null : tReceived - start,
    receiver: stats,
    batches: {
      count: batches.length,
      nonEmpty: nonEmpty.length,
      p50ProcessingMs: percentile(processing, 0.5),
      p99ProcessingMs: percentile(processing, 0.99),
      maxProcessingMs: processing.at(-1) ?? null,
      maxSchedulingDelayMs: Math.max(0, ...batches.map((b) => b.schedulingDelay ?? 0)),
      records: nonEmpty.map((b) => b.numRecords),
    },
    maxRssKB: process.resourceUsage().maxRSS,
  };
  process.stdout.write(JSON.stringify(result) + '\n');
} catch (e) {
  fail(e);
}
await Promise.race([ssc.stop(), new Promise((r) => setTimeout(r, 10_000).unref())]);
process.exit(0);

/** Nearest-rank percentile of sorted values; null when there are none. */
function percentile(sorted: number[], q: number): number | null {
  return sorted.length === 0 ? null : sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)];
}

function fail(e: unknown): never {
  process.stderr.write(`chispa-wordcount (${master}): ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exit(1);
}

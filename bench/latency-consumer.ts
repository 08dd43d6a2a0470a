/**
 * The seed's network WordCount on chispa, run for a fixed time against a paced, looping feeder
 * (bench/latency.ts drives it):
 *
 *   node --import tsx bench/latency-consumer.ts --master local[2] --fast-path true|false
 *     --mode stateless|stateful --port PORT [--host 127.0.0.1] [--batch 0.1] [--seconds 60]
 *     [--timeout 120]
 *
 * Same program as bench/chispa-wordcount.ts (flatMap / map / reduceByKey or updateStateByKey,
 * every batch computed fully in foreachRDD by `count()` + a per-partition sum), but it does not
 * stop at an expected line count: t0 is the first moment the receiver is seen connected (polled
 * every 1 ms); at t0 + `--seconds` it notes how many submitted batches have not started yet
 * (`backlogAtEnd`), then stops (non-graceful: the running batch finishes, pending ones are
 * dropped) and prints one JSON line:
 *
 * - `batches`: every completed batch as `[batchTime − t0, submissionTime − batchTime (timer
 *   lateness), schedulingDelay, processingDelay, numRecords]`, ms;
 * - `submitted` / `started` / `completed` counts at the deadline, `receiver` stats;
 * - `gc`: the main thread's GC pauses (PerformanceObserver 'gc'; worker threads' GCs are not
 *   visible here) as `[start − t0, duration, kind]` for pauses ≥ 1 ms, plus their count and sum;
 * - `eventLoopDelay`: the main thread's event-loop delay (monitorEventLoopDelay, 10 ms
 *   resolution) p50 / p99 / max, ms;
 * - `memory`: every second, `[ms since t0, RSS MB (workers included), main-thread heapUsed MB]`;
 * - `maxRssKB`: the process's peak RSS (workers included).
 */
import { monitorEventLoopDelay, PerformanceObserver, performance, constants as perfConstants } from 'node:perf_hooks';
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
    batch: { type: 'string', default: '0.1' },
    seconds: { type: 'string', default: '60' },
    timeout: { type: 'string', default: '120' },
  },
});
const fastPath = o['fast-path'] === 'true';
const seconds = Number(o.seconds);
if (!(Number(o.port) > 0) || !(seconds > 0) || !(Number(o.batch) > 0) || !['true', 'false'].includes(o['fast-path']) || !['stateless', 'stateful'].includes(o.mode)) {
  process.stderr.write('usage: latency-consumer.ts --master M --fast-path true|false --mode stateless|stateful --port P [--batch S] [--seconds N]\n');
  process.exit(2);
}
setTimeout(() => fail(new Error(`timed out after ${o.timeout} s`)), Number(o.timeout) * 1000).unref();

const { ssc, lines, totals, cleanup } = await wordCountProgram({
  master: o.master,
  fastPath,
  mode: o.mode as 'stateless' | 'stateful',
  host: o.host,
  port: Number(o.port),
  batchSeconds: Number(o.batch),
  appName: 'bench-latency',
});

const completed: BatchInfo[] = [];
let submitted = 0;
let started = 0;
let firstFailure: Error | undefined;
ssc.addStreamingListener({
  onBatchSubmitted() {
    submitted++;
  },
  onBatchStarted() {
    started++;
  },
  onBatchCompleted(info) {
    completed.push(info);
    if (info.failures.length > 0) firstFailure ??= info.failures[0];
  },
});

// Main-thread GC pauses, in epoch ms (performance entries are relative to timeOrigin).
const gcKinds: Record<number, string> = {
  [perfConstants.NODE_PERFORMANCE_GC_MAJOR]: 'major',
  [perfConstants.NODE_PERFORMANCE_GC_MINOR]: 'minor',
  [perfConstants.NODE_PERFORMANCE_GC_INCREMENTAL]: 'incremental',
  [perfConstants.NODE_PERFORMANCE_GC_WEAKCB]: 'weakcb',
};
const gcs: [number, number, string][] = [];
const gcObserver = new PerformanceObserver((list) => {
  for (const e of list.getEntries()) {
    const kind = ((e as unknown as { detail?: { kind?: number } }).detail)?.kind ?? -1;
    gcs.push([performance.timeOrigin + e.startTime, e.duration, gcKinds[kind] ?? String(kind)]);
  }
});
gcObserver.observe({ entryTypes: ['gc'] });
const loopDelay = monitorEventLoopDelay({ resolution: 10 });
const memory: [number, number, number][] = [];

const connected = new Promise<number>((resolve) => {
  const poll = setInterval(() => {
    if (lines.receiverStats().connects > 0) {
      clearInterval(poll);
      resolve(Date.now());
    }
  }, 1);
});

ssc.start();
setTimeout(() => lines.receiverStats().connects === 0 && fail(new Error(`cannot connect to ${o.host}:${o.port}`)), 10_000).unref();
try {
  const start = await connected;
  loopDelay.enable();
  const sample = (): void => void memory.push([Date.now() - start, process.memoryUsage.rss() / 2 ** 20, process.memoryUsage().heapUsed / 2 ** 20]);
  sample();
  const sampler = setInterval(sample, 1000);
  await new Promise((r) => setTimeout(r, Math.max(0, start + seconds * 1000 - Date.now())));
  const deadline = Date.now();
  clearInterval(sampler);
  sample();
  const at = { submitted, started, completed: completed.length };
  const receiver = lines.receiverStats();
  loopDelay.disable();
  gcObserver.disconnect();
  await Promise.race([ssc.stop(), new Promise((r) => setTimeout(r, 10_000).unref())]);
  if (firstFailure) throw firstFailure;
  const ms = (ns: number): number => Math.round(ns / 1e4) / 100;
  const result = {
    seconds: (deadline - start) / 1000,
    batchMs: Number(o.batch) * 1000,
    ...at,
    backlogAtEnd: at.submitted - at.started,
    receiver,
    words: totals().words,
    lastDistinct: totals().distinct,
    batches: completed
      .filter((b) => b.batchTime >= start && b.batchTime <= deadline)
      .map((b) => [b.batchTime - start, b.submissionTime - b.batchTime, b.schedulingDelay ?? 0, b.processingDelay ?? 0, b.numRecords]),
    gc: {
      count: gcs.length,
      totalMs: gcs.reduce((a, g) => a + g[1], 0),
      pauses: gcs.filter((g) => g[1] >= 1 && g[0] >= start && g[0] <= deadline).map(([t, d, k]) => [t - start, Math.round(d * 100) / 100, k]),
    },
    memory: memory.map(([t, r, h]) => [t, Math.round(r), Math.round(h)]),
    eventLoopDelay: { p50: ms(loopDelay.percentile(50)), p99: ms(loopDelay.percentile(99)), max: ms(loopDelay.max) },
    maxRssKB: process.resourceUsage().maxRSS,
  };
  process.stdout.write(JSON.stringify(result) + '\n');
} catch (e) {
  fail(e);
}
cleanup();
process.exit(0);

function fail(e: unknown): never {
  process.stderr.write(`latency-consumer (${o.master}, ${o.mode}): ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  cleanup();
  process.exit(1);
}

/**
 * Micro-benchmarks (tinybench) of the engine's kernels, on the built-in text repeated to ~4 MB:
 * splitting socket bytes into a shared-memory batch, the seed's WordCount map stage as a task on
 * the generic path (decode, split, pair, map-side combine, shuffle block) and on the splitCount
 * kernel (also over 8 MB of the `npm run bench` corpus, whose many distinct words test the token
 * table), the JavaScript and WebAssembly splitCount kernels side by side, alone and as map tasks, the reduce side, the state merge, the record codec and partition hashing. Medians.
 *
 *   node --import tsx bench/kernels.ts
 */
import { readFileSync } from 'node:fs';
import { Bench } from 'tinybench';
import { add } from '../src/functions.js';
import { runTask } from '../src/exec/executor.js';
import { createSink } from '../src/exec/sinks.js';
import { runSplitCountJs, runSplitCountToBlock } from '../src/exec/split-count.js';
import { runSplitCountWasm } from '../src/exec/wasm-split-count.js';
import { partitionOfEncoded } from '../src/exec/partition-hash.js';
import { LineBatchBuilder } from '../src/memory/line-batch.js';
import { SegmentPool } from '../src/memory/segment-pool.js';
import { ValueReader, ValueWriter } from '../src/memory/value-codec.js';
import type { Aggregator, Task } from '../src/plan/task.js';
import { LineSplitter } from '../src/sources/line-splitter.js';
import { generatedCorpus } from './corpus.js';

const text = readFileSync(new URL('../src/cli/data/genesis.txt', import.meta.url));
const corpus = Buffer.concat(Array.from({ length: 20 }, () => text));
const MB = corpus.length / 1e6;
const pool = new SegmentPool();

function splitIntoBatch(bytes: Uint8Array = corpus) {
  const builder = new LineBatchBuilder(pool);
  const splitter = new LineSplitter(builder);
  for (let off = 0; off < bytes.length; off += 64 * 1024) splitter.write(bytes.subarray(off, off + 64 * 1024));
  splitter.end();
  const batch = builder.cut();
  builder.dispose();
  return batch;
}

const batch = splitIntoBatch();
const ranges = batch.segments.map((s) => ({ sab: s.sab, from: 0, to: s.lineCount }));
const agg: Aggregator = { kind: 'combine', merge: add, mergeCombiners: add, op: 'reduceByKey' };
const mapTask: Task = {
  source: { kind: 'lines', ranges },
  ops: [
    { kind: 'flatMap', fn: (line: string) => line.split(' '), op: 'flatMap' },
    { kind: 'map', fn: (word: string) => [word, 1], op: 'map' },
  ],
  sink: { kind: 'shuffle', partitioner: { kind: 'hash', partitions: 2 }, agg },
  partition: 0,
};
const kernelTask: Task = { ...mapTask, ops: [], kernel: { kind: 'splitCount', separator: ' ', value: 1 } };
// The same kernel on the first 8 MB of `npm run bench`'s corpus: ~50 k distinct words instead of
// Genesis's ~3 k, so the token table no longer fits the fastest caches.
const zipf = readFileSync(generatedCorpus(64, 42).file).subarray(0, 8_000_000);
const zipfBatch = splitIntoBatch(zipf);
const zipfKernelTask: Task = { ...kernelTask, source: { kind: 'lines', ranges: zipfBatch.segments.map((s) => ({ sab: s.sab, from: 0, to: s.lineCount })) } };
// The two splitCount kernels alone, side by side in one run (the machine is shared and noisy):
// counting only, into a consumer that drops the records.
const drop = { push: () => {}, end: () => {}, pushEncoded: () => {} };
const spec = { kind: 'splitCount', separator: ' ', value: 1 } as const;
const zipfRanges = zipfBatch.segments.map((s) => ({ sab: s.sab, from: 0, to: s.lineCount }));
// And as map tasks: the JavaScript kernel into the shuffle writer, beside the WebAssembly kernel
// writing the shuffle block itself (what a fast-path map task runs).
const shuffle = mapTask.sink;
const jsMapTask = (rs: typeof ranges) => {
  const sink = createSink(shuffle, 0);
  runSplitCountJs(spec, rs, sink);
  return sink.result();
};
const wasmMapTask = (rs: typeof ranges) => runSplitCountToBlock(spec, rs, 2, createSink(shuffle, 0));
const mapResult = runTask(mapTask);
if (!mapResult.ok) throw new Error(mapResult.error.message);
const block = mapResult.value as SharedArrayBuffer;
const reduceTask: Task = { source: { kind: 'shuffle', blocks: [block, block], section: 0, agg }, ops: [], sink: { kind: 'count' }, partition: 0 };
// State merge: fold the batch's counts (section 0) into a state block that already holds them.
const stateUpdate = { kind: 'update' as const, fn: (vs: number[], s: number | null) => vs.reduce((a, b) => a + b, 0) + (s ?? 0), combineWith: add };
const firstState = runTask({ source: reduceTask.source, ops: [], sink: { kind: 'updateState', prev: null, op: 'updateStateByKey', update: stateUpdate }, partition: 0 });
if (!firstState.ok) throw new Error(firstState.error.message);
const mergeTask: Task = {
  source: reduceTask.source,
  ops: [],
  sink: { kind: 'updateState', prev: (firstState.value as { state: SharedArrayBuffer }).state, op: 'updateStateByKey', update: stateUpdate },
  partition: 0,
};

const words = corpus.toString('utf8').split(/\s+/).slice(0, 100_000);
const bench = new Bench({ time: 1000 });
bench
  .add(`split ${MB.toFixed(1)} MB into a line batch`, () => splitIntoBatch().release())
  .add(`WordCount map task over ${MB.toFixed(1)} MB (decode, split, pair, combine, shuffle block)`, () => void runTask(mapTask))
  .add(`WordCount map task on the splitCount kernel over ${MB.toFixed(1)} MB`, () => void runTask(kernelTask))
  .add('WordCount map task on the splitCount kernel over 8 MB of the Zipf bench corpus', () => void runTask(zipfKernelTask))
  .add(`splitCount, JavaScript kernel, ${MB.toFixed(1)} MB`, () => runSplitCountJs(spec, ranges, drop))
  .add(`splitCount, WebAssembly SIMD kernel, ${MB.toFixed(1)} MB`, () => void runSplitCountWasm(spec, ranges, drop))
  .add('splitCount, JavaScript kernel, 8 MB Zipf', () => runSplitCountJs(spec, zipfRanges, drop))
  .add('splitCount, WebAssembly SIMD kernel, 8 MB Zipf', () => void runSplitCountWasm(spec, zipfRanges, drop))
  .add(`map task: JavaScript kernel + shuffle writer, ${MB.toFixed(1)} MB`, () => void jsMapTask(ranges))
  .add(`map task: WebAssembly kernel writing the shuffle block, ${MB.toFixed(1)} MB`, () => void wasmMapTask(ranges))
  .add('map task: JavaScript kernel + shuffle writer, 8 MB Zipf', () => void jsMapTask(zipfRanges))
  .add('map task: WebAssembly kernel writing the shuffle block, 8 MB Zipf', () => void wasmMapTask(zipfRanges))
  .add('WordCount reduce task (merge 2 blocks of one partition)', () => void runTask(reduceTask))
  .add('state merge of that partition into its state block', () => void runTask(mergeTask))
  .add('encode + decode 100k words', () => {
    const w = new ValueWriter();
    for (const x of words) w.write(x);
    const r = new ValueReader(w.buf, 0, w.length);
    while (!r.done) r.read();
  })
  .add('encode + xxhash partition of 100k words', () => {
    const key = new ValueWriter(64);
    for (const x of words) {
      key.reset();
      key.write(x);
      partitionOfEncoded(key.buf, 0, key.length, 8);
    }
  });
await bench.run();
console.table(bench.table());
console.log(`corpus: ${MB.toFixed(1)} MB; MB/s = ${MB.toFixed(1)} / (median ms / 1000)`);

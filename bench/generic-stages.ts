/**
 * Where a generic-path batch goes, stage by stage, on one thread: `npm run bench:generic`
 *
 *   node --import tsx bench/generic-stages.ts [--mb 6] [--reps 7] [--input FILE]
 *
 * The end-to-end bench (bench/run.ts) times whole runs over a socket; this probe takes one batch
 * of the corpus (default 6 MB, what a 250 ms batch holds at ~25 MB/s) as two map partitions in
 * shared line segments, and times each task of the seed's WordCount with `fastPath: false` as a
 * worker runs it (`executeTask`), then the same steps taken apart (decoding only; decoding and the
 * user's lambdas into nothing). The naive script's loop (split + `Map` get/set, on lines already
 * decoded) is the per-core reference. Times are the minimum of `--reps` runs, so a shared machine
 * inflates them less (CPU time, min); ratios between rows of one run are what to read.
 *
 * Rows: `map task` = decode + flatMap/map + map-side combine + shuffle writer; `reduce (count)` =
 * the merge of the two map outputs for one reduce partition into a `count()`, keeping the merged
 * block; `read kept block` = the bench's second job (`mapPartitions` sum over the kept block);
 * `state update` = the stateful reduce task (groupByKey map side, updateStateByKey merge into a
 * previous state of every key).
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { executeTask } from '../src/exec/executor.js';
import { buildChain } from '../src/exec/pipeline.js';
import { readSource } from '../src/exec/read-source.js';
import { add } from '../src/functions.js';
import { allocateLineSegment, LineSegmentView } from '../src/memory/line-segment.js';
import type { Aggregator, NarrowOp, Task, TaskResult } from '../src/plan/task.js';
import { generatedCorpus } from './corpus.js';

const { values: o } = parseArgs({ options: { mb: { type: 'string', default: '6' }, reps: { type: 'string', default: '7' }, input: { type: 'string' } } });
const file = o.input ?? generatedCorpus(64, 42).file;
const text = readFileSync(file);
const want = Number(o.mb) * 1e6;
const cut = text.indexOf(10, Math.min(want, text.length - 1));
const batch = text.subarray(0, cut < 0 ? text.length : cut + 1);
const lines = batch.toString('utf8').split('\n');
lines.pop();

/** Two line segments (two map partitions), as the receiver lays a batch out. */
function segments(): SharedArrayBuffer[] {
  const half = lines.length >> 1;
  return [lines.slice(0, half), lines.slice(half)].map((part) => {
    const bytes = part.map((l) => Buffer.from(l, 'utf8'));
    const total = bytes.reduce((n, b) => n + b.length, 0);
    const sab = allocateLineSegment(part.length, total);
    const seg = new LineSegmentView(sab);
    let at = 0;
    bytes.forEach((b, i) => {
      seg.offsets[i] = at;
      seg.bytes.set(b, at);
      at += b.length;
    });
    seg.seal(part.length, at);
    return sab;
  });
}
const segs = segments();
const ops: NarrowOp[] = [
  { kind: 'flatMap', fn: (line: string) => line.split(' '), op: 'flatMap' },
  { kind: 'map', fn: (word: string) => [word, 1], op: 'map' },
];
const reduceByKey: Aggregator = { kind: 'combine', merge: add, mergeCombiners: add, op: 'reduceByKey' };
const group: Aggregator = { kind: 'group', op: 'updateStateByKey' };
const sumUpdate = (vs: number[], last: number | null): number => vs.reduce((a, b) => a + b, 0) + (last ?? 0);
const P = 2;

function run(task: Task): unknown {
  const r = executeTask(task) as TaskResult;
  if (!r.ok) throw new Error(`${r.error.op}: ${r.error.message}`);
  return r;
}
const mapTask = (i: number, agg: Aggregator): Task => ({
  source: { kind: 'lines', ranges: [{ sab: segs[i], from: 0, to: new LineSegmentView(segs[i]).lineCount }] },
  ops,
  sink: { kind: 'shuffle', partitioner: { kind: 'hash', partitions: P }, agg },
  partition: i,
});
const mapOutputs = (agg: Aggregator): SharedArrayBuffer[] => segs.map((_, i) => (run(mapTask(i, agg)) as { value: SharedArrayBuffer }).value);

const reps = Number(o.reps);
/**
 * Minimum CPU ms (this process's user + system time) of `reps` runs of `f`, after one warm-up run:
 * CPU time, not wall time, so that other processes on a shared machine inflate it less.
 */
function time(f: () => void): number {
  f();
  let best = Infinity;
  for (let i = 0; i < reps; i++) {
    const t = process.cpuUsage();
    f();
    const d = process.cpuUsage(t);
    best = Math.min(best, (d.user + d.system) / 1000);
  }
  return best;
}

const blocks = mapOutputs(reduceByKey);
const grouped = mapOutputs(group);
const kept = blocks.map((_, r) => (run({ source: { kind: 'shuffle', blocks, section: r, agg: reduceByKey }, ops: [], sink: { kind: 'count' }, partition: r, keep: true }) as { kept: SharedArrayBuffer }).kept);
// A previous state holding every key of the batch (a long-running stateful job's steady state).
const prevState = blocks.map((_, r) => ((run({ source: { kind: 'shuffle', blocks: grouped, section: r, agg: group }, ops: [], sink: { kind: 'updateState', prev: null, op: 'updateStateByKey', update: { kind: 'update', fn: sumUpdate } }, partition: r }) as { value: { state: SharedArrayBuffer } }).value.state));
const sumPartition = (ps: Iterable<[string, number]>): number[] => {
  let s = 0;
  for (const p of ps) s += p[1];
  return [s];
};

const noop = { push() {}, end() {} };
const rows: [string, number][] = [
  ['naive loop (split + Map get/set), decoded lines', time(() => {
    const counts = new Map<string, number>();
    for (const line of lines) for (const w of line.split(' ')) counts.set(w, (counts.get(w) ?? 0) + 1);
  })],
  ['decode lines only', time(() => segs.forEach((sab) => readSource({ kind: 'lines', ranges: [{ sab, from: 0, to: new LineSegmentView(sab).lineCount }] }, noop)))],
  ['decode + flatMap/map (user lambdas) into nothing', time(() => segs.forEach((sab) => readSource({ kind: 'lines', ranges: [{ sab, from: 0, to: new LineSegmentView(sab).lineCount }] }, buildChain(ops, noop, 0))))],
  ['map tasks, reduceByKey (combine + shuffle write)', time(() => mapOutputs(reduceByKey))],
  ['map tasks, groupByKey (stateful map side)', time(() => mapOutputs(group))],
  ['reduce tasks, merge into count() + keep', time(() => blocks.forEach((_, r) => run({ source: { kind: 'shuffle', blocks, section: r, agg: reduceByKey }, ops: [], sink: { kind: 'count' }, partition: r, keep: true })))],
  ['read kept blocks (mapPartitions sum)', time(() => kept.forEach((sab, r) => run({ source: { kind: 'block', sab, section: 0 }, ops: [{ kind: 'mapPartitions', fn: sumPartition, op: 'mapPartitions', withIndex: false }], sink: { kind: 'collect' }, partition: r })))],
  ['state update tasks (group merge + updateStateByKey)', time(() => blocks.forEach((_, r) => run({ source: { kind: 'shuffle', blocks: grouped, section: r, agg: group }, ops: [], sink: { kind: 'updateState', prev: prevState[r], op: 'updateStateByKey', update: { kind: 'update', fn: sumUpdate } }, partition: r })))],
];
const mb = batch.length / 1e6;
console.log(`batch: ${mb.toFixed(1)} MB, ${lines.length} lines, 2 map partitions, ${P} reduce partitions; min of ${reps} runs, one thread`);
for (const [name, ms] of rows) console.log(`${name.padEnd(54)} ${ms.toFixed(1).padStart(8)} ms ${(mb / (ms / 1000)).toFixed(1).padStart(8)} MB/s`);

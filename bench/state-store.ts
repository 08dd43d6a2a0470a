/**
 * Keyed state at scale: the "Done when" numbers of the keyed-state issue for numeric state (the
 * stateful WordCount, `updateStateByKey` with a sum), for N distinct word-like keys in P = 2
 * state partitions.
 *
 *   node --expose-gc --import tsx bench/state-store.ts [--keys 1000000,10000000] [--runs 5]
 *     [--cp-runs 3] [--build-batches 1]
 *     [--merge indexed,full] [--batches 50] [--interleave] [--dir /tmp]
 *
 * Each key count runs in a fresh child process (same Node flags) so that its memory readings
 * start from a clean heap. In the child, everything goes through the engine's own task code
 * (`runTask`, on this thread, as master `local` runs it):
 *
 * - Build: the N keys (`w` + base-36 counter + 0–7 upper-case letters, ASCII; mostly 5–13 bytes,
 *   mean 8.5 at 1 M and 9.3 at 10 M) are
 *   encoded as `[key, 1]` records into PartitionedBlocks of ≤ 1 M records (the bytes
 *   `parallelizeBlock` writes), one map task each with a `shuffle` sink (hash, P = 2, `group`
 *   aggregator), then one reduce task per partition: `shuffle` source over every map block →
 *   `updateState` sink (`prev` null, or the previous block with `--build-batches` > 1) with the
 *   sum function. "build ms" is the whole of it.
 * - Bytes/key overhead: (Σ state block bytes − Σ UTF-8 key bytes) / N. Second view: the growth of
 *   `process.memoryUsage()` (rss, external, arrayBuffers, heapUsed) from before the build to after
 *   it, with only the state blocks still referenced and a full GC on both sides; and the peak RSS.
 * - Merge, per batch at a fixed batch size: consecutive batches of 100 000 `[key, 1]` records over
 *   10 000 distinct keys (5 000 already in the state, spread over it, and 5 000 never seen, each
 *   key 10 times, interleaved) as a 2-section block → 2 map tasks → 2 reduce tasks, each folding
 *   its partition into the state (`updateState` sink, `prev` = the previous batch's partition), so
 *   the state grows by 5 000 keys a batch from N. Two merges, chosen with `--merge`:
 *   - `indexed` (the stateful fast path): values summed map-side (`combine` aggregator,
 *     `combineWith: add`, as the planner sets for the recognised sum), merged into the indexed
 *     state (memory/indexed-state.ts) for the batch's keys only; a first, untimed batch turns the
 *     built blocks into indexed logs. `--batches` batches (default 50): median, mean and p99 of
 *     the per-batch merge (so the compactions show), and the ratio of the median to the first N's.
 *   - `full` (what every batch did before, and still does for an unrecognised update): `group`
 *     aggregator, the whole state read and rewritten; `--runs` batches (default 5), median.
 *   Reported: the two reduce tasks' sum (both partitions one after the other on one thread) and
 *   max (what 2 workers would take), and the map tasks apart. A GC before each batch.
 * - `--interleave`: instead of all the above, one child builds every size's state, then runs the
 *   indexed merge's batches round-robin over the sizes (`--batches` each), so that the load of a
 *   shared machine falls on every size alike: the per-batch ratio between sizes, alone.
 * - Checkpoint write: `writeCheckpoint` of the state blocks into a fresh temporary directory under
 *   `--dir` (default the OS temp dir), fsyncs included. Median of `--cp-runs` (default 3).
 * - Recovery: `readLatestCheckpoint` of the last written checkpoint until the blocks are back in
 *   shared memory (no merge), checked afterwards to hold N pairs, byte for byte the blocks that
 *   were written. The files were just written, so they are read from the page cache: this is the
 *   warm-cache time (the machine is shared, so the bench does not drop caches).
 *
 * Prints a markdown table and writes raw results to bench/results/state-store-<ISO time>.json.
 * Checkpoints go under one temporary directory per key count, which the parent removes when the
 * child ends, however it ends (also on Ctrl-C).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { readLatestCheckpoint, writeCheckpoint } from '../src/checkpoint/checkpoint-store.js';
import type { StateResult } from '../src/exec/state-update.js';
import { runTask } from '../src/exec/executor.js';
import { sealBlock } from '../src/memory/partitioned-block.js';
import { stateBlockCount } from '../src/memory/state-block.js';
import { readStatePart, statePartBlock, statePartCount, type StatePart } from '../src/memory/state-part.js';
import { add } from '../src/functions.js';
import { ValueWriter } from '../src/memory/value-codec.js';
import type { Aggregator, SinkDesc, Task } from '../src/plan/task.js';

const here = (p: string): string => fileURLToPath(new URL(p, import.meta.url));
const SELF = fileURLToPath(import.meta.url);

const { values: opts } = parseArgs({
  options: {
    keys: { type: 'string', default: '1000000,10000000' },
    runs: { type: 'string', default: '5' },
    'cp-runs': { type: 'string', default: '3' },
    'build-batches': { type: 'string', default: '1' },
    merge: { type: 'string', default: 'indexed,full' },
    batches: { type: 'string', default: '50' },
    dir: { type: 'string', default: tmpdir() },
    child: { type: 'string' }, // internal: measure one key count and report to the parent
    interleave: { type: 'boolean', default: false },
    'child-interleaved': { type: 'string' }, // internal: the interleaved run of these key counts
  },
});
const positiveInt = (name: string, s: string): number => {
  const n = Number(s);
  if (!(Number.isInteger(n) && n > 0)) throw new Error(`--${name} must be a positive integer, got '${s}'`);
  return n;
};
const runs = positiveInt('runs', opts.runs);
const cpRuns = positiveInt('cp-runs', opts['cp-runs']);
const buildBatches = positiveInt('build-batches', opts['build-batches']);
const mergeBatches = positiveInt('batches', opts.batches);
const modes = opts.merge.split(',').map((m) => m.trim());
for (const m of modes) if (m !== 'indexed' && m !== 'full') throw new Error(`--merge takes indexed and/or full, got '${m}'`);

const P = 2;
const BATCH_RECORDS = 100_000;
const BATCH_KEYS = 10_000;
const BATCH_EXISTING = 5_000;
const MAP_CHUNK = 1_000_000;
const RESULT_MARK = '@@state-store-result ';

const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const gc = (): void => {
  const g = (globalThis as { gc?: () => void }).gc;
  if (g) {
    g();
    g();
  }
};

// ---------------------------------------------------------------------------------------------
// Child: one key count.
// ---------------------------------------------------------------------------------------------

const SUFFIX = 'KLMNOPQ';
/** Key i: `w`, i in base 36, then 0–7 upper-case letters (never base-36 digits, so keys are distinct). */
function keyOf(i: number): string {
  const extra = Math.imul(i, 2654435761) >>> 29; // 0..7, a multiplicative hash of i
  return 'w' + i.toString(36) + SUFFIX.slice(0, extra);
}

/** The update function of the stateful WordCount: PySpark's `sum(values) + (state or 0)`. */
const sumUpdate = (values: number[], state: number | null): number => {
  let s = state ?? 0;
  for (let i = 0; i < values.length; i++) s += values[i];
  return s;
};

const groupAgg: Aggregator = { kind: 'group', op: 'updateStateByKey' };
const shuffleSink: SinkDesc = { kind: 'shuffle', partitioner: { kind: 'hash', partitions: P }, agg: groupAgg };
const sumAgg: Aggregator = { kind: 'combine', merge: add, mergeCombiners: add, op: 'updateStateByKey' };
const sumSink: SinkDesc = { kind: 'shuffle', partitioner: { kind: 'hash', partitions: P }, agg: sumAgg };
const p99 = (xs: readonly number[]): number => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.ceil(0.99 * xs.length) - 1)];

function run(task: Task): unknown {
  const r = runTask(task);
  if (!r.ok) throw new Error(`${r.error.op}: ${r.error.message}\n${r.error.stack ?? ''}`);
  return r.value;
}

/** A one-section block of `[key, 1]` records: the bytes `parallelizeBlock` writes for them. */
function pairsBlock(keys: Iterable<string>): SharedArrayBuffer {
  const w = new ValueWriter(1 << 20);
  let n = 0;
  for (const k of keys) {
    w.write([k, 1]);
    n++;
  }
  return sealBlock([w], [n]);
}

function* keyRange(from: number, to: number): Generator<string> {
  for (let i = from; i < to; i++) yield keyOf(i);
}

/** Map stage of a shuffle: one task per source, each returning a P-section block. */
function mapStage(sources: readonly Task['source'][], sink = shuffleSink): { blocks: SharedArrayBuffer[]; ms: number[] } {
  const blocks: SharedArrayBuffer[] = [];
  const ms: number[] = [];
  sources.forEach((source, i) => {
    const t0 = performance.now();
    blocks.push(run({ source, ops: [], sink, partition: i }) as SharedArrayBuffer);
    ms.push(performance.now() - t0);
  });
  return { blocks, ms };
}

/** Reduce stage: per partition, the shuffle read and the merge into `prev[r]`. */
function mergeStage(mapBlocks: SharedArrayBuffer[], prev: readonly StatePart[] | null, indexed = false): { state: StatePart[]; ms: number[] } {
  const state: StatePart[] = [];
  const ms: number[] = [];
  for (let r = 0; r < P; r++) {
    const t0 = performance.now();
    const res = run({
      source: { kind: 'shuffle', blocks: mapBlocks, section: r, agg: indexed ? sumAgg : groupAgg },
      ops: [],
      sink: { kind: 'updateState', prev: prev ? prev[r] : null, op: 'updateStateByKey', update: { kind: 'update', fn: sumUpdate, combineWith: indexed ? add : undefined } },
      partition: r,
    }) as StateResult;
    ms.push(performance.now() - t0);
    state.push(res.state);
  }
  return { state, ms };
}

/** The N-key state, built through the engine's map and merge tasks in `buildBatches` batches. */
function buildState(n: number, log: (s: string) => void) {
  const t0 = performance.now();
  let state: SharedArrayBuffer[] | null = null;
  const mapMs: number[] = [];
  const mergeMs: number[] = [];
  let encodeMs = 0;
  for (let b = 0; b < buildBatches; b++) {
    const from = Math.floor((b * n) / buildBatches);
    const to = Math.floor(((b + 1) * n) / buildBatches);
    const t1 = performance.now();
    const sources: Task['source'][] = [];
    for (let c = from; c < to; c += MAP_CHUNK) sources.push({ kind: 'block', sab: pairsBlock(keyRange(c, Math.min(to, c + MAP_CHUNK))), section: 0 });
    encodeMs += performance.now() - t1;
    const map = mapStage(sources);
    sources.length = 0;
    mapMs.push(...map.ms);
    const merged = mergeStage(map.blocks, state);
    map.blocks.length = 0;
    mergeMs.push(...merged.ms);
    state = merged.state.map(statePartBlock);
    log(`build batch ${b + 1}/${buildBatches}: map ${map.ms.map((x) => x.toFixed(0)).join('+')} ms, merge ${merged.ms.map((x) => x.toFixed(0)).join('+')} ms`);
  }
  return { blocks: state!, ms: performance.now() - t0, encodeMs, mapMs, mergeMs };
}

/** Batch b over an N-key state: 5 000 keys of the built state, spread over it, and 5 000 never seen, 10 records each. */
function batchBlock(n: number, b: number): SharedArrayBuffer {
  const batchKeys: string[] = [];
  for (let j = 0; j < BATCH_EXISTING; j++) batchKeys.push(keyOf(Math.floor(((j + 0.5) * n) / BATCH_EXISTING)));
  for (let j = 0; j < BATCH_KEYS - BATCH_EXISTING; j++) batchKeys.push(keyOf(n + b * (BATCH_KEYS - BATCH_EXISTING) + j));
  // Two sections, as a 2-partition batch; the same cut as parallelize.
  const sections = [0, 1].map((s) => {
    const w = new ValueWriter(1 << 20);
    for (let i = (s * BATCH_RECORDS) / 2; i < ((s + 1) * BATCH_RECORDS) / 2; i++) w.write([batchKeys[i % BATCH_KEYS], 1]);
    return w;
  });
  return sealBlock(sections, [BATCH_RECORDS / 2, BATCH_RECORDS / 2]);
}

/**
 * `--interleave`: every size's state built in one process, then the indexed merge's batches run
 * round-robin over the sizes, so that the machine's load (shared, noisy) falls on every size alike
 * and the ratios between sizes mean something.
 */
function measureInterleaved(ns: readonly number[]): Record<string, unknown>[] {
  const log = (s: string) => console.error(`[interleaved] ${s}`);
  const runsOf = ns.map((n) => ({ n, state: buildState(n, log).blocks as StatePart[], ms: [] as number[] }));
  for (let b = -1; b < mergeBatches; b++) {
    for (const r of runsOf) {
      const block = batchBlock(r.n, b + 1);
      gc();
      const map = mapStage([0, 1].map((section) => ({ kind: 'block' as const, sab: block, section })), sumSink);
      const merged = mergeStage(map.blocks, r.state, true);
      r.state = merged.state;
      // Batch -1 turns the built blocks into logs: untimed.
      if (b >= 0) r.ms.push(merged.ms[0] + merged.ms[1]);
    }
    if (b % 10 === 0) log(`batch ${b + 1}/${mergeBatches}: ${runsOf.map((r) => `${r.n}: ${r.ms[r.ms.length - 1]?.toFixed(1)} ms`).join(', ')}`);
  }
  return runsOf.map((r) => {
    const expected = r.n + (mergeBatches + 1) * (BATCH_KEYS - BATCH_EXISTING);
    const pairs = r.state.reduce((s, part) => s + statePartCount(part), 0);
    if (pairs !== expected) throw new Error(`N=${r.n}: ${pairs} pairs, expected ${expected}`);
    const sortedMs = [...r.ms].sort((a, b) => a - b);
    return { n: r.n, batches: mergeBatches, ms: r.ms, medianTotalMs: median(r.ms), p10TotalMs: sortedMs[Math.floor(0.1 * sortedMs.length)], p99TotalMs: p99(r.ms), meanTotalMs: r.ms.reduce((a, b) => a + b, 0) / r.ms.length };
  });
}

interface Mem {
  rss: number;
  heapUsed: number;
  external: number;
  arrayBuffers: number;
}
const mem = (): Mem => {
  const m = process.memoryUsage();
  return { rss: m.rss, heapUsed: m.heapUsed, external: m.external, arrayBuffers: m.arrayBuffers };
};

function measureOne(n: number): Record<string, unknown> {
  const log = (s: string) => console.error(`[N=${n.toLocaleString('en-US')}] ${s}`);
  let keyBytes = 0;
  for (let i = 0; i < n; i++) keyBytes += keyOf(i).length; // ASCII: UTF-8 bytes = length
  let minLen = Infinity;
  let maxLen = 0;
  for (let i = 0; i < Math.min(n, 100_000); i++) {
    const l = keyOf(n - 1 - i).length;
    minLen = Math.min(minLen, l);
    maxLen = Math.max(maxLen, l);
  }

  // ---- build ----
  gc();
  const before = mem();
  // In a function of its own: the map blocks must not stay reachable from this frame's registers.
  const build = buildState(n, log);
  const blocks = build.blocks;
  const buildMs = build.ms;
  gc();
  const after = mem();
  const maxRssAfterBuild = process.resourceUsage().maxRSS * 1024;
  const pairs = blocks.reduce((s, sab) => s + stateBlockCount(sab), 0);
  if (pairs !== n) throw new Error(`state holds ${pairs} pairs, expected ${n}`);
  const stateBytes = blocks.reduce((s, sab) => s + sab.byteLength, 0);
  const overhead = (stateBytes - keyBytes) / n;
  const perKey = (k: keyof Mem) => (after[k] - before[k]) / n;
  log(`built in ${buildMs.toFixed(0)} ms: ${(stateBytes / 2 ** 20).toFixed(1)} MiB of state, ${overhead.toFixed(2)} B/key above key bytes; ` +
    `rss +${perKey('rss').toFixed(1)} B/key, arrayBuffers +${perKey('arrayBuffers').toFixed(1)} B/key`);

  // ---- merge: consecutive batches at a fixed batch size ----
  const merges: Record<string, unknown> = {};
  for (const mode of modes) {
    const indexed = mode === 'indexed';
    const count = indexed ? mergeBatches : runs;
    const mergeRuns: { mapMs: number[]; mergeMs: number[] }[] = [];
    let state: StatePart[] = blocks;
    let convertMs: number[] = [];
    // The indexed merge first turns the built blocks into indexed logs: an O(N) batch, once, untimed.
    for (let b = indexed ? -1 : 0; b < count; b++) {
      const block = batchBlock(n, b + 1);
      gc();
      const map = mapStage([0, 1].map((section) => ({ kind: 'block' as const, sab: block, section })), indexed ? sumSink : shuffleSink);
      const merged = mergeStage(map.blocks, state, indexed);
      state = merged.state;
      if (b < 0) {
        convertMs = merged.ms;
        continue;
      }
      mergeRuns.push({ mapMs: map.ms, mergeMs: merged.ms });
      if (b === count - 1) {
        const batchesIn = indexed ? count + 1 : count;
        const expected = n + batchesIn * (BATCH_KEYS - BATCH_EXISTING);
        const pairs = state.reduce((s, part) => s + statePartCount(part), 0);
        if (pairs !== expected) throw new Error(`${mode}: after ${batchesIn} batches, ${pairs} pairs, expected ${expected}`);
        let total = 0;
        for (const part of state) for (const [, v] of readStatePart(part)) total += v as number;
        if (total !== n + batchesIn * BATCH_RECORDS) throw new Error(`${mode}: counts sum to ${total}, expected ${n + batchesIn * BATCH_RECORDS}`);
      }
      if (b % 10 === 0 || !indexed) log(`${mode} merge ${b + 1}/${count}: map ${map.ms.map((x) => x.toFixed(0)).join('+')} ms, merge ${merged.ms.map((x) => x.toFixed(1)).join('+')} ms`);
    }
    const totals = mergeRuns.map((r) => r.mergeMs.reduce((a, b) => a + b, 0));
    merges[mode] = {
      batches: count,
      // The first indexed batch: blocks into logs, what a compaction costs at this size.
      convertMs,
      runs: mergeRuns,
      medianTotalMs: median(totals),
      meanTotalMs: totals.reduce((a, b) => a + b, 0) / totals.length,
      p99TotalMs: p99(totals),
      medianMaxPartitionMs: median(mergeRuns.map((r) => Math.max(...r.mergeMs))),
      medianMapTotalMs: median(mergeRuns.map((r) => r.mapMs.reduce((a, b) => a + b, 0))),
    };
  }

  // ---- checkpoint write and recovery ----
  const writeMs: number[] = [];
  const recoverMs: number[] = [];
  const dirs: string[] = [];
  let fileBytes = 0;
  try {
    let last = '';
    for (let rep = 0; rep < cpRuns; rep++) {
      const dir = mkdtempSync(join(opts.dir, 'chispa-state-bench-'));
      dirs.push(dir);
      gc();
      const t0 = performance.now();
      last = writeCheckpoint(dir, {
        batchTime: 1_000_000 + rep * 1000,
        batchDurationMs: 1000,
        operators: [{ id: 'updateStateByKey-0', kind: 'updateStateByKey', blocks }],
        sources: [],
      });
      writeMs.push(performance.now() - t0);
      log(`checkpoint write ${rep + 1}/${cpRuns}: ${writeMs[rep].toFixed(0)} ms`);
      // Keep only the newest checkpoint on disk.
      if (rep < cpRuns - 1) rmSync(dir, { recursive: true, force: true });
    }
    const dir = dirs[dirs.length - 1];
    for (let rep = 0; rep < cpRuns; rep++) {
      gc();
      const t0 = performance.now();
      const cp = readLatestCheckpoint(dir);
      const ms = performance.now() - t0;
      recoverMs.push(ms);
      if (!cp) throw new Error(`no checkpoint found under ${dir}`);
      if (cp.path !== last) throw new Error(`recovered ${cp.path}, wrote ${last}`);
      const back = cp.operators[0].blocks;
      const count = back.reduce((s, sab) => s + stateBlockCount(sab), 0);
      if (count !== n) throw new Error(`recovered ${count} pairs, expected ${n}`);
      back.forEach((sab, r) => {
        if (Buffer.compare(Buffer.from(sab), Buffer.from(blocks[r])) !== 0) throw new Error(`recovered block ${r} differs from the one written`);
      });
      fileBytes = back.reduce((s, sab) => s + sab.byteLength, 0);
      log(`recovery ${rep + 1}/${cpRuns}: ${ms.toFixed(0)} ms`);
    }
  } finally {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  }

  return {
    n,
    partitions: P,
    keyBytes,
    keyLen: { mean: keyBytes / n, minOfLast100k: minLen, maxOfLast100k: maxLen },
    stateBytes,
    blockBytes: blocks.map((b) => b.byteLength),
    blockPairs: blocks.map(stateBlockCount),
    overheadBytesPerKey: overhead,
    memBefore: before,
    memAfter: after,
    memGrowthPerKey: { rss: perKey('rss'), heapUsed: perKey('heapUsed'), external: perKey('external'), arrayBuffers: perKey('arrayBuffers') },
    maxRssAfterBuild,
    build: { ms: buildMs, batches: buildBatches, encodeMs: build.encodeMs, mapMs: build.mapMs, mergeMs: build.mergeMs },
    merge: { records: BATCH_RECORDS, distinctKeys: BATCH_KEYS, existingKeys: BATCH_EXISTING, ...merges },
    checkpoint: { writeMs, medianWriteMs: median(writeMs), recoverMs, medianRecoverMs: median(recoverMs), stateBytesRecovered: fileBytes },
    maxRss: process.resourceUsage().maxRSS * 1024,
  };
}

if (opts['child-interleaved'] !== undefined) {
  const result = measureInterleaved(opts['child-interleaved'].split(',').map((s) => positiveInt('keys', s)));
  process.stdout.write(RESULT_MARK + JSON.stringify(result) + '\n');
  process.exit(0);
}

if (opts.child !== undefined) {
  const result = measureOne(positiveInt('child', opts.child));
  process.stdout.write(RESULT_MARK + JSON.stringify(result) + '\n');
  process.exit(0);
}

// ---------------------------------------------------------------------------------------------
// Parent: one child per key count, then the table.
// ---------------------------------------------------------------------------------------------

let current: { child: ChildProcess; root: string } | undefined;
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.on(sig, () => {
    if (current) {
      current.child.kill('SIGKILL');
      rmSync(current.root, { recursive: true, force: true });
    }
    process.exit(130);
  });
}

async function runChild(n: number | readonly number[]): Promise<any> {
  const root = mkdtempSync(join(opts.dir, 'chispa-state-bench-'));
  try {
    return await new Promise((resolve, reject) => {
      const which = typeof n === 'number' ? ['--child', String(n)] : ['--child-interleaved', n.join(',')];
      const args = [...process.execArgv, SELF, ...which, '--runs', String(runs), '--cp-runs', String(cpRuns), '--build-batches', String(buildBatches),
        '--merge', opts.merge, '--batches', String(mergeBatches), '--dir', root];
      const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] });
      current = { child, root };
      let out = '';
      child.stdout.setEncoding('utf8');
      child.stdout.on('data', (d: string) => (out += d));
      child.on('error', reject);
      child.on('exit', (code, signal) => {
        const line = out.split('\n').find((l) => l.startsWith(RESULT_MARK));
        if (code === 0 && line) resolve(typeof n === 'number' ? { ...JSON.parse(line.slice(RESULT_MARK.length)), dir: opts.dir } : JSON.parse(line.slice(RESULT_MARK.length)));
        else reject(new Error(`child for N=${n} exited with ${signal ?? code}${out ? `; stdout:\n${out}` : ''}`));
      });
    });
  } finally {
    current = undefined;
    rmSync(root, { recursive: true, force: true });
  }
}

const sizes = opts.keys.split(',').map((s) => positiveInt('keys', s.trim().replace(/_/g, '')));
if (!(globalThis as { gc?: unknown }).gc) console.error('note: run with node --expose-gc for GC between phases (memory readings are noisier without it)');
console.error(`keys ${sizes.join(', ')}; P = ${P}; merge runs ${runs}; checkpoint runs ${cpRuns}; build batches ${buildBatches}; ` +
  `checkpoint dir ${opts.dir}; ${availableParallelism()} cores; node ${process.version}\n`);

if (opts.interleave) {
  const rows = (await runChild(sizes)) as Record<string, any>[];
  const ms1 = (x: number) => x.toFixed(1);
  console.log('\n| N | batches | median ms/batch (indexed merge, P=2 in sequence) | × first N | p10 | mean | p99 |');
  console.log('|---:|---:|---:|---:|---:|---:|---:|');
  for (const r of rows) {
    console.log(`| ${r.n.toLocaleString('en-US')} | ${r.batches} | ${ms1(r.medianTotalMs)} | ${(r.medianTotalMs / rows[0].medianTotalMs).toFixed(2)} | ${ms1(r.p10TotalMs)} | ${ms1(r.meanTotalMs)} | ${ms1(r.p99TotalMs)} |`);
  }
  const resultsDir = here('./results/');
  mkdirSync(resultsDir, { recursive: true });
  const file = join(resultsDir, `state-store-interleaved-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  writeFileSync(file, JSON.stringify({ options: { ...opts, sizes }, machine: { cores: availableParallelism(), node: process.version }, results: rows }, null, 2) + '\n');
  console.log(`\nraw results: ${file}`);
  process.exit(0);
}

const results: Record<string, any>[] = [];
let failed = false;
for (const n of sizes) {
  try {
    results.push(await runChild(n));
  } catch (e) {
    failed = true;
    console.error(`N=${n}: FAILED: ${e instanceof Error ? e.message : e}`);
  }
}

const mb = (b: number) => (b / 2 ** 20).toFixed(1);
const ms = (x: number) => Math.round(x).toLocaleString('en-US');
console.log('\n| N | bytes/key overhead | state MiB | checkpoint write ms | recovery ms | key build ms |');
console.log('|---:|---:|---:|---:|---:|---:|');
for (const r of results) {
  console.log(`| ${r.n.toLocaleString('en-US')} | ${r.overheadBytesPerKey.toFixed(2)} | ${mb(r.stateBytes)} | ${ms(r.checkpoint.medianWriteMs)} | ${ms(r.checkpoint.medianRecoverMs)} | ${ms(r.build.ms)} |`);
}
const first: Record<string, number> = {};
const ms1 = (x: number) => x.toFixed(1);
console.log('\n| N | merge | batches | median ms/batch (P=2 in sequence) | × first N | mean | p99 | median max partition (2 workers) | map ms (2 tasks) | blocks → logs ms (≈ a compaction) |');
console.log('|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|');
for (const r of results) {
  for (const mode of modes) {
    const m = r.merge[mode];
    if (!m) continue;
    first[mode] ??= m.medianTotalMs;
    console.log(`| ${r.n.toLocaleString('en-US')} | ${mode} | ${m.batches} | ${ms1(m.medianTotalMs)} | ${(m.medianTotalMs / first[mode]).toFixed(2)} | ${ms1(m.meanTotalMs)} | ${ms1(m.p99TotalMs)} | ` +
      `${ms1(m.medianMaxPartitionMs)} | ${ms1(m.medianMapTotalMs)} | ${m.convertMs.length ? m.convertMs.map(ms).join(' + ') : '–'} |`);
  }
}
console.log('\n| N | mean key bytes | RSS growth B/key | arrayBuffers growth B/key | external growth B/key | heapUsed growth B/key | peak RSS MiB |');
console.log('|---:|---:|---:|---:|---:|---:|---:|');
for (const r of results) {
  const g = r.memGrowthPerKey;
  console.log(`| ${r.n.toLocaleString('en-US')} | ${r.keyLen.mean.toFixed(2)} | ${g.rss.toFixed(1)} | ${g.arrayBuffers.toFixed(1)} | ${g.external.toFixed(1)} | ${g.heapUsed.toFixed(1)} | ` +
    `${mb(r.maxRss)} |`);
}

const resultsDir = here('./results/');
mkdirSync(resultsDir, { recursive: true });
const file = join(resultsDir, `state-store-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
const machine = { cores: availableParallelism(), node: process.version, platform: process.platform, execArgv: process.execArgv };
writeFileSync(file, JSON.stringify({ options: { ...opts, sizes }, machine, results }, null, 2) + '\n');
console.log(`\nraw results: ${file}`);
if (failed) process.exitCode = 1;

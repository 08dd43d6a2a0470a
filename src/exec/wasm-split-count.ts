import { isUtf8 } from 'node:buffer';
import { readFileSync } from 'node:fs';
import { IllegalStateError } from '../errors.js';
import { LineSegmentView } from '../memory/line-segment.js';
import type { BlockSection } from '../memory/partitioned-block.js';
import type { Kernel, LineRange } from '../plan/task.js';
import type { Consumer } from './pipeline.js';
import { emitTokens, type CountedTokens } from './split-count-emit.js';

/**
 * The splitCount kernel in WebAssembly with 128-bit SIMD (`native/wasm/split_count.c`, built by
 * `npm run build:wasm` into the checked-in `wasm/split-count.wasm`): the separator scan compares
 * 16 bytes at once, tokens are hashed 8 bytes at a time, and the counts live in an open-addressing
 * table in the module's memory, so no token crosses into JavaScript until the partition's distinct
 * keys are emitted. Its output is the JavaScript kernel's (`split-count.ts`), record for record and
 * in the same order; property tests hold the two together.
 *
 * Each thread has its own instance and memory. A range's bytes and offsets are copied into that
 * memory before they are counted: a copy runs at several GB/s against the kernel's hundreds of
 * MB/s, and it spares every segment from having to live inside one shared wasm memory.
 */

// The few WebAssembly JS API types used here: the project's lib (es2024, no DOM) does not declare them.
interface WasmMemory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}
type WasmModule = object;
const WebAssembly = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;
interface WasmApi {
  Module: new (bytes: Uint8Array) => WasmModule;
  Instance: new (module: WasmModule, imports: object) => { readonly exports: object };
}

interface Exports {
  readonly memory: WasmMemory;
  sc_reset(): number;
  sc_separator(): number;
  sc_input(bytes: number, lines: number): number;
  sc_offsets(): number;
  sc_count_lines(lines: number, base: number, sepLen: number): number;
  sc_size(): number;
  sc_nonascii(): number;
  sc_results(): number;
  sc_block(partitions: number, value: number): number;
  sc_block_len(): number;
  sc_merge_reset(): number;
  sc_merge_section(bytes: number, records: number): number;
  sc_merge_block(): number;
}

/** The longest separator the module takes (its `MAX_SEP`); longer ones run in JavaScript. */
const MAX_SEPARATOR = 256;
/** Bit 31 of a result's length: the key holds a byte ≥ 0x80. */
const NONASCII = 0x80000000;

let compiled: WasmModule | null | undefined;
let instance: Exports | undefined;

/** The compiled module, or null where this runtime has no WebAssembly SIMD (or the file is missing). */
function wasmModule(): WasmModule | null {
  if (compiled === undefined) {
    try {
      compiled = new WebAssembly.Module(readFileSync(new URL('./wasm/split-count.wasm', import.meta.url)));
    } catch {
      compiled = null;
    }
  }
  return compiled;
}

function kernel(): Exports | undefined {
  if (instance) return instance;
  // An escape hatch, and how the bench sets the JavaScript kernel beside this one.
  if (process.env.CHISPA_KERNEL === 'js') return undefined;
  const module = wasmModule();
  if (!module) return undefined;
  instance = new WebAssembly.Instance(module, {}).exports as unknown as Exports;
  return instance;
}

/** Whether the WebAssembly kernel runs here: it loads, and `CHISPA_KERNEL=js` is not set. */
export function wasmKernelAvailable(): boolean {
  return kernel() !== undefined;
}

/**
 * Grows this thread's kernel memory to at least `bytes` and writes every page of it once, so that
 * a first batch of that size neither grows the memory nor takes the page faults of fresh pages
 * (measured: the first 2 MB map task after a small warm-up took 150–350 ms, later ones 15–40).
 * Memory is never returned, and a task's heap starts at the bottom again, so later tasks of up
 * to that size touch only these pages.
 */
export function reserveWasmMemory(bytes: number): void {
  const k = kernel();
  if (!k) return;
  const have = k.memory.buffer.byteLength;
  if (bytes > have) k.memory.grow(Math.ceil((bytes - have) / 65536));
  new Uint8Array(k.memory.buffer, have).fill(0);
}

/** The WebAssembly kernel's counts, in its memory until the next call on this thread. */
export interface WasmCounts extends CountedTokens {
  /**
   * The shuffle map output of these counts, every token being valid UTF-8, written by the module:
   * a partitioned block of `partitions` hash-partitioned sections of `[token, count × value]`,
   * byte for byte what the shuffle writer makes of the same records, with no JavaScript per word.
   */
  block(partitions: number, value: number): SharedArrayBuffer;
}

/**
 * Counts the tokens of `ranges` in WebAssembly; undefined, having done nothing, when the module
 * cannot run here (no WebAssembly SIMD, `CHISPA_KERNEL=js`, or a separator longer than it takes).
 */
export function countWasm(spec: Extract<Kernel, { kind: 'splitCount' }>, ranges: readonly LineRange[]): WasmCounts | undefined {
  const k = kernel();
  if (!k || spec.separator.length > MAX_SEPARATOR) return undefined;
  if (!k.sc_reset()) throw outOfMemory();
  const sep = Buffer.from(spec.separator, 'latin1');
  new Uint8Array(k.memory.buffer, k.sc_separator(), sep.length).set(sep);
  for (const range of ranges) {
    const seg = new LineSegmentView(range.sab);
    seg.markRead();
    const lines = range.to - range.from;
    if (lines <= 0) continue;
    const base = seg.offsets[range.from];
    const end = seg.offsets[range.to];
    const at = k.sc_input(end - base, lines);
    if (!at) throw outOfMemory();
    const memory = k.memory.buffer;
    new Uint8Array(memory, at, end - base).set(seg.bytes.subarray(base, end));
    new Int32Array(memory, k.sc_offsets(), lines + 1).set(seg.offsets.subarray(range.from, range.to + 1));
    if (!k.sc_count_lines(lines, base, sep.length)) throw outOfMemory();
  }
  const size = k.sc_size();
  const at = k.sc_results();
  if (!at) throw outOfMemory();
  const memory = Buffer.from(k.memory.buffer);
  const results = new Uint32Array(k.memory.buffer, at, 3 * size);
  let invalidUtf8 = false;
  if (k.sc_nonascii() > 0) {
    for (let i = 0; i < size && !invalidUtf8; i++) {
      const len = results[3 * i + 1];
      if ((len & NONASCII) !== 0 && !isUtf8(memory.subarray(results[3 * i], results[3 * i] + (len & ~NONASCII)))) invalidUtf8 = true;
    }
  }
  return {
    size,
    invalidUtf8,
    bytes: () => memory,
    start: (i) => results[3 * i],
    end: (i) => results[3 * i] + (results[3 * i + 1] & ~NONASCII),
    count: (i) => results[3 * i + 2],
    block(partitions, value) {
      if (invalidUtf8) throw new IllegalStateError('a block of keys that are not valid UTF-8 would not be combined by their decoded strings');
      const where = k.sc_block(partitions, value);
      if (!where) throw outOfMemory();
      const block = new SharedArrayBuffer(k.sc_block_len());
      new Uint8Array(block).set(new Uint8Array(k.memory.buffer, where, block.byteLength));
      return block;
    },
  };
}

/**
 * The reduce side of a summing shuffle in WebAssembly: folds the `[key, value]` records of
 * `sections` (every map task's section for one reduce partition), keys matched by their bytes and
 * values added in the order met, as `mergeShuffle` does with `a + b`, and returns the merged
 * partition as the one-section block of `[key, sum]` pairs that `mergeShuffle` would keep, byte for
 * byte. Undefined, having changed nothing, when the module cannot run here or a section holds
 * anything but String keys with Int32 or Float64 values (the JavaScript merge then runs).
 */
export function mergeSumsWasm(sections: readonly BlockSection[]): SharedArrayBuffer | undefined {
  const k = kernel();
  if (!k) return undefined;
  if (!k.sc_merge_reset()) throw outOfMemory();
  for (const { count, reader } of sections) {
    const bytes = reader.end - reader.pos;
    const at = k.sc_input(bytes, 0);
    if (!at) throw outOfMemory();
    new Uint8Array(k.memory.buffer, at, bytes).set(reader.buf.subarray(reader.pos, reader.end));
    const done = k.sc_merge_section(bytes, count);
    if (done === 0) throw outOfMemory();
    if (done < 0) return undefined;
  }
  const where = k.sc_merge_block();
  if (!where) throw outOfMemory();
  const block = new SharedArrayBuffer(k.sc_block_len());
  new Uint8Array(block).set(new Uint8Array(k.memory.buffer, where, block.byteLength));
  return block;
}

/**
 * Runs the splitCount kernel over `ranges` in WebAssembly and feeds `out`, as
 `runSplitCountJs` does. Returns false, having done nothing, when it cannot run here.
 */
export function runSplitCountWasm(spec: Extract<Kernel, { kind: 'splitCount' }>, ranges: readonly LineRange[], out: Consumer): boolean {
  const counts = countWasm(spec, ranges);
  if (!counts) return false;
  emitTokens(out, spec.value, counts);
  return true;
}

function outOfMemory(): Error {
  return new IllegalStateError('the WebAssembly splitCount kernel could not grow its memory (over 4 GiB of distinct words or lines)');
}

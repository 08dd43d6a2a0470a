import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { readSource } from '../src/exec/read-source.js';
import { mergeShuffle } from '../src/exec/shuffle-merge.js';
import { mergeSumsWasm, wasmKernelAvailable } from '../src/exec/wasm-split-count.js';
import { BlockSection, sealBlock } from '../src/memory/partitioned-block.js';
import { ValueWriter } from '../src/memory/value-codec.js';
import type { KeyedAggregator } from '../src/exec/aggregate.js';
import type { Consumer } from '../src/exec/pipeline.js';

// The reduce side of a summing shuffle in WebAssembly (`mergeSumsWasm`, reached through
// `readSource` when the planner marked the shuffle `sum`) against the JavaScript merge, its
// reference: the same kept block byte for byte, the same records in the same order, on any string
// keys (multi-byte, empty, long, lone surrogates) and any numbers; anything else is left to
// JavaScript.

const add = (a: number, b: number): number => a + b;
const agg: KeyedAggregator = { kind: 'combine', merge: add, mergeCombiners: add, op: 'reduceByKey' };

/** A shuffle block of one section per record list (a map task's output for one reduce partition). */
function block(records: [unknown, unknown][], sections = 1, section = 0): SharedArrayBuffer {
  const ws = Array.from({ length: sections }, () => new ValueWriter(64));
  for (const [k, v] of records) {
    ws[section].write(k);
    ws[section].write(v);
  }
  return sealBlock(ws, ws.map((_, i) => (i === section ? records.length : 0)));
}

function recorder(withEncoded: boolean): Consumer & { got: unknown[] } {
  const c = {
    got: [] as unknown[],
    push: (r: unknown) => void c.got.push(r),
    end: () => void c.got.push('end'),
    ...(withEncoded ? { pushEncoded: (b: Uint8Array, s: number, e: number, v: unknown) => void c.got.push([Buffer.from(b.subarray(s, e)).toString('hex'), v]) } : {}),
  };
  return c;
}

/** Every map task's records in the same reduce partition (section 1 of 2). */
function merge(maps: [unknown, unknown][][], withEncoded: boolean) {
  const blocks = maps.map((rs) => block(rs, 2, 1));
  const js = recorder(withEncoded);
  const keptJs = mergeShuffle(blocks.map((b) => new BlockSection(b, 1)), agg, js, true);
  js.end();
  const wasm = recorder(withEncoded);
  const keptWasm = readSource({ kind: 'shuffle', blocks, section: 1, agg, sum: true }, wasm, true);
  return { js, wasm, keptJs, keptWasm, direct: mergeSumsWasm(blocks.map((b) => new BlockSection(b, 1))) };
}

const word = fc.oneof(
  fc.constantFrom('', 'the', 'a', 'ñandú', 'über', '日本語', 'x'.repeat(40), 'line\r', 'a b'),
  fc.string({ unit: 'grapheme', maxLength: 20 }),
  fc.string({ maxLength: 3 }),
);
const count = fc.oneof(fc.integer({ min: 1, max: 1000 }), fc.constantFrom(0, 2 ** 31 - 1, 2 ** 31, -5, 0.5, 1e300, 2 ** 53));

describe.skipIf(!wasmKernelAvailable())('the WebAssembly summing merge', () => {
  it('gives the JavaScript merge’s kept block and records, on any string keys and numbers', () => {
    fc.assert(
      fc.property(fc.array(fc.array(fc.tuple(word, count), { maxLength: 60 }), { minLength: 1, maxLength: 4 }), fc.boolean(), (maps, withEncoded) => {
        // A map task's section holds each key once (the map side combined it).
        const combined = maps.map((rs) => [...new Map(rs)]);
        const { js, wasm, keptJs, keptWasm, direct } = merge(combined, withEncoded);
        expect(direct).toBeDefined();
        expect(wasm.got).toEqual(js.got);
        expect(keptJs).toBeDefined();
        expect(Buffer.from(keptWasm!).equals(Buffer.from(keptJs!))).toBe(true);
      }),
      { numRuns: 300 },
    );
  });

  it('sums many keys over several sections (its table grows) as JavaScript does', () => {
    const maps = Array.from({ length: 3 }, (_, m) => Array.from({ length: 20_000 }, (_, i): [string, number] => [`w${i + m * 5000}é`, i % 7 + m]));
    const combined = maps.map((rs) => [...new Map(rs)]);
    const { js, wasm, keptJs, keptWasm } = merge(combined, false);
    expect(js.got.length).toBeGreaterThan(30_000);
    expect(wasm.got).toEqual(js.got);
    expect(Buffer.from(keptWasm!).equals(Buffer.from(keptJs!))).toBe(true);
  });

  it('leaves a partition that is not [string, number] pairs to JavaScript, which gives the same', () => {
    for (const records of [
      [['a', 1], [2, 3]],
      [['a', 'x'], ['b', 'y']],
      [['a', 1n], ['b', 2n]],
      [['a', true]],
      [['a', null]],
      [['lone \ud800', 1]],
      [[[1, 2], 1]],
    ] as [unknown, unknown][][]) {
      expect(mergeSumsWasm([new BlockSection(block(records), 0)])).toBeUndefined();
      const { js, wasm } = merge([records, records], false);
      expect(wasm.got).toEqual(js.got);
    }
  });
});

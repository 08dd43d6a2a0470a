import fc from 'fast-check';
import * as flatbuffers from 'flatbuffers';
import { describe, expect, it } from 'vitest';
import { frame, unframe } from '../src/checkpoint/frame.js';
import { decodeManifest, decodeStatePartition } from '../src/checkpoint/checkpoint-store.js';
import { decodeWalRecord } from '../src/checkpoint/write-ahead-log.js';
import { runTask } from '../src/exec/executor.js';
import { Manifest, OperatorState, PartFile, SourceState } from '../src/layouts/generated/checkpoint_generated.js';
import { LineBatchBuilder } from '../src/memory/line-batch.js';
import { allocateLineSegment, LineSegmentView } from '../src/memory/line-segment.js';
import { parallelizeBlock, sealBlock } from '../src/memory/partitioned-block.js';
import { SegmentPool } from '../src/memory/segment-pool.js';
import { StateBlockWriter } from '../src/memory/state-block.js';
import { ValueReader, ValueWriter } from '../src/memory/value-codec.js';
import { LineSplitter } from '../src/sources/line-splitter.js';
import type { SourceDesc, Task, TaskResult } from '../src/plan/task.js';
import { readLines } from './helpers/lines.js';

// Fuzzing of everything that decodes bytes: on arbitrary bytes and on valid bytes with a few bytes
// changed, each decoder gives a result or a coded error (CHISPA_ERR_*), never a crash, a hang or
// an allocation beyond its input's size (counts are checked against the bytes before allocating,
// which the size bound on results below makes visible).

const RUNS = 400;
const coded = (e: unknown) => typeof (e as { code?: unknown })?.code === 'string' && /^CHISPA_ERR_/.test((e as { code: string }).code);

/** `f()`'s value, or undefined when it threw a coded error; anything else fails the property. */
function resultOrCoded<T>(f: () => T): T | undefined {
  try {
    return f();
  } catch (e) {
    if (coded(e)) return undefined;
    throw e;
  }
}

/** Valid bytes with up to 8 bytes changed (xor), or cut short. */
function mutated(valid: Uint8Array): fc.Arbitrary<Uint8Array> {
  return fc
    .record({
      flips: fc.array(fc.tuple(fc.nat(Math.max(0, valid.length - 1)), fc.integer({ min: 1, max: 255 })), { maxLength: 8 }),
      cut: fc.option(fc.nat(valid.length), { nil: undefined }),
    })
    .map(({ flips, cut }) => {
      const out = Uint8Array.from(valid.subarray(0, cut ?? valid.length));
      for (const [at, x] of flips) if (at < out.length) out[at] ^= x;
      return out;
    });
}

function sab(bytes: Uint8Array): SharedArrayBuffer {
  const s = new SharedArrayBuffer(bytes.length);
  new Uint8Array(s).set(bytes);
  return s;
}

/** Runs a collect task over `source` in this thread, as a worker would. */
function collect(source: SourceDesc): TaskResult {
  const task: Task = { source, ops: [], sink: { kind: 'collect' }, partition: 0 };
  return runTask(task);
}

function expectResultOrCoded(r: TaskResult, inputBytes: number): void {
  if (r.ok) {
    // Every record takes at least one byte of input.
    expect((r.value as unknown[]).length).toBeLessThanOrEqual(inputBytes);
  } else {
    expect(r.error.code, `${r.error.name}: ${r.error.message}`).toMatch(/^CHISPA_ERR_/);
  }
}

const values = fc.array(
  fc.oneof(fc.string(), fc.integer(), fc.double(), fc.boolean(), fc.constant(null), fc.bigInt(), fc.tuple(fc.string(), fc.integer()), fc.dictionary(fc.string(), fc.nat())),
  { maxLength: 20 },
);

describe('fuzz: the line splitter', () => {
  it('takes arbitrary bytes in arbitrary chunks, with resets, and keeps no more bytes than it got', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 400 }), fc.array(fc.integer({ min: 1, max: 50 }), { minLength: 1, maxLength: 10 }), fc.array(fc.nat(40)), (data, sizes, resets) => {
        const builder = new LineBatchBuilder(new SegmentPool({ byteCapacity: 32, lineCapacity: 3 }), { maxLineBytes: 16 });
        const splitter = new LineSplitter(builder);
        const got: string[] = [];
        for (let off = 0, i = 0; off < data.length; i++) {
          splitter.write(data.subarray(off, off + sizes[i % sizes.length]));
          off += sizes[i % sizes.length];
          if (resets.includes(i)) splitter.abort();
        }
        splitter.end();
        got.push(...readLines(builder.cut()));
        const terminators = data.filter((b) => b === 0x0a || b === 0x0d).length;
        expect(got.length).toBeLessThanOrEqual(terminators + 1);
        expect(builder.stats.bytes).toBeLessThanOrEqual(data.length);
        builder.dispose();
      }),
      { numRuns: RUNS },
    );
  });
});

describe('fuzz: line segments', () => {
  const pool = new SegmentPool({ byteCapacity: 64, lineCapacity: 8 });
  const valid = (() => {
    const b = new LineBatchBuilder(pool);
    new LineSplitter(b).write(Buffer.from('uno\ndos\ntres ñ\n\ncuatro\n'));
    return new Uint8Array(b.cut().segments[0].sab.slice(0));
  })();

  it.each([
    ['arbitrary bytes', fc.uint8Array({ maxLength: 300 })],
    ['a valid segment with bytes changed', mutated(valid)],
  ])('read as a task reads them (%s): lines or a coded error', (_what, bytes) => {
    fc.assert(
      fc.property(bytes, fc.nat(10), fc.nat(2 ** 31 - 1), (b, from, to) => {
        // Arbitrary bytes rarely start with the magic: give half of them a real header.
        const s = sab(b.length >= 32 && from % 2 === 0 ? Uint8Array.from([...new Uint8Array(allocateLineSegment(4, 16)).subarray(0, 16), ...b.subarray(16)]) : b);
        expectResultOrCoded(collect({ kind: 'lines', ranges: [{ sab: s, from, to: from + (to % 12) }] }), b.length);
      }),
      { numRuns: RUNS },
    );
  });

  it('a forged header cannot make a view larger than the buffer', () => {
    const s = allocateLineSegment(2, 8);
    new Int32Array(s)[2] = 2 ** 31 - 1;
    expect(resultOrCoded(() => new LineSegmentView(s))).toBeUndefined();
  });
});

describe('fuzz: the value codec', () => {
  it.each([
    ['arbitrary bytes', fc.uint8Array({ maxLength: 200 })],
    ['valid records with bytes changed', values.chain((vs) => {
      const w = new ValueWriter(16);
      for (const v of vs) w.write(v);
      return mutated(Uint8Array.from(w.buf.subarray(0, w.length)));
    })],
  ])('%s: values or CHISPA_ERR_CORRUPT_DATA', (_what, bytes) => {
    fc.assert(
      fc.property(bytes, (b) => {
        const buf = Buffer.from(b);
        resultOrCoded(() => {
          const r = new ValueReader(buf, 0, buf.length);
          let n = 0;
          while (!r.done) {
            const v = r.read();
            if (Array.isArray(v)) expect(v.length).toBeLessThanOrEqual(buf.length);
            n++;
          }
          expect(n).toBeLessThanOrEqual(buf.length);
        });
        resultOrCoded(() => {
          const r = new ValueReader(buf, 0, buf.length);
          while (!r.done) r.skip();
        });
      }),
      { numRuns: RUNS },
    );
  });

  it('a 9-byte array header declaring 2^32 − 1 elements is an error at once', () => {
    const b = Buffer.from([9, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0]);
    const w = new ValueWriter(8);
    w.write([]);
    b[0] = w.buf[0]; // the array tag, whatever its number
    expect(() => new ValueReader(b, 0, b.length).read()).toThrow(expect.objectContaining({ code: 'CHISPA_ERR_CORRUPT_DATA' }));
  });
});

describe('fuzz: partitioned blocks and shuffle blocks', () => {
  it.each([
    ['arbitrary bytes', fc.uint8Array({ maxLength: 300 })],
    ['a parallelized block with bytes changed', values.chain((vs) => mutated(new Uint8Array(parallelizeBlock(vs, 3).slice(0))))],
  ])('%s read as a block or a shuffle section: records or a coded error', (_what, bytes) => {
    fc.assert(
      fc.property(bytes, fc.nat(3), (b, section) => {
        const s = sab(b);
        expectResultOrCoded(collect({ kind: 'block', sab: s, section }), b.length);
        expectResultOrCoded(collect({ kind: 'shuffle', blocks: [s], section, agg: { kind: 'group', op: 'groupByKey' } }), b.length);
        expectResultOrCoded(collect({ kind: 'shuffle', blocks: [s], section, agg: { kind: 'none', op: 'repartition' } }), b.length);
      }),
      { numRuns: RUNS },
    );
  });

  it('a shuffle block of pairs with bytes changed merges or fails coded', () => {
    const pairs = fc.array(fc.tuple(fc.string({ maxLength: 6 }), fc.integer()), { maxLength: 30 });
    fc.assert(
      fc.property(
        pairs.chain((ps) => {
          const w = new ValueWriter(16);
          for (const p of ps) w.write(p);
          return mutated(new Uint8Array(sealBlock([w], [ps.length]).slice(0)));
        }),
        (b) => expectResultOrCoded(collect({ kind: 'shuffle', blocks: [sab(b)], section: 0, agg: { kind: 'group', op: 'groupByKey' } }), b.length),
      ),
      { numRuns: RUNS },
    );
  });
});

describe('fuzz: state blocks', () => {
  it.each([
    ['arbitrary bytes', fc.uint8Array({ maxLength: 300 })],
    ['a state block with bytes changed', fc.array(fc.tuple(fc.string({ maxLength: 8 }), fc.oneof(fc.integer(), fc.string())), { maxLength: 20 }).chain((ps) => {
      const w = new StateBlockWriter();
      for (const [k, v] of ps) w.add(k, v);
      return mutated(new Uint8Array(w.seal().slice(0)));
    })],
  ])('%s: pairs or a coded error', (_what, bytes) => {
    fc.assert(fc.property(bytes, (b) => expectResultOrCoded(collect({ kind: 'state', part: sab(b) }), b.length)), { numRuns: RUNS });
  });
});

describe('fuzz: checkpoint files', () => {
  const manifest = (() => {
    const b = new flatbuffers.Builder(512);
    const op = OperatorState.createOperatorState(b, b.createString('updateStateByKey#0'), b.createString('updateStateByKey'), 2, OperatorState.createPaneTimesVector(b, [1000n, 2000n]), 2000n, 3000n, 1000n, 0, 0);
    const src = SourceState.createSourceState(b, b.createString('textFileStream#0'), b.createString('textFileStream'), b.createString('{"processed":["a"]}'));
    const files = ['op-0-part-0.chk', 'op-0-part-1.chk', 'op-0-pane-0-part-0.chk', 'op-0-pane-0-part-1.chk', 'op-0-pane-1-part-0.chk', 'op-0-pane-1-part-1.chk'].map((n, i) =>
      PartFile.createPartFile(b, b.createString(n), BigInt(100 + i), i),
    );
    b.finish(Manifest.createManifest(b, 1, 3000n, 1000n, Manifest.createOperatorsVector(b, [op]), Manifest.createSourcesVector(b, [src]), Manifest.createFilesVector(b, files), 0n));
    return b.asUint8Array().slice();
  })();

  it('the valid manifest decodes', () => {
    const m = decodeManifest(manifest);
    expect(m.operators[0]).toMatchObject({ id: 'updateStateByKey#0', partitions: 2, paneTimes: [1000, 2000] });
    expect(m.sources[0].state).toEqual({ processed: ['a'] });
  });

  it.each([
    ['arbitrary bytes', fc.uint8Array({ maxLength: 400 })],
    ['the manifest with bytes changed', mutated(manifest)],
  ])('manifest from %s: content bounded by its size, or a coded error', (_what, bytes) => {
    fc.assert(
      fc.property(bytes, (b) => {
        const m = resultOrCoded(() => decodeManifest(b));
        if (m) {
          for (const op of m.operators) expect(op.partitions * (1 + op.paneTimes.length)).toBeLessThanOrEqual(m.files.size);
          expect(m.files.size).toBeLessThanOrEqual(b.length);
        }
        const part = resultOrCoded(() => decodeStatePartition(b));
        if (part) expect(part.length).toBeLessThanOrEqual(b.length);
      }),
      { numRuns: RUNS },
    );
  });

  it('frames: any bytes unframe to a payload or a reason', () => {
    fc.assert(
      fc.property(fc.oneof(fc.uint8Array({ maxLength: 100 }), mutated(frame(manifest))), (b) => {
        const r = unframe(Buffer.from(b));
        if ('payload' in r) expect(r.payload.length).toBeLessThanOrEqual(b.length);
        else expect(typeof r.damaged).toBe('string');
      }),
      { numRuns: RUNS },
    );
  });
});

describe('fuzz: write-ahead log records', () => {
  const pool = new SegmentPool({ byteCapacity: 64, lineCapacity: 8 });
  const record = (lines: string[]) => {
    const parts: Buffer[] = [];
    const bytes = Buffer.from(lines.join(''));
    let off = 0;
    const offsets = [0, ...lines.map((l) => (off += Buffer.byteLength(l)))];
    const head = Buffer.alloc(8);
    head.writeUInt32LE(lines.length, 0);
    head.writeUInt32LE(bytes.length, 4);
    parts.push(head, Buffer.from(Int32Array.from(offsets).buffer), bytes);
    return new Uint8Array(Buffer.concat(parts));
  };

  it('a valid record decodes to its lines', () => {
    const batch = decodeWalRecord(record(['uno', 'dos', 'ñ']), pool);
    expect(readLines(batch)).toEqual(['uno', 'dos', 'ñ']);
  });

  it.each([
    ['arbitrary bytes', fc.uint8Array({ maxLength: 300 })],
    ['valid records with bytes changed', fc.array(fc.string({ maxLength: 10 }), { maxLength: 10 }).chain((ls) => mutated(record(ls)))],
  ])('%s: lines bounded by the record, or a coded error', (_what, bytes) => {
    fc.assert(
      fc.property(bytes, (b) => {
        const batch = resultOrCoded(() => decodeWalRecord(b, pool));
        if (batch) {
          const lines = readLines(batch);
          expect(lines.join('').length).toBeLessThanOrEqual(b.length);
          batch.release();
        }
      }),
      { numRuns: RUNS },
    );
  });
});

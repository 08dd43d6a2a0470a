import { CorruptBlockError } from '../errors.js';
import { ValueReader, ValueWriter } from './value-codec.js';

/**
 * A partitioned block: records encoded with the value codec, grouped into P sections in one
 * SharedArrayBuffer. A shuffle map task writes one block whose section r is destined for reduce
 * partition r; a parallelized dataset (queueStream, `sc.parallelize`) is one block whose section i
 * is partition i. The layout is drawn in `native-layouts/README.md` ("PartitionedBlock").
 */

const MAGIC = 0x42504843; // 'CHPB' little-endian
const VERSION = 1;
const HEADER_INTS = 4;

function dataStart(partitions: number): number {
  return (HEADER_INTS + partitions + 1 + partitions) * 4;
}

/** Seals P encoded sections and their record counts into one shared block. */
export function sealBlock(sections: readonly ValueWriter[], counts: ArrayLike<number>): SharedArrayBuffer {
  const p = sections.length;
  let total = 0;
  for (const w of sections) total += w.length;
  const start = dataStart(p);
  const sab = new SharedArrayBuffer(start + total);
  const ints = new Int32Array(sab, 0, HEADER_INTS + 2 * p + 1);
  ints[0] = MAGIC;
  ints[1] = VERSION;
  ints[2] = p;
  const bytes = new Uint8Array(sab);
  let off = 0;
  for (let i = 0; i < p; i++) {
    ints[HEADER_INTS + i] = off;
    ints[HEADER_INTS + p + 1 + i] = counts[i];
    bytes.set(sections[i].buf.subarray(0, sections[i].length), start + off);
    off += sections[i].length;
  }
  ints[HEADER_INTS + p] = off;
  return sab;
}

/** Reads one section of a block. */
export class BlockSection {
  readonly count: number;
  readonly reader: ValueReader;

  constructor(sab: SharedArrayBuffer, partition: number) {
    const ints = new Int32Array(sab, 0, HEADER_INTS);
    if (ints[0] !== MAGIC || ints[1] !== VERSION) throw new CorruptBlockError('not a chispa partitioned block (bad magic or version)');
    const p = ints[2];
    if (partition < 0 || partition >= p) throw new CorruptBlockError(`block has ${p} sections, asked for ${partition}`);
    const index = new Int32Array(sab, HEADER_INTS * 4, 2 * p + 1);
    const start = dataStart(p);
    this.count = index[p + 1 + partition];
    this.reader = new ValueReader(Buffer.from(sab), start + index[partition], start + index[partition + 1]);
  }
}

/** Encodes `items` as a block of `slices` sections, cut as Spark's `parallelize` cuts them. */
export function parallelizeBlock(items: readonly unknown[], slices: number): SharedArrayBuffer {
  const sections: ValueWriter[] = [];
  const counts: number[] = [];
  for (let i = 0; i < slices; i++) {
    const from = Math.floor((i * items.length) / slices);
    const to = Math.floor(((i + 1) * items.length) / slices);
    const w = new ValueWriter(64);
    for (let j = from; j < to; j++) w.write(items[j]);
    sections.push(w);
    counts.push(to - from);
  }
  return sealBlock(sections, counts);
}

/**
 * A line segment: one SharedArrayBuffer holding a run of text lines as UTF-8 bytes plus an
 * offsets column. The byte layout is drawn in `native-layouts/README.md` ("LineSegment"); this
 * file is the only code that knows it, on both the main thread (writer) and workers (reader).
 *
 * Why one buffer per segment rather than one per column: a task needs a single handle to reach a
 * whole segment, and a header inside the buffer lets a worker read counts that the main thread
 * wrote without a second message.
 */
import { CorruptBlockError } from '../errors.js';

const MAGIC = 0x42534843; // 'CHSB' little-endian
const VERSION = 1;
const HEADER_INTS = 8;
const H_MAGIC = 0;
const H_VERSION = 1;
const H_LINE_CAPACITY = 2;
const H_BYTE_CAPACITY = 3;
const H_LINE_COUNT = 4;
const H_BYTE_LENGTH = 5;
const H_READS = 6;

/** Byte offset of the bytes region for a segment that holds `lineCapacity` lines. */
function bytesStart(lineCapacity: number): number {
  const end = (HEADER_INTS + lineCapacity + 1) * 4;
  return (end + 7) & ~7;
}

/** Allocates a segment able to hold `lineCapacity` lines and `byteCapacity` bytes of text. */
export function allocateLineSegment(lineCapacity: number, byteCapacity: number): SharedArrayBuffer {
  const sab = new SharedArrayBuffer(bytesStart(lineCapacity) + byteCapacity);
  const header = new Int32Array(sab, 0, HEADER_INTS);
  header[H_MAGIC] = MAGIC;
  header[H_VERSION] = VERSION;
  header[H_LINE_CAPACITY] = lineCapacity;
  header[H_BYTE_CAPACITY] = byteCapacity;
  return sab;
}

/** Typed views over one segment. Cheap to build; workers build one per task. */
export class LineSegmentView {
  readonly sab: SharedArrayBuffer;
  readonly header: Int32Array;
  /** `offsets[i]` is where line i starts in `bytes`; `offsets[lineCount]` is where the last ends. */
  readonly offsets: Int32Array;
  readonly bytes: Uint8Array;

  constructor(sab: SharedArrayBuffer) {
    this.sab = sab;
    this.header = new Int32Array(sab, 0, HEADER_INTS);
    if (this.header[H_MAGIC] !== MAGIC || this.header[H_VERSION] !== VERSION) {
      throw new CorruptBlockError('not a chispa line segment (bad magic or version)');
    }
    const lineCapacity = this.header[H_LINE_CAPACITY];
    this.offsets = new Int32Array(sab, HEADER_INTS * 4, lineCapacity + 1);
    this.bytes = new Uint8Array(sab, bytesStart(lineCapacity), this.header[H_BYTE_CAPACITY]);
  }

  get lineCapacity(): number {
    return this.header[H_LINE_CAPACITY];
  }
  get byteCapacity(): number {
    return this.header[H_BYTE_CAPACITY];
  }
  get lineCount(): number {
    return this.header[H_LINE_COUNT];
  }
  get byteLength(): number {
    return this.header[H_BYTE_LENGTH];
  }

  /** Publishes the counts; called by the writer when it seals the segment. */
  seal(lineCount: number, byteLength: number): void {
    this.offsets[lineCount] = byteLength;
    this.header[H_LINE_COUNT] = lineCount;
    this.header[H_BYTE_LENGTH] = byteLength;
  }

  /**
   * Counts one task reading this segment. The count lives in the shared header, so the main thread
   * sees what workers did: it is how tests prove batches reach workers as shared memory.
   */
  markRead(): void {
    Atomics.add(this.header, H_READS, 1);
  }

  /** Tasks that have read this segment since it was last cleared. */
  get reads(): number {
    return Atomics.load(this.header, H_READS);
  }

  /** Resets the counts so a pooled segment can be written again. */
  clear(): void {
    this.header[H_LINE_COUNT] = 0;
    this.header[H_BYTE_LENGTH] = 0;
    Atomics.store(this.header, H_READS, 0);
    this.offsets[0] = 0;
  }
}

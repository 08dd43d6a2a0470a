import { isUtf8 } from 'node:buffer';
import { IllegalArgumentError } from '../errors.js';
import { LineSegmentView } from './line-segment.js';
import { SegmentPool } from './segment-pool.js';

/** A sealed batch of lines: the segments that hold them, in order. */
export class LineBatch {
  readonly segments: readonly LineSegmentView[];
  readonly #pool: SegmentPool | undefined;
  #released = false;

  constructor(segments: LineSegmentView[], pool?: SegmentPool) {
    this.segments = segments;
    this.#pool = pool;
  }

  get lineCount(): number {
    let n = 0;
    for (const s of this.segments) n += s.lineCount;
    return n;
  }

  get byteLength(): number {
    let n = 0;
    for (const s of this.segments) n += s.byteLength;
    return n;
  }

  /** Returns the segments to their pool. Only the owner calls this, once no task reads them. */
  release(): void {
    if (this.#released) return;
    this.#released = true;
    if (this.#pool) for (const s of this.segments) this.#pool.release(s);
  }
}

/** Counters a receiver exposes; all monotonic. */
export interface LineStats {
  lines: number;
  bytes: number;
  truncatedLines: number;
  /** Lines whose bytes are not valid UTF-8 (tasks decode them with U+FFFD); counted as a batch is cut. */
  invalidUtf8Lines: number;
  /** Unterminated lines dropped by `discardOpenLine` (a connection reset mid-line). */
  droppedLines: number;
}

/**
 * Builds line batches in shared memory from line fragments. The receiver calls `append` with the
 * bytes of the line in progress (as many times as the network splits it) and `endLine` at each
 * terminator; `cut` seals the complete lines received so far into a batch and keeps the line in
 * progress for the next one.
 *
 * Lines longer than `maxLineBytes` are cut at that length (on a UTF-8 character boundary) and the
 * rest of the line is dropped, so one runaway line cannot grow a buffer without bound.
 */
export class LineBatchBuilder {
  readonly #pool: SegmentPool;
  readonly #maxLineBytes: number;
  readonly #onTruncate: ((lineBytes: number) => void) | undefined;
  #sealed: LineSegmentView[] = [];
  #seg: LineSegmentView;
  #lines = 0; // complete lines in #seg
  #open = 0; // byte offset in #seg where the line in progress starts
  #end = 0; // bytes written to #seg
  #dropping = false; // the line in progress was truncated; ignore bytes until its end
  readonly stats: LineStats = { lines: 0, bytes: 0, truncatedLines: 0, invalidUtf8Lines: 0, droppedLines: 0 };

  constructor(pool: SegmentPool, opts: { maxLineBytes?: number; onTruncate?: (lineBytes: number) => void } = {}) {
    this.#pool = pool;
    this.#maxLineBytes = opts.maxLineBytes ?? 1024 * 1024;
    if (!(this.#maxLineBytes > 0)) throw new IllegalArgumentError(`maxLineBytes must be a positive number of bytes, got ${this.#maxLineBytes}`);
    this.#onTruncate = opts.onTruncate;
    this.#seg = pool.acquire();
  }

  /** Appends `src[start, end)` to the line in progress. */
  append(src: Uint8Array, start: number, end: number): void {
    if (this.#dropping || end <= start) return;
    const lineLen = this.#end - this.#open;
    let take = end - start;
    if (lineLen + take > this.#maxLineBytes) {
      take = utf8Boundary(src, start, this.#maxLineBytes - lineLen);
      if (take === 0 && (src[start] & 0xc0) === 0x80) {
        // The character at the cut began in an earlier chunk: drop its stored bytes too.
        const b = this.#seg.bytes;
        while (this.#end > this.#open && (b[this.#end - 1] & 0xc0) === 0x80) this.#end--;
        if (this.#end > this.#open && b[this.#end - 1] >= 0xc0) this.#end--;
      }
      this.#dropping = true;
      this.stats.truncatedLines++;
      this.#onTruncate?.(this.#maxLineBytes);
    }
    if (this.#end + take > this.#seg.byteCapacity) this.#moveOpenLine(lineLen + take);
    this.#seg.bytes.set(src.subarray(start, start + take), this.#end);
    this.#end += take;
  }

  /** Ends the line in progress (possibly empty). */
  endLine(): void {
    this.#dropping = false;
    if (this.#lines + 1 > this.#seg.lineCapacity) this.#moveOpenLine(this.#end - this.#open);
    this.#seg.offsets[this.#lines] = this.#open;
    this.#lines++;
    this.stats.lines++;
    this.stats.bytes += this.#end - this.#open;
    this.#open = this.#end;
  }

  /**
   * Drops the line in progress: its connection broke (a reset), so what arrived of it is not a
   * record. Returns whether there was one.
   */
  discardOpenLine(): boolean {
    const open = this.hasOpenLine;
    this.#end = this.#open;
    this.#dropping = false;
    if (open) this.stats.droppedLines++;
    return open;
  }

  /** True when bytes of an unterminated line are pending. */
  get hasOpenLine(): boolean {
    return this.#end > this.#open || this.#dropping;
  }

  /** Seals every complete line into a batch; the line in progress stays for the next batch. */
  cut(): LineBatch {
    const segs = this.#sealed;
    this.#sealed = [];
    if (this.#lines > 0) {
      const openBytes = this.#seg.bytes.subarray(this.#open, this.#end);
      const next = this.#pool.acquire();
      next.bytes.set(openBytes, 0);
      this.#seal();
      segs.push(this.#seg);
      this.#seg = next;
      this.#end -= this.#open;
      this.#open = 0;
      this.#lines = 0;
    }
    return new LineBatch(segs, this.#pool);
  }

  /** Returns the segment in progress to the pool; the builder is unusable afterwards. */
  dispose(): void {
    for (const s of this.#sealed) this.#pool.release(s);
    this.#pool.release(this.#seg);
    this.#sealed = [];
  }

  /**
   * Seals the current segment's complete lines, counting those that are not valid UTF-8: one
   * native check over the segment's bytes, line by line only when that finds something.
   */
  #seal(): void {
    const seg = this.#seg;
    seg.seal(this.#lines, this.#open);
    if (isUtf8(seg.bytes.subarray(0, this.#open))) return;
    for (let i = 0; i < this.#lines; i++) {
      const end = i + 1 < this.#lines ? seg.offsets[i + 1] : this.#open;
      if (!isUtf8(seg.bytes.subarray(seg.offsets[i], end))) this.stats.invalidUtf8Lines++;
    }
  }

  /** Seals the complete lines of the current segment and moves the open line to a fresh one. */
  #moveOpenLine(needBytes: number): void {
    const openBytes = this.#seg.bytes.subarray(this.#open, this.#end);
    const next =
      needBytes > this.#pool.byteCapacity
        ? // Grow geometrically so a long line arriving in small chunks is not copied once per chunk.
          this.#pool.acquireOversized(Math.min(this.#maxLineBytes, Math.max(needBytes, 2 * this.#seg.byteCapacity)))
        : this.#pool.acquire();
    next.bytes.set(openBytes, 0);
    if (this.#lines > 0) {
      this.#seal();
      this.#sealed.push(this.#seg);
    } else {
      this.#pool.release(this.#seg);
    }
    this.#seg = next;
    this.#end -= this.#open;
    this.#open = 0;
    this.#lines = 0;
  }
}

/** The largest n ≤ max such that src[start, start+n) does not end inside a UTF-8 character. */
function utf8Boundary(src: Uint8Array, start: number, max: number): number {
  let n = max;
  // While the first byte left out continues a character (10xxxxxx), that character would be
  // split: leave all of it out.
  while (n > 0 && (src[start + n] & 0xc0) === 0x80) n--;
  return n;
}

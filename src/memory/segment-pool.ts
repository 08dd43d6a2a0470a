import { allocateLineSegment, LineSegmentView } from './line-segment.js';

/**
 * Recycles line segments. Allocating a SharedArrayBuffer costs a zero-fill and a page fault per
 * page, so a steady stream re-uses the few segments that one or two batches need instead.
 * The free list is bounded so a burst does not pin its peak memory forever.
 */
export class SegmentPool {
  readonly lineCapacity: number;
  readonly byteCapacity: number;
  readonly #free: SharedArrayBuffer[] = [];
  readonly #maxFree: number;
  #allocated = 0;
  #bytesInUse = 0;
  readonly #onRelease = new Set<() => void>();

  constructor(opts: { lineCapacity?: number; byteCapacity?: number; maxFree?: number } = {}) {
    this.byteCapacity = opts.byteCapacity ?? 4 * 1024 * 1024;
    // English text averages ~40 bytes a line; a segment full of empty lines simply seals early.
    this.lineCapacity = opts.lineCapacity ?? Math.max(1024, this.byteCapacity >>> 4);
    this.#maxFree = opts.maxFree ?? 8;
  }

  /** A cleared segment of this pool's geometry. */
  acquire(): LineSegmentView {
    this.#bytesInUse += this.byteCapacity;
    const sab = this.#free.pop();
    if (sab) {
      const view = new LineSegmentView(sab);
      view.clear();
      return view;
    }
    this.#allocated++;
    return new LineSegmentView(allocateLineSegment(this.lineCapacity, this.byteCapacity));
  }

  /** A one-off segment for a line that does not fit this pool's geometry; never pooled. */
  acquireOversized(byteCapacity: number): LineSegmentView {
    this.#bytesInUse += byteCapacity;
    return new LineSegmentView(allocateLineSegment(this.lineCapacity, byteCapacity));
  }

  release(view: LineSegmentView): void {
    this.#bytesInUse -= view.byteCapacity;
    for (const listener of this.#onRelease) listener();
    if (view.byteCapacity !== this.byteCapacity || view.lineCapacity !== this.lineCapacity) return;
    if (this.#free.length < this.#maxFree) this.#free.push(view.sab);
  }

  /** Text capacity of the segments handed out and not released: what pending lines hold. */
  get bytesInUse(): number {
    return this.#bytesInUse;
  }

  /** Calls `listener` after every release (receivers resume reading on it). */
  onRelease(listener: () => void): () => void {
    this.#onRelease.add(listener);
    return () => this.#onRelease.delete(listener);
  }

  /** Segments ever allocated by this pool (for tests and memory accounting). */
  get allocated(): number {
    return this.#allocated;
  }
}

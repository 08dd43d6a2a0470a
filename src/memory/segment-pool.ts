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

  constructor(opts: { lineCapacity?: number; byteCapacity?: number; maxFree?: number } = {}) {
    this.byteCapacity = opts.byteCapacity ?? 4 * 1024 * 1024;
    // English text averages ~40 bytes a line; a segment full of empty lines simply seals early.
    this.lineCapacity = opts.lineCapacity ?? Math.max(1024, this.byteCapacity >>> 4);
    this.#maxFree = opts.maxFree ?? 8;
  }

  /** A cleared segment of this pool's geometry. */
  acquire(): LineSegmentView {
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
    return new LineSegmentView(allocateLineSegment(this.lineCapacity, byteCapacity));
  }

  release(view: LineSegmentView): void {
    if (view.byteCapacity !== this.byteCapacity || view.lineCapacity !== this.lineCapacity) return;
    if (this.#free.length < this.#maxFree) this.#free.push(view.sab);
  }

  /** Segments ever allocated by this pool (for tests and memory accounting). */
  get allocated(): number {
    return this.#allocated;
  }
}

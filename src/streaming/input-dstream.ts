import type { RDD } from '../rdd/rdd.js';
import { DStream } from './dstream.js';

/**
 * A stream fed from outside: its RDD for a batch is what arrived for that batch. The context
 * starts inputs before the first batch and stops them on `stop()`; `release` is called once a
 * batch's jobs are done and nothing will read its data again, so shared memory can be reused.
 */
export abstract class InputDStream<T> extends DStream<T> {
  readonly parents: readonly DStream<unknown>[] = [];
  readonly #records = new Map<number, number>();
  /** @internal The stable id its position is checkpointed under; assigned by the context. */
  id = '';
  /** Spark's input stream id: this input's position among the context's inputs (0, 1, …). */
  streamId = -1;

  /** @internal Begins receiving; never throws for network reasons. */
  start(): void {}

  /**
   * @internal Work an input must do, asynchronously, before batch `time` is generated (a direct
   * Kafka stream asks the brokers where each partition ends); undefined for inputs with none.
   * Must not reject. The context calls it for one batch at a time, in batch order, and generates
   * batch `time` once it has settled.
   */
  prepareBatch?(time: number): Promise<void>;

  /** @internal Stops receiving; data received so far stays for a last batch. */
  async stop(): Promise<void> {}

  /** @internal Frees everything, at context stop. */
  dispose(): void {
    this.release(Number.POSITIVE_INFINITY);
  }

  /** @internal Frees what batches at or before `time` hold. */
  release(time: number): void {
    for (const t of this.#records.keys()) if (t <= time) this.#records.delete(t);
    this.clearBefore(time);
  }

  /** @internal What kind of input this is, for its derived checkpoint id (`textFileStream#0`). */
  get kind(): string {
    return 'input';
  }

  /**
   * @internal The input's position, saved in checkpoints so a restarted program neither re-reads
   * nor skips input; undefined for inputs that have none to save.
   */
  checkpointState(): unknown {
    return undefined;
  }

  /** @internal Restores a position saved by `checkpointState`, before start. */
  restoreState(_state: unknown): void {}

  /** @internal A checkpoint now covers every batch up to `time` (a write-ahead log may trim). */
  checkpointed(_time: number): void {}

  /** @internal Records this input contributed to batch `time` (for listeners). */
  numRecords(time: number): number {
    return this.#records.get(time) ?? 0;
  }

  protected noteRecords(time: number, n: number): void {
    this.#records.set(time, n);
  }

  protected abstract override compute(time: number): RDD<T> | undefined;
}

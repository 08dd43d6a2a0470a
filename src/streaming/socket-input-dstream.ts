import { LineBatch, LineBatchBuilder } from '../memory/line-batch.js';
import { SegmentPool } from '../memory/segment-pool.js';
import { log } from '../log.js';
import type { LineRange, SourceDesc } from '../plan/task.js';
import { RDD } from '../rdd/rdd.js';
import { SocketReceiver, type ReceiverStats, type SocketReceiverOptions } from '../sources/socket-receiver.js';
import { InputDStream } from './input-dstream.js';
import type { StreamingContext } from './streaming-context.js';

export interface SocketTextStreamOptions extends SocketReceiverOptions {
  /** Lines longer than this many bytes are cut there (a warning, and `truncatedLines` counts it). Default 1 MiB. */
  maxLineBytes?: number;
}

/**
 * `ssc.socketTextStream`: a TCP client whose lines land in shared-memory segments on the main
 * thread; at each batch time the lines received so far are cut into a batch, and the batch into
 * `defaultParallelism` partitions of about equal bytes, at line boundaries.
 */
export class SocketInputDStream extends InputDStream<string> {
  readonly host: string;
  readonly port: number;
  readonly #opts: SocketTextStreamOptions;
  readonly #pool = new SegmentPool();
  readonly #batches = new Map<number, LineBatch>();
  #builder: LineBatchBuilder | undefined;
  #receiver: SocketReceiver | undefined;

  constructor(ssc: StreamingContext, host: string, port: number, opts: SocketTextStreamOptions = {}) {
    super(ssc);
    this.host = host;
    this.port = port;
    this.#opts = opts;
  }

  /** Receiver counters: connection state, lines and bytes received, lines truncated. */
  receiverStats(): ReceiverStats {
    return this.#receiver?.stats ?? { connected: false, connects: 0, lines: 0, bytes: 0, truncatedLines: 0 };
  }

  override start(): void {
    const max = this.#opts.maxLineBytes ?? 1024 * 1024;
    this.#builder = new LineBatchBuilder(this.#pool, {
      maxLineBytes: max,
      onTruncate: () => log.warn(`socketTextStream ${this.host}:${this.port}: a line longer than ${max} bytes was cut to ${max} bytes`),
    });
    this.#receiver = new SocketReceiver(this.host, this.port, this.#builder, this.#opts);
    this.#receiver.start();
  }

  override async stop(): Promise<void> {
    await this.#receiver?.stop();
  }

  override dispose(): void {
    super.dispose();
    this.#builder?.dispose();
  }

  override release(time: number): void {
    for (const [t, batch] of this.#batches) {
      if (t <= time) {
        batch.release();
        this.#batches.delete(t);
      }
    }
    super.release(time);
  }

  protected compute(time: number): RDD<string> | undefined {
    if (!this.#builder) return undefined;
    const batch = this.#builder.cut();
    this.#batches.set(time, batch);
    this.noteRecords(time, batch.lineCount);
    const partitions = splitLines(batch, this.ssc.sparkContext.defaultParallelism).map(
      (ranges): SourceDesc => ({ kind: 'lines', ranges }),
    );
    return new RDD<string>(this.ssc.sparkContext, { kind: 'source', partitions });
  }
}

/**
 * Cuts a batch into at most `parts` partitions of about equal bytes, at line boundaries; an
 * empty batch has no partitions, as an empty block RDD in Spark.
 */
export function splitLines(batch: LineBatch, parts: number): LineRange[][] {
  const total = batch.byteLength + batch.lineCount; // count each line's terminator so empty lines weigh something
  if (batch.lineCount === 0) return [];
  const target = total / parts;
  const out: LineRange[][] = [];
  let current: LineRange[] = [];
  let weight = 0;
  for (const seg of batch.segments) {
    const { offsets, lineCount } = seg;
    let from = 0;
    while (from < lineCount) {
      // The first line `to` at which this partition reaches its share: binary search on offsets.
      const need = target - weight;
      let lo = from + 1;
      let hi = lineCount;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if (offsets[mid] - offsets[from] + (mid - from) >= need) hi = mid;
        else lo = mid + 1;
      }
      const to = out.length === parts - 1 ? lineCount : lo;
      current.push({ sab: seg.sab, from, to });
      weight += offsets[to] - offsets[from] + (to - from);
      from = to;
      if (weight >= target && out.length < parts - 1) {
        out.push(current);
        current = [];
        weight = 0;
      }
    }
  }
  if (current.length > 0) out.push(current);
  return out;
}

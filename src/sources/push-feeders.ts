import type { Readable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';

/**
 * Where a feeder hands records: a stream with a bound on pending records (the push stream). The
 * feeder asks for room before it pulls, so a producer is never read further than the bound.
 */
export interface PushTarget<T> {
  /** Accepts a record; waits while the target is full; rejects once it is closed. */
  push(record: T): Promise<void>;
  /** Whether a record would be accepted now without waiting. */
  readonly hasRoom: boolean;
  /** Resolves when there is room, or the target closed. */
  room(): Promise<void>;
  readonly closed: boolean;
  /** Called once when the target closes, so the feeder stops pulling. */
  onStop(fn: () => void): void;
}

/**
 * Pulls `source` into `target`: one record per item, the next item only once the previous one is
 * accepted, so a producer faster than the job waits in its own `yield`. Stops pulling (calling
 * the iterator's `return`) when the target closes. Resolves when the source ends or the target
 * closes; an error the source throws is handed to `onError` (the records before it were accepted).
 */
export async function feedIterable<T>(
  source: AsyncIterable<T> | Iterable<T>,
  target: PushTarget<T>,
  onError: (e: unknown) => void,
): Promise<void> {
  const it: AsyncIterator<T> | Iterator<T> =
    Symbol.asyncIterator in source ? (source as AsyncIterable<T>)[Symbol.asyncIterator]() : (source as Iterable<T>)[Symbol.iterator]();
  let stopped = false;
  target.onStop(() => {
    stopped = true;
  });
  try {
    while (!stopped) {
      // Room first, then pull: an item pulled is an item the target takes.
      if (!target.hasRoom) await target.room();
      if (stopped || target.closed) break;
      const next = await it.next();
      if (next.done) return;
      await target.push(next.value);
    }
    await it.return?.();
  } catch (e) {
    if (!target.closed) onError(e);
  }
}

/** How a Readable's chunks become records. */
export interface ReadableFeedOptions {
  /**
   * `object`: one record per chunk (object-mode streams). `lines`: the bytes (or strings) as text
   * lines split on `\n`, `\r\n` or `\r`, terminators removed; a last unterminated line counts.
   * Default: `object` for object-mode streams, `lines` otherwise.
   */
  mode?: 'object' | 'lines';
  /** The text encoding of a byte stream in `lines` mode; default utf8. */
  encoding?: BufferEncoding;
}

/**
 * Reads `readable` into `target`, pausing it whenever the target is full and resuming it when
 * batches complete: backpressure reaches the producer through the Readable's own buffer (a piped
 * socket stops being read). The Readable is left paused, not destroyed, when the target closes.
 */
export function feedReadable(
  readable: Readable,
  target: PushTarget<unknown>,
  opts: ReadableFeedOptions,
  onError: (e: unknown) => void,
): void {
  const mode = opts.mode ?? (readable.readableObjectMode ? 'object' : 'lines');
  const lines = mode === 'lines' ? new LineDecoder(opts.encoding ?? 'utf8') : undefined;
  let waiting = false;

  const offer = (records: readonly unknown[]): void => {
    for (const r of records) {
      if (target.closed) return;
      // Accepted now or once there is room; the stream is paused meanwhile. Records are never
      // dropped: `push` queues them in order behind the bound.
      target.push(r).catch(() => {});
    }
    if (!target.hasRoom && !waiting && !target.closed) {
      waiting = true;
      readable.pause();
      void target.room().then(() => {
        waiting = false;
        if (!target.closed) readable.resume();
      });
    }
  };
  const onData = (chunk: unknown): void => {
    offer(lines ? lines.write(chunk) : [chunk]);
  };
  const onEnd = (): void => {
    if (lines) offer(lines.end());
  };
  readable.on('data', onData);
  readable.on('end', onEnd);
  readable.on('error', onError);
  target.onStop(() => {
    readable.pause();
    readable.off('data', onData);
    readable.off('end', onEnd);
    readable.off('error', onError);
  });
}

/** Text lines of a stream of chunks, as the socket source cuts them (`\n`, `\r\n`, `\r`). */
class LineDecoder {
  readonly #decoder: StringDecoder;
  #partial = '';
  #afterCR = false;

  constructor(encoding: BufferEncoding) {
    this.#decoder = new StringDecoder(encoding);
  }

  write(chunk: unknown): string[] {
    let text = typeof chunk === 'string' ? chunk : this.#decoder.write(chunk as Buffer);
    if (this.#afterCR && text.startsWith('\n')) text = text.slice(1);
    if (text.length > 0) this.#afterCR = false;
    const parts = (this.#partial + text).split(/\r\n|\r|\n/);
    this.#partial = parts.pop()!;
    // A `\r` at the very end may be the first half of a `\r\n` split across chunks.
    if (text.endsWith('\r')) this.#afterCR = true;
    return parts;
  }

  end(): string[] {
    const rest = this.#partial + this.#decoder.end();
    this.#partial = '';
    return rest.length > 0 ? [rest] : [];
  }
}

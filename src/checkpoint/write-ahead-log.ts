import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { LineBatch, LineBatchBuilder } from '../memory/line-batch.js';
import type { SegmentPool } from '../memory/segment-pool.js';
import { log } from '../log.js';
import { replaceDurably } from './durable-write.js';
import { frame, unframe } from './frame.js';
import { CheckpointError, CorruptDataError } from '../errors.js';
import { errnoOf, makeDir } from './make-dir.js';

/**
 * The receiver write-ahead log, as Spark's: every batch a receiver cut is written to
 * `<checkpoint dir>/wal/<input id>/batch-<t>.wal` before its jobs run, and deleted once a
 * checkpoint covers it. A program killed after receiving a batch replays it on restart instead of
 * losing it. One file per batch keeps both the append (temporary file, fsync, rename) and the trim
 * (unlink) atomic. Layout: a checkpoint frame around the payload drawn in `native-layouts/README.md`
 * ("Write-ahead log record").
 */
export class WriteAheadLog {
  readonly #dir: string;

  /** @throws CheckpointError (with the errno) when the log's directory cannot be made. */
  constructor(dir: string) {
    this.#dir = dir;
    refused(dir, 'the write-ahead log directory cannot be created', () => makeDir(dir));
  }

  /** Logs batch `time` durably; a CheckpointError with the errno when the file system refuses. */
  append(time: number, batch: LineBatch): void {
    refused(this.#dir, `batch ${time} cannot be written to the write-ahead log`, () => this.#append(time, batch));
  }

  #append(time: number, batch: LineBatch): void {
    const parts: Buffer[] = [];
    for (const seg of batch.segments) {
      const head = Buffer.allocUnsafe(8);
      head.writeUInt32LE(seg.lineCount, 0);
      head.writeUInt32LE(seg.byteLength, 4);
      const offsets = Buffer.from(seg.offsets.buffer, seg.offsets.byteOffset, (seg.lineCount + 1) * 4);
      parts.push(head, Buffer.from(offsets), Buffer.from(seg.bytes.subarray(0, seg.byteLength)));
    }
    replaceDurably(join(this.#dir, `batch-${time}.wal`), frame(Buffer.concat(parts)));
  }

  /** Times of the logged batches, oldest first. */
  times(): number[] {
    if (!existsSync(this.#dir)) return [];
    return readdirSync(this.#dir)
      .map((n) => /^batch-(\d+)\.wal$/.exec(n))
      .filter((m): m is RegExpExecArray => m !== null)
      .map((m) => Number(m[1]))
      .sort((a, b) => a - b);
  }

  /** The logged batch `time`, rebuilt in `pool`'s segments; undefined (with a warning) if damaged. */
  read(time: number, pool: SegmentPool): LineBatch | undefined {
    const file = join(this.#dir, `batch-${time}.wal`);
    const r = unframe(readFileSync(file));
    if ('damaged' in r) {
      log.warn(`write-ahead log ${file} is damaged (${r.damaged}); its batch cannot be replayed`);
      return undefined;
    }
    try {
      return decodeWalRecord(r.payload, pool);
    } catch (e) {
      if (!(e instanceof CorruptDataError)) throw e;
      log.warn(`write-ahead log ${file} is damaged (${e.message}); its batch cannot be replayed`);
      return undefined;
    }
  }

  /** Deletes the batches at or before `time`: a checkpoint holds their effect now. */
  trim(time: number): void {
    for (const t of this.times()) if (t <= time) this.remove(t);
  }

  remove(time: number): void {
    rmSync(join(this.#dir, `batch-${time}.wal`), { force: true });
  }
}

/**
 * A write-ahead log record's payload back into a batch in `pool`'s segments. Each segment's line
 * count, byte count and offsets are checked against the payload before a line is copied: a
 * CorruptDataError, never a read past the end or an allocation on a forged count.
 */
export function decodeWalRecord(payload: Uint8Array, pool: SegmentPool): LineBatch {
  const p = Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength);
  const builder = new LineBatchBuilder(pool, { maxLineBytes: Number.MAX_SAFE_INTEGER });
  try {
    for (let at = 0; at < p.length; ) {
      if (at + 8 > p.length) throw new CorruptDataError(`write-ahead log record: a segment header at byte ${at} runs past the end`);
      const lines = p.readUInt32LE(at);
      const bytes = p.readUInt32LE(at + 4);
      const offsetsAt = at + 8;
      const bytesAt = offsetsAt + (lines + 1) * 4;
      if (bytesAt + bytes > p.length) throw new CorruptDataError(`write-ahead log record: a segment of ${lines} lines and ${bytes} bytes at byte ${at} runs past the end`);
      let prev = 0;
      for (let i = 0; i <= lines; i++) {
        const o = p.readInt32LE(offsetsAt + i * 4);
        if (o < prev || o > bytes) throw new CorruptDataError(`write-ahead log record: line offset ${o} out of order or past ${bytes} bytes`);
        prev = o;
      }
      for (let i = 0; i < lines; i++) {
        builder.append(p, bytesAt + p.readInt32LE(offsetsAt + i * 4), bytesAt + p.readInt32LE(offsetsAt + (i + 1) * 4));
        builder.endLine();
      }
      at = bytesAt + bytes;
    }
    return builder.cut();
  } finally {
    builder.dispose();
  }
}

/** Runs a file-system step; a refusal becomes a CheckpointError naming `path` and the errno. */
function refused(path: string, what: string, step: () => void): void {
  try {
    step();
  } catch (e) {
    const errno = errnoOf(e);
    throw new CheckpointError(path, `${what}: ${e instanceof Error ? e.message : String(e)}`, { cause: e, ...(errno ? { errno } : {}) });
  }
}

/** Several batches as one (their segments in order), for replaying logged batches into one. */
export function concatBatches(batches: readonly LineBatch[], pool: SegmentPool): LineBatch {
  return new LineBatch(
    batches.flatMap((b) => [...b.segments]),
    pool,
  );
}

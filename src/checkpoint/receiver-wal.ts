import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { deserialize, serialize } from 'node:v8';
import { fsyncDir, replaceDurably } from './durable-write.js';
import { frame, unframe } from './frame.js';
import { log } from '../log.js';

/** One logged block: its sequence number, and its batch time once a batch took it. */
interface LoggedBlock {
  readonly seq: number;
  readonly time: number | undefined;
  readonly file: string;
}

const BLOCK = /^block-(\d+)\.wal$/;
const IN_BATCH = /^batch-(\d+)-(\d+)\.wal$/;

/**
 * The write-ahead log of a record receiver (`ssc.receiverStream`), as Spark's
 * WriteAheadLogBasedBlockHandler: every block a receiver stores is written durably, as
 * `block-<seq>.wal`, before `store()` resolves, so a reliable receiver acknowledges only what
 * survives a crash. When a batch takes the blocks, they are renamed `batch-<time>-<seq>.wal` (one
 * atomic rename each), and deleted once a checkpoint covers that batch. On restart, blocks not
 * covered by the recovered checkpoint are replayed into the first batch. Records are encoded with
 * `v8.serialize` inside a checksummed checkpoint frame.
 */
export class ReceiverWriteAheadLog {
  readonly #dir: string;
  #nextSeq: number;
  #unassigned: number[] = []; // seqs logged since the last batch

  constructor(dir: string) {
    this.#dir = dir;
    mkdirSync(dir, { recursive: true });
    this.#nextSeq = Math.max(0, ...this.#list().map((b) => b.seq + 1));
  }

  /** Logs a block durably (file, fsync, rename, directory fsync). */
  append(records: readonly unknown[]): void {
    const seq = this.#nextSeq++;
    const file = join(this.#dir, `block-${seq}.wal`);
    replaceDurably(file, frame(serialize(records)));
    this.#unassigned.push(seq);
  }

  /** Marks the blocks logged since the last call as batch `time`'s. */
  assign(time: number): void {
    if (this.#unassigned.length === 0) return;
    for (const seq of this.#unassigned) renameSync(join(this.#dir, `block-${seq}.wal`), join(this.#dir, `batch-${time}-${seq}.wal`));
    this.#unassigned = [];
    fsyncDir(this.#dir);
  }

  /**
   * The records to replay after a restart from a checkpoint at `after` (all logged records when
   * there was none): blocks of later batches, and blocks no batch took, oldest first. Blocks of
   * batches the checkpoint covers are deleted. The replayed blocks count as unassigned: the next
   * `assign` gives them to the batch that replays them.
   */
  recover(after: number | undefined): unknown[] {
    const records: unknown[] = [];
    for (const b of this.#list()) {
      if (b.time !== undefined && after !== undefined && b.time <= after) {
        rmSync(b.file, { force: true });
        continue;
      }
      const block = this.#read(b.file);
      if (block) records.push(...block);
      if (b.time !== undefined) renameSync(b.file, join(this.#dir, `block-${b.seq}.wal`));
      this.#unassigned.push(b.seq);
    }
    return records;
  }

  /** Deletes the blocks of batches at or before `time`: a checkpoint holds their effect now. */
  trim(time: number): void {
    for (const b of this.#list()) if (b.time !== undefined && b.time <= time) rmSync(b.file, { force: true });
  }

  #read(file: string): unknown[] | undefined {
    const r = unframe(readFileSync(file));
    if ('damaged' in r) {
      log.warn(`write-ahead log ${file} is damaged (${r.damaged}); its records cannot be replayed`);
      return undefined;
    }
    return deserialize(r.payload) as unknown[];
  }

  /** The logged blocks, in sequence order. */
  #list(): LoggedBlock[] {
    if (!existsSync(this.#dir)) return [];
    const out: LoggedBlock[] = [];
    for (const name of readdirSync(this.#dir)) {
      const file = join(this.#dir, name);
      let m = BLOCK.exec(name);
      if (m) out.push({ seq: Number(m[1]), time: undefined, file });
      else if ((m = IN_BATCH.exec(name))) out.push({ seq: Number(m[2]), time: Number(m[1]), file });
    }
    return out.sort((a, b) => a.seq - b.seq);
  }
}

import { readdirSync, readFileSync, statSync, type Dirent } from 'node:fs';
import { join } from 'node:path';
import { IllegalArgumentError, IllegalStateError } from '../errors.js';
import { LineBatchBuilder } from '../memory/line-batch.js';
import { log } from '../log.js';
import type { RDD } from '../rdd/rdd.js';
import { LineSplitter } from '../sources/line-splitter.js';
import { LineBatchInputDStream } from './line-batch-input.js';
import type { StreamingContext } from './streaming-context.js';

export interface TextFileStreamOptions {
  /**
   * As Spark's `newFilesOnly` (default true): files already in the directory when the context
   * starts are not read; false reads them in the first batch. A context restored from a
   * checkpoint ignores this and reads every file it has not processed.
   */
  newFilesOnly?: boolean;
  /** Lines longer than this many bytes are cut there, with a warning. Default 1 MiB, as the socket. */
  maxLineBytes?: number;
}

/** What a file stream checkpoints: the names of the files it has processed. */
export interface FileInputState {
  processed: string[];
}

/**
 * `ssc.textFileStream(directory)`: at each batch time, the files that appeared in `directory`
 * since the last batch become that batch's lines, file after file in name order. As in Spark:
 *
 * - Files must appear atomically: write them elsewhere (or under a name starting with `.`) and
 *   rename them into the directory. A file still being written when a batch lists it is read as
 *   it is then, and never again.
 * - Names starting with `.` or `_` (temporary and hidden files) and subdirectories are ignored.
 * - Each file name is processed once: a file changed, or replaced under the same name, after its
 *   batch is not read again.
 *
 * Lines end at `\n`, `\r\n` or `\r`, and a final unterminated line counts. Files are read as bytes
 * straight into shared-memory segments; lines are decoded in the tasks, invalid UTF-8 as U+FFFD.
 * A directory that does not exist yet gives empty batches (and one warning) until it does.
 */
export class FileInputDStream extends LineBatchInputDStream {
  /** The directory this stream watches. */
  readonly directory: string;
  readonly #opts: TextFileStreamOptions;
  readonly #processed = new Set<string>();
  readonly #batchFiles = new Map<number, string[]>(); // files each unreleased batch read
  #restored = false;
  #builder: LineBatchBuilder | undefined;
  #splitter: LineSplitter | undefined;
  #missingWarned = false;

  constructor(ssc: StreamingContext, directory: string, opts: TextFileStreamOptions = {}) {
    super(ssc);
    this.directory = directory;
    this.#opts = opts;
  }

  /** @internal Names this input in checkpoints (`textFileStream#0`). */
  override get kind(): string {
    return 'textFileStream';
  }

  /**
   * The names of the files processed so far (and of those present at start that `newFilesOnly`
   * skipped), in name order, for a checkpoint. With `upTo`, files read for batches after `upTo`
   * are left out: a batch is generated (its files read) before the previous one's jobs may have
   * finished, so a checkpoint of batch `upTo` must not claim the files of a later, unfinished one.
   *
   * @example
   * ```ts
   * const files = ssc.textFileStream('/data/in');
   * // … once batch `time` has completed:
   * writeFileSync(cp, JSON.stringify(files.checkpointState(time)));
   * ```
   */
  override checkpointState(upTo?: number): FileInputState {
    const later = new Set<string>();
    if (upTo !== undefined) for (const [t, names] of this.#batchFiles) if (t > upTo) for (const n of names) later.add(n);
    return { processed: [...this.#processed].filter((n) => !later.has(n)).sort() };
  }

  /**
   * Restores what `checkpointState` returned, before the context starts: those files are never
   * read again, and every other file in the directory (including ones that arrived while no
   * context ran) is read by the first batch, whatever `newFilesOnly` says.
   *
   * @example
   * ```ts
   * const files = ssc.textFileStream('/data/in');
   * files.restoreState(JSON.parse(readFileSync(cp, 'utf8')));
   * ssc.start();
   * ```
   */
  override restoreState(state: FileInputState): void {
    const processed = (state as Partial<FileInputState> | null | undefined)?.processed;
    if (!Array.isArray(processed) || !processed.every((n) => typeof n === 'string')) {
      throw new IllegalArgumentError('textFileStream: restoreState expects { processed: string[] }');
    }
    if (this.ssc.getState() !== 'INITIALIZED') {
      throw new IllegalStateError('textFileStream: restoreState must be called before the context starts');
    }
    this.#processed.clear();
    for (const name of processed) this.#processed.add(name);
    this.#restored = true;
  }

  override start(): void {
    const max = this.#opts.maxLineBytes ?? 1024 * 1024;
    this.#builder = new LineBatchBuilder(this.pool, {
      maxLineBytes: max,
      onTruncate: () => log.warn(`textFileStream ${this.directory}: a line longer than ${max} bytes was cut to ${max} bytes`),
    });
    this.#splitter = new LineSplitter(this.#builder);
    if (!this.#restored && (this.#opts.newFilesOnly ?? true)) {
      for (const name of this.#list() ?? []) this.#processed.add(name);
    }
  }

  override release(time: number): void {
    for (const t of this.#batchFiles.keys()) if (t <= time) this.#batchFiles.delete(t);
    super.release(time);
  }

  override dispose(): void {
    super.dispose();
    this.#builder?.dispose();
    this.#builder = undefined;
  }

  protected compute(time: number): RDD<string> | undefined {
    const builder = this.#builder;
    const splitter = this.#splitter;
    if (!builder || !splitter) return undefined;
    const read: string[] = [];
    for (const name of this.#list() ?? []) {
      if (this.#processed.has(name)) continue;
      let bytes: Uint8Array;
      try {
        bytes = readFileSync(join(this.directory, name));
      } catch (e) {
        // Gone between listing and reading (or unreadable): skipped; it is not marked processed,
        // so a file moved in again under that name is read then.
        log.warn(`textFileStream ${this.directory}: skipping ${name}: ${(e as Error).message}`);
        continue;
      }
      splitter.write(bytes);
      splitter.end();
      this.#processed.add(name);
      read.push(name);
    }
    this.#batchFiles.set(time, read);
    return this.batchRDD(time, builder.cut());
  }

  /** Names of the candidate files in the directory, sorted; undefined when it cannot be listed. */
  #list(): string[] | undefined {
    let entries: Dirent[];
    try {
      entries = readdirSync(this.directory, { withFileTypes: true });
    } catch (e) {
      if (!this.#missingWarned) {
        this.#missingWarned = true;
        log.warn(`textFileStream: cannot list ${this.directory} (${(e as Error).message}); batches are empty until it can be`);
      }
      return undefined;
    }
    this.#missingWarned = false;
    const names: string[] = [];
    for (const d of entries) {
      const name = d.name;
      if (name.startsWith('.') || name.startsWith('_')) continue;
      if (d.isFile() || (d.isSymbolicLink() && this.#isFile(join(this.directory, name)))) names.push(name);
    }
    return names.sort();
  }

  #isFile(path: string): boolean {
    try {
      return statSync(path).isFile();
    } catch {
      return false;
    }
  }
}

import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { pythonRepr } from '../streaming/pprint.js';
import { OperatorFailure } from './pipeline.js';
import type { Sink } from './sinks.js';

/**
 * `saveAsTextFile`, both halves: the task side writes one partition as a part file; the driver
 * side runs those tasks into a temporary directory and commits it. (`pythonRepr` is a pure
 * module, so workers may import it.)
 */

/** A record as PySpark writes it, Python's `str()`: a string as is, anything else as its repr. */
function pythonStr(record: unknown): string {
  return typeof record === 'string' ? record : pythonRepr(record);
}

/** `part-00000`, `part-00001`, …: the part file of partition `partition`, as Hadoop names it. */
function partFileName(partition: number): string {
  return `part-${String(partition).padStart(5, '0')}`;
}

/**
 * The `saveText` sink: collects the partition's records as lines and, when the partition is
 * done, writes them to `dir/part-NNNNN`, one per line. An empty partition writes an empty file.
 * The task's result is the number of lines written.
 */
export function textPartWriter(dir: string, partition: number): Sink {
  const lines: string[] = [];
  return {
    push: (x) => void lines.push(pythonStr(x)),
    end() {},
    result() {
      try {
        writeFileSync(join(dir, partFileName(partition)), lines.length === 0 ? '' : lines.join('\n') + '\n');
      } catch (e) {
        throw new OperatorFailure('saveAsTextFile', e);
      }
      return lines.length;
    },
  };
}

/**
 * Driver side of `saveAsTextFile(path)`: `writeParts(tmp)` runs one task per partition writing
 * into a fresh temporary sibling `<parent>/.<name>.tmp-XXXXXX`; then `_SUCCESS` is written there
 * and the directory is renamed to `path`, so readers see all of it or nothing. An existing `path`
 * (a batch re-run after a crash) is replaced whole: renamed away, the new one renamed in, the old
 * one removed. On failure the temporary directory is removed and `path` is left as it was.
 */
export async function commitTextOutput(path: string, writeParts: (tmpDir: string) => Promise<unknown>): Promise<void> {
  const target = resolve(path);
  const parent = dirname(target);
  const name = basename(target);
  mkdirSync(parent, { recursive: true });
  const tmp = mkdtempSync(join(parent, `.${name}.tmp-`));
  try {
    await writeParts(tmp);
    writeFileSync(join(tmp, '_SUCCESS'), '');
    moveInto(tmp, target, parent, name);
  } catch (e) {
    rmSync(tmp, { recursive: true, force: true });
    throw e;
  }
}

/** Renames `tmp` to `target`, replacing whatever is at `target`. */
function moveInto(tmp: string, target: string, parent: string, name: string): void {
  try {
    renameSync(tmp, target); // atomic when nothing (or an empty directory) is there
    return;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code !== 'ENOTEMPTY' && code !== 'EEXIST' && code !== 'ENOTDIR' && code !== 'EISDIR') throw e;
  }
  const old = join(parent, `.${name}.old-${randomBytes(6).toString('hex')}`);
  renameSync(target, old);
  try {
    renameSync(tmp, target);
  } catch (e) {
    renameSync(old, target); // put the previous output back
    throw e;
  }
  rmSync(old, { recursive: true, force: true });
}

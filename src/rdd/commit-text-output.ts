import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { ChispaError, OutputError } from '../errors.js';

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
  let tmp: string;
  try {
    mkdirSync(parent, { recursive: true });
    tmp = mkdtempSync(join(parent, `.${name}.tmp-`));
  } catch (e) {
    throw new OutputError('saveAsTextFile', target, e);
  }
  try {
    await writeParts(tmp);
    writeFileSync(join(tmp, '_SUCCESS'), '');
    moveInto(tmp, target, parent, name);
  } catch (e) {
    rmSync(tmp, { recursive: true, force: true });
    throw e instanceof ChispaError ? e : new OutputError('saveAsTextFile', target, e);
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

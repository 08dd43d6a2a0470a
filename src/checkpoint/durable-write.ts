import { closeSync, fsyncSync, openSync, renameSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';

/**
 * The durable-write sequence the checkpoint store and the write-ahead log share: bytes written
 * in full and fsynced before a rename publishes them, and the directory fsynced after, so a crash
 * leaves the old state or the new one, never a torn file or a lost rename.
 */

/** Writes `bytes` to `path` (created or truncated) and fsyncs the file. */
export function writeDurably(path: string, bytes: Uint8Array): void {
  const fd = openSync(path, 'w');
  try {
    let off = 0;
    while (off < bytes.length) off += writeSync(fd, bytes, off, bytes.length - off);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** Fsyncs a directory, so the entries created or renamed in it survive a crash. */
export function fsyncDir(path: string): void {
  const fd = openSync(path, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** Writes `bytes` to `<file>.tmp` durably, renames it to `file` and fsyncs the directory. */
export function replaceDurably(file: string, bytes: Uint8Array): void {
  const tmp = `${file}.tmp`;
  writeDurably(tmp, bytes);
  renameSync(tmp, file);
  fsyncDir(dirname(file));
}

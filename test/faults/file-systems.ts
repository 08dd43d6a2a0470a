import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Real file-system faults for the fault suite: a tmpfs of a given size mounted on a fresh
 * directory, which can be remounted read-only under a running program (EROFS) or filled (ENOSPC).
 * Mounting needs root with CAP_SYS_ADMIN; where the machine refuses, `unwritable` falls back to a
 * directory without write permission (EACCES), which works for any user but root, and says so.
 */
export interface Mount {
  readonly dir: string;
  /** Remounts read-only (true) or read-write (false), under whatever has it open. */
  remount(readOnly: boolean): void;
  dispose(): void;
}

/** A tmpfs of `sizeKb`, or undefined where this machine cannot mount one. */
export function tmpfs(sizeKb: number): Mount | undefined {
  const dir = mkdtempSync(join(tmpdir(), 'chispa-mount-'));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${sizeKb}k`, 'tmpfs', dir], { stdio: 'pipe' });
  } catch {
    rmSync(dir, { recursive: true, force: true });
    return undefined;
  }
  return {
    dir,
    remount: (readOnly) => void execFileSync('mount', ['-o', `remount,${readOnly ? 'ro' : 'rw'}`, dir], { stdio: 'pipe' }),
    dispose: () => {
      execFileSync('umount', ['-l', dir], { stdio: 'pipe' });
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * A directory that refuses writes: a read-only tmpfs (errno EROFS) where mounting works, else a
 * directory without write permission (EACCES; not for root, which ignores permissions).
 * `how` says which one the case got; undefined when neither is possible here.
 */
export function unwritable(): (Mount & { errno: 'EROFS' | 'EACCES'; how: string }) | undefined {
  const m = tmpfs(256);
  if (m) return { ...m, errno: 'EROFS', how: 'a read-only tmpfs mount' };
  if (process.getuid?.() === 0) return undefined;
  const dir = mkdtempSync(join(tmpdir(), 'chispa-unwritable-'));
  return {
    dir,
    errno: 'EACCES',
    how: 'a directory without write permission (mounting is not possible on this machine)',
    remount: (readOnly) => chmodSync(dir, readOnly ? 0o555 : 0o755),
    dispose: () => {
      chmodSync(dir, 0o755);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

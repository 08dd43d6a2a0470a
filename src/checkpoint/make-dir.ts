import { existsSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';

/**
 * `mkdir -p` that fails with the real reason. Node's recursive mkdir reports ENOENT for a
 * directory it cannot create under a read-only mount (EROFS) or a full disk (ENOSPC): creating the
 * first missing level on its own gives the errno the user needs to see.
 */
export function makeDir(path: string): void {
  try {
    mkdirSync(path, { recursive: true });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    let first = path;
    while (!existsSync(dirname(first)) && dirname(first) !== first) first = dirname(first);
    mkdirSync(first); // throws the real errno
    throw e;
  }
}

/** `e`'s errno code (`EROFS`, `ENOSPC`, …) when it has one. */
export function errnoOf(e: unknown): string | undefined {
  const code = (e as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^E[A-Z0-9]+$/.test(code) ? code : undefined;
}

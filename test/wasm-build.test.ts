import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

// The checked-in .wasm must be what its source builds to, so nobody runs a kernel the source does
// not describe. Needs clang and wasm-ld with the wasm32 target; without them there is nothing to
// compare against, and the test says so.
const compilers = ['clang', 'wasm-ld'].every((c) => spawnSync('sh', ['-c', `command -v ${c}-14 || command -v ${c}`]).status === 0);
describe('the checked-in split-count.wasm', () => {
  it.skipIf(!compilers)(`matches a rebuild of native/wasm/split_count.c${compilers ? '' : ' (skipped: clang or wasm-ld is not installed)'}`, () => {
    const dir = mkdtempSync(join(tmpdir(), 'chispa-wasm-'));
    try {
      const out = join(dir, 'split-count.wasm');
      execFileSync('bash', [new URL('../scripts/build-wasm.sh', import.meta.url).pathname, out], { stdio: 'pipe' });
      expect(readFileSync(out).equals(readFileSync(new URL('../src/exec/wasm/split-count.wasm', import.meta.url)))).toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

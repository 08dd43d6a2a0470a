import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

/**
 * `chispa bench [ARGS...]`: the benchmark suite, as `npm run bench` (bench/run.ts with ARGS).
 * The suite, its baselines and tsx are in a clone of the repository, not in the npm package: from
 * an installed package it says so and returns 2 (bad usage). Otherwise returns 0, or 1 when the
 * suite failed.
 */
export async function bench(args: readonly string[]): Promise<number> {
  // src/cli/ and dist/cli/ are both two levels below the package root.
  const root = fileURLToPath(new URL('../../', import.meta.url));
  const script = `${root}bench/run.ts`;
  let tsx: string | undefined;
  try {
    tsx = createRequire(script).resolve('tsx');
  } catch {
    tsx = undefined;
  }
  if (!existsSync(script) || tsx === undefined) {
    process.stderr.write('chispa bench: runs from a clone of the chispa repository after `npm ci` (bench/ is not in the npm package)\n');
    return 2;
  }
  return new Promise<number>((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', script, ...args], { cwd: root, stdio: 'inherit' });
    child.on('error', reject);
    child.on('exit', (code) => resolve(code === 0 ? 0 : 1));
  });
}

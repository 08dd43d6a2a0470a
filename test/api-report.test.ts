import { execFile } from 'node:child_process';
import { appendFileSync, cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { expect, it } from 'vitest';

// `npm run check:api` compares the built public API with the committed report. Here a copy of
// the build whose API gained one export is checked against that report: api-extractor must fail
// and say the report changed (the unchanged build passing is `npm run check:api` itself, in CI).

const run = promisify(execFile);
const root = fileURLToPath(new URL('..', import.meta.url));

it('fails when the public API changes without its report being updated', async () => {
  // Inside the project (temp/ is git-ignored), so the copy resolves @types/node as the build does.
  mkdirSync(join(root, 'temp'), { recursive: true });
  const dir = mkdtempSync(join(root, 'temp', 'api-probe-'));
  try {
    // Built into the copy, not into dist/, which other test files may be reading.
    await run(join(root, 'node_modules', '.bin', 'tsc'), ['-p', 'tsconfig.build.json', '--outDir', join(dir, 'dist')], { cwd: root });
    cpSync(join(root, 'package.json'), join(dir, 'package.json'));
    cpSync(join(root, 'tsconfig.api.json'), join(dir, 'tsconfig.api.json'));
    cpSync(join(root, 'etc'), join(dir, 'etc'), { recursive: true });
    cpSync(join(root, 'api-extractor.json'), join(dir, 'api-extractor.json'));
    writeFileSync(join(dir, 'tsconfig.json'), '{}');
    appendFileSync(join(dir, 'dist', 'index.d.ts'), '\nexport declare function apiProbe(): void;\n');
    const extractor = join(root, 'node_modules', '.bin', 'api-extractor');
    const failed = await run(extractor, ['run', '-c', join(dir, 'api-extractor.json')], { cwd: dir }).then(
      () => undefined,
      (e: { code: number; stdout: string; stderr: string }) => e,
    );
    expect(failed?.code).not.toBe(0);
    expect(`${failed?.stdout}${failed?.stderr}`, `${failed?.stdout}${failed?.stderr}`).toMatch(/changed the API signature/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}, 180_000);

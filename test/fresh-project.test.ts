import { execFile } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// chispa as a new user gets it: `npm pack`ed, installed into a separate fresh npm project
// (test/fixtures/fresh-project; its other dependencies come from the registry), then imported
// from ESM, required from CommonJS, type-checked with tsc --strict, and its CLI run.

const run = promisify(execFile);
const root = fileURLToPath(new URL('..', import.meta.url));
const tsc = join(root, 'node_modules', '.bin', 'tsc');

describe('chispa installed from its packed tarball into a fresh project', () => {
  let dir: string;
  let project: string;
  let files: string[];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'chispa-fresh-'));
    project = join(dir, 'project');
    // `npm pack` runs `prepare`, i.e. the build, as it does when publishing; in a copy of the
    // package's sources, so that this project's dist/ (which other tests may read) stays as it is.
    const pkg = join(dir, 'chispa');
    for (const f of ['package.json', 'README.md', 'tsconfig.json', 'tsconfig.build.json', 'src', 'bin', 'examples', 'native-layouts']) {
      cpSync(join(root, f), join(pkg, f), { recursive: true });
    }
    symlinkSync(join(root, 'node_modules'), join(pkg, 'node_modules'));
    const { stdout } = await run('npm', ['pack', '--json', '--pack-destination', dir], { cwd: pkg, maxBuffer: 64 << 20 });
    const [packed] = JSON.parse(stdout.slice(stdout.indexOf('['))) as { filename: string; files: { path: string }[] }[];
    files = packed.files.map((f) => f.path);
    cpSync(fileURLToPath(new URL('./fixtures/fresh-project', import.meta.url)), project, { recursive: true });
    await run('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error', join(dir, packed.filename), 'ms@2.1.3', '@types/node@20'], {
      cwd: project,
    });
  }, 600_000);

  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('packs what the library, `chispa demo` and the examples need, and no sources or tests', () => {
    for (const f of ['dist/index.js', 'dist/index.d.ts', 'dist/exec/worker.js', 'dist/cli/main.js', 'dist/cli/data/genesis.txt', 'bin/chispa.js', 'examples/embedded-service.ts', 'README.md', 'package.json']) {
      expect(files).toContain(f);
    }
    expect(files.filter((f) => f.startsWith('src/') || f.startsWith('test/'))).toEqual([]);
  });

  it('imports from ESM and runs a local[2] job whose operator uses node:crypto and an npm package', async () => {
    const { stdout, stderr } = await run(process.execPath, ['esm.mjs'], { cwd: project });
    expect(stderr).toBe('');
    const result = JSON.parse(stdout) as { ok: boolean; out: [string, number][] };
    expect(result.out.map(([, n]) => n)).toEqual([1000, 120_000, 3_600_000, 86_400_000]);
    expect(result.ok).toBe(true);
  }, 120_000);

  it('requires from CommonJS', async () => {
    const { stdout } = await run(process.execPath, ['cjs.cjs'], { cwd: project });
    expect(JSON.parse(stdout)).toEqual([['a', 1], ['b', 3], ['c', 1]]);
  }, 120_000);

  it('type-checks a typed pipeline with tsc --strict and no casts, with no @internal members in the types', async () => {
    await expect(run(tsc, ['-p', '.'], { cwd: project })).resolves.toMatchObject({ stdout: '' });
    const { stdout } = await run('grep', ['-rlF', '@internal', 'node_modules/chispa/dist', '--include=*.d.ts'], { cwd: project }).catch(
      (e: { stdout: string }) => e,
    );
    expect(stdout).toBe('');
  }, 120_000);

  it('runs `chispa demo` from the installed bin', async () => {
    const { stdout } = await run(join(project, 'node_modules', '.bin', 'chispa'), ['demo', '--seconds', '2', '--batch', '1'], { cwd: project });
    // A batch printed from the installed package (whether it holds words yet depends on how fast
    // the machine is, so that is not asserted).
    expect(stdout).toMatch(/-{43}\nTime: \d{4}-\d\d-\d\d \d\d:\d\d:\d\d\n-{43}\n/);
  }, 120_000);
});

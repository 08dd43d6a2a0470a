import { execFile } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';

// The layer linter (`npm run lint:layers`, run by `npm test`) is checked on a small tree of its
// own: the project's rules must fail an upward import, typed or not, direct or through the worker
// entry's import chain, and pass the same tree without it.

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const depcruise = join(root, 'node_modules/dependency-cruiser/bin/dependency-cruise.mjs');
const dirs: string[] = [];

/** Runs the project's rules over a tree of `files` (path → source); its exit code and report. */
async function lint(files: Record<string, string>): Promise<{ code: number; out: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'chispa-layers-'));
  dirs.push(dir);
  cpSync(join(root, '.dependency-cruiser.cjs'), join(dir, '.dependency-cruiser.cjs'));
  writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify({ compilerOptions: { module: 'nodenext', moduleResolution: 'nodenext' } }));
  for (const [path, source] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), source);
  }
  try {
    const { stdout } = await promisify(execFile)(process.execPath, [depcruise, 'src', '--config', '.dependency-cruiser.cjs'], { cwd: dir });
    return { code: 0, out: stdout };
  } catch (e) {
    const err = e as { code: number; stdout: string };
    return { code: err.code, out: err.stdout };
  }
}

afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const tree = {
  'src/errors.ts': 'export class ChispaError extends Error {}\n',
  'src/memory/block.ts': "import { ChispaError } from '../errors.js';\nexport const block = () => new ChispaError();\n",
  'src/plan/task.ts': "import { block } from '../memory/block.js';\nexport interface Task { n: number }\nexport const plan = block;\n",
  'src/exec/run.ts': "import type { Task } from '../plan/task.js';\nexport const run = (t: Task) => t.n;\n",
  'src/exec/worker.ts': "import { run } from './run.js';\nexport default run;\n",
  'src/rdd/lineage.ts': 'export interface LineageNode { kind: string }\n',
  'src/rdd/rdd.ts': "import { run } from '../exec/run.js';\nimport type { LineageNode } from './lineage.js';\nexport const rdd = (n: LineageNode) => run({ n: n.kind.length });\n",
  'src/streaming/dstream.ts': "import { rdd } from '../rdd/rdd.js';\nexport const dstream = rdd;\nexport type Time = number;\n",
  'src/cli/main.ts': "import { dstream } from '../streaming/dstream.js';\nexport const main = dstream;\n",
};

describe('the layer linter', { timeout: 60_000 }, () => {
  it('passes a tree whose imports all point down', async () => {
    const { code, out } = await lint(tree);
    expect(out).toContain('no dependency violations found');
    expect(code).toBe(0);
  });

  it('fails an upward import: a type from streaming/ in rdd/, memory/ reaching plan/, streaming/ importing cli/ or a lineage node', async () => {
    const { code, out } = await lint({
      ...tree,
      'src/rdd/rdd.ts': "import { run } from '../exec/run.js';\nimport type { Time } from '../streaming/dstream.js';\nexport const rdd = run;\nexport type T = Time;\n",
      'src/streaming/window.ts': "import type { LineageNode } from '../rdd/lineage.js';\nexport const node: LineageNode = { kind: 'window' };\n",
      'src/memory/block.ts': "import type { Task } from '../plan/task.js';\nexport const block = (t?: Task) => t;\n",
      'src/streaming/dstream.ts': "import { rdd } from '../rdd/rdd.js';\nimport { main } from '../cli/main.js';\nexport const dstream = rdd;\nexport const m = main;\nexport type Time = number;\n",
    });
    expect(code).not.toBe(0);
    expect(out).toContain('error no-streaming-below: src/rdd/rdd.ts → src/streaming/dstream.ts');
    expect(out).toContain('error memory-imports-nothing-above: src/memory/block.ts → src/plan/task.ts');
    expect(out).toContain('error no-cli-or-ui-below: src/streaming/dstream.ts → src/cli/main.ts');
    expect(out).toContain('error streaming-uses-the-rdd-api: src/streaming/window.ts → src/rdd/lineage.ts');
  });

  it('fails the worker entry reaching rdd/ through exec/', async () => {
    const { code, out } = await lint({ ...tree, 'src/exec/run.ts': "import type { Task } from '../plan/task.js';\nimport { rdd } from '../rdd/rdd.js';\nexport const run = (t: Task) => t.n;\nexport const r = rdd;\n" });
    expect(code).not.toBe(0);
    expect(out).toContain('error worker-entry-stays-below: src/exec/worker.ts → src/rdd/rdd.ts');
    expect(out).toContain('error exec-imports-nothing-above: src/exec/run.ts → src/rdd/rdd.ts');
  });
});

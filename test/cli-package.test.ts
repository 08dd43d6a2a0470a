import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pprintBlocks, runNode } from './helpers/cli.js';
import { waitFor } from './helpers/streaming.js';

// `chispa` from an installed package, as a user gets it: `npm pack`, the tarball installed into a
// fresh project (dependencies from the registry, or npm's cache), then `npx chispa ...` there.

const run = promisify(execFile);
const root = process.cwd();

describe('the installed chispa package', () => {
  const project = mkdtempSync(join(tmpdir(), 'chispa-installed-'));
  beforeAll(async () => {
    // `npm pack` builds dist/ through `prepare`, as publishing does.
    await run('npm', ['pack', '--pack-destination', project, '--silent'], { cwd: root });
    const tarball = readdirSync(project).find((f) => f.endsWith('.tgz'))!;
    writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'user-project', version: '1.0.0', private: true }));
    await run('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', '--silent', `./${tarball}`], { cwd: project });
  }, 300_000);
  afterAll(() => rmSync(project, { recursive: true, force: true }));

  /** `npx chispa ARGS` in the user's project; resolves with the exit code and output. */
  async function npxChispa(args: string[]) {
    return run('npx', ['--no-install', 'chispa', ...args], { cwd: project, timeout: 120_000 }).then(
      ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
      (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, stdout: e.stdout, stderr: e.stderr }),
    );
  }

  it('chispa demo runs the stateful WordCount on the built-in text, with nothing from a clone', async () => {
    // The installed bin, as npx runs it; a signal ends it as Ctrl-C would.
    const r = runNode([join(project, 'node_modules/.bin/chispa'), 'demo', '--ui-port', '0'], { cwd: project });
    const blocks = () => pprintBlocks(r.stdout()).filter((b) => b.pairs.length > 0);
    await waitFor(() => blocks().length >= 3, 'three batches with counts', 120_000);
    // The UI is on, served from the installed package: its page, its chart library, its API.
    const url = /chispa: Streaming UI at (http:\/\/127\.0\.0\.1:\d+\/)\n/.exec(r.stderr())?.[1];
    expect(url).toBeDefined();
    const page = await fetch(url!);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('<title>Streaming Statistics</title>');
    expect((await fetch(`${url}static/uPlot.iife.min.js`)).status).toBe(200);
    const stats = (await (await fetch(`${url}api/v1/streaming/statistics`)).json()) as { numTotalCompletedBatches: number; numReceivers: number };
    expect(stats.numTotalCompletedBatches).toBeGreaterThanOrEqual(3);
    r.child.kill('SIGINT');
    expect(await r.exited).toBe(0);
    expect(r.stderr()).toMatch(/chispa demo: feeding KJV Genesis on 127\.0\.0\.1:\d+ at 400 lines\/s; stateful WordCount/);
    // Stateful: counts only grow from batch to batch, and the top ten are sorted.
    const the = blocks().map((b) => new Map(b.pairs).get('the') ?? 0);
    for (let i = 1; i < the.length; i++) expect(the[i]).toBeGreaterThanOrEqual(the[i - 1]);
    for (const b of blocks()) expect(b.pairs.map(([, n]) => n)).toEqual([...b.pairs.map(([, n]) => n)].sort((x, y) => y - x));
    expect(r.stderr()).toMatch(/chispa demo: stopped after \d+ batches, [1-9]\d* lines/);
  }, 180_000);

  it('chispa --help works, and chispa bench says it needs a clone (exit 2)', async () => {
    const help = await npxChispa(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('Usage: chispa');
    const bench = await npxChispa(['bench']);
    expect(bench.code).toBe(2);
    expect(bench.stderr.trim()).toBe('chispa bench: runs from a clone of the chispa repository after `npm ci` (bench/ is not in the npm package)');
  }, 180_000);
});

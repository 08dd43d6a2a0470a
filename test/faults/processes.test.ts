import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect } from 'vitest';
import { waitFor } from '../helpers/streaming.js';
import { faultCase } from './fault-case.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const base = mkdtempSync(join(tmpdir(), 'chispa-kill-'));
afterAll(() => rmSync(base, { recursive: true, force: true }));

/** The stateful WordCount over files (test/fixtures/programs/stateful-files.ts) as a child process. */
function launch(args: string[]): { child: ChildProcess; lines: string[]; exited: Promise<void> } {
  const child = spawn(process.execPath, ['--import', 'tsx', join(root, 'test/fixtures/programs/stateful-files.ts'), ...args], { cwd: root, stdio: ['ignore', 'pipe', 'ignore'] });
  const lines: string[] = [];
  let rest = '';
  child.stdout!.on('data', (d: Buffer) => {
    const parts = (rest + d.toString()).split('\n');
    rest = parts.pop()!;
    lines.push(...parts);
  });
  return { child, lines, exited: new Promise<void>((r) => child.on('exit', () => r())) };
}

/** The newest state the program dumped, as a map. */
function latestState(out: string): Map<string, number> {
  const dumps = readdirSync(out).filter((n) => /^state-\d+\.json$/.test(n)).sort((a, b) => Number(a.slice(6, -5)) - Number(b.slice(6, -5)));
  const last = dumps.at(-1);
  return new Map(last && existsSync(join(out, last)) ? (JSON.parse(readFileSync(join(out, last), 'utf8')) as [string, number][]) : []);
}

const total = (m: Map<string, number>) => [...m.values()].reduce((a, b) => a + b, 0);

describe('a process killed with SIGKILL', () => {
  faultCase(
    { fault: 'SIGKILL of the driver process while a batch of the stateful WordCount over files runs, then a restart', survives: 'every word of every file, counted once', oracle: 'a single-thread count of the files written' },
    async () => {
      const [input, cp, out, staging] = ['in', 'cp', 'out', 'staging'].map((d) => join(base, d));
      for (const d of [input, out, staging]) mkdirSync(d, { recursive: true });
      const oracle = new Map<string, number>();
      let n = 0;
      const addFile = () => {
        const lines = Array.from({ length: 50 }, (_, i) => `w${(n * 7 + i) % 23} x${i % 5} común`);
        for (const l of lines) for (const w of l.split(' ')) oracle.set(w, (oracle.get(w) ?? 0) + 1);
        const name = `part-${String(n++).padStart(4, '0')}.txt`;
        writeFileSync(join(staging, name), lines.join('\n'));
        renameSync(join(staging, name), join(input, name));
      };
      const args = [input, cp, out, 'local[2]', '0.2'];
      let run = launch(args);
      await waitFor(() => run.lines.some((l) => l.startsWith('done')), 'the first batch', 60_000);
      for (let i = 0; i < 4; i++) addFile();
      const started = run.lines.filter((l) => l.startsWith('started')).length;
      await waitFor(() => run.lines.filter((l) => l.startsWith('started')).length > started, 'a batch to start', 60_000);
      run.child.kill('SIGKILL');
      await run.exited;

      run = launch(args);
      for (let i = 0; i < 3; i++) addFile();
      await waitFor(() => total(latestState(out)) >= total(oracle), 'every file to be counted', 120_000);
      run.child.kill('SIGKILL');
      await run.exited;
      const state = latestState(out);
      expect(new Map([...state].sort())).toEqual(new Map([...oracle].sort()));
      return { expected: total(oracle), got: total(state) };
    },
    240_000,
  );
});

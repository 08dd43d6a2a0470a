import { mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect } from 'vitest';
import { latestState, launchProgram, sumOf } from '../helpers/child-program.js';
import { waitFor } from '../helpers/streaming.js';
import { faultCase } from './fault-case.js';

const base = mkdtempSync(join(tmpdir(), 'chispa-kill-'));
afterAll(() => rmSync(base, { recursive: true, force: true }));


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
      let run = launchProgram('stateful-files.ts', args);
      await waitFor(() => run.lines.some((l) => l.startsWith('done')), 'the first batch', 60_000);
      for (let i = 0; i < 4; i++) addFile();
      const started = run.lines.filter((l) => l.startsWith('started')).length;
      await waitFor(() => run.lines.filter((l) => l.startsWith('started')).length > started, 'a batch to start', 60_000);
      run.child.kill('SIGKILL');
      await run.exited;

      run = launchProgram('stateful-files.ts', args);
      for (let i = 0; i < 3; i++) addFile();
      await waitFor(() => sumOf(latestState(out)) >= sumOf(oracle), 'every file to be counted', 120_000);
      run.child.kill('SIGKILL');
      await run.exited;
      const state = latestState(out);
      expect(new Map([...state].sort())).toEqual(new Map([...oracle].sort()));
      return { expected: sumOf(oracle), got: sumOf(state) };
    },
    240_000,
  );
});

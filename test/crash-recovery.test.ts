import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, watch, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from './helpers/streaming.js';

// The stateful WordCount over textFileStream, SIGKILLed mid-batch and mid-checkpoint-write and
// recovered with getOrCreate each time: the final counts equal a single-thread oracle over all
// files. Nothing lost, nothing counted twice.

const root = fileURLToPath(new URL('..', import.meta.url));
const program = join(root, 'test/fixtures/programs/stateful-files.ts');
const genesis = readFileSync(join(root, 'src/cli/data/genesis.txt'), 'utf8').split('\n');

/** A running copy of the program, with the lines it has printed. */
function launch(args: string[]): { child: ChildProcess; lines: string[]; exited: Promise<void> } {
  const child = spawn(process.execPath, ['--import', 'tsx', program, ...args], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: string[] = [];
  let rest = '';
  child.stdout!.on('data', (d: Buffer) => {
    const parts = (rest + d.toString()).split('\n');
    rest = parts.pop()!;
    lines.push(...parts);
  });
  child.stderr!.on('data', () => {});
  const exited = new Promise<void>((r) => child.on('exit', () => r()));
  return { child, lines, exited };
}

describe('crash recovery of the stateful WordCount over files', () => {
  let base: string;
  beforeAll(() => {
    base = mkdtempSync(join(tmpdir(), 'chispa-crash-'));
  });
  afterAll(() => rmSync(base, { recursive: true, force: true }));

  it('SIGKILL during a batch and during a checkpoint write loses nothing and counts nothing twice', async () => {
    const [input, cp, out, staging] = ['in', 'cp', 'out', 'staging'].map((d) => join(base, d));
    for (const d of [input, out, staging]) mkdirSync(d, { recursive: true });
    const oracle = new Map<string, number>();
    let fileNo = 0;
    /** Moves the next file in atomically (written elsewhere, then renamed), as textFileStream requires. */
    const addFile = () => {
      const lines = genesis.slice((fileNo * 37) % 1400, ((fileNo * 37) % 1400) + 37);
      for (const l of lines) for (const w of l.split(' ')) oracle.set(w, (oracle.get(w) ?? 0) + 1);
      const name = `part-${String(fileNo++).padStart(4, '0')}.txt`;
      writeFileSync(join(staging, name), lines.join('\n'));
      renameSync(join(staging, name), join(input, name));
    };
    const args = [input, cp, out, 'local[2]', '0.2'];

    // Run 1: killed while a batch is running.
    let run = launch(args);
    await waitFor(() => run.lines.some((l) => l.startsWith('done')), 'the first batch', 60_000);
    for (let i = 0; i < 5; i++) addFile();
    const doneBefore = run.lines.filter((l) => l.startsWith('done')).length;
    await waitFor(() => run.lines.filter((l) => l.startsWith('done')).length > doneBefore + 1, 'batches with files', 60_000);
    for (let i = 0; i < 3; i++) addFile();
    const started = run.lines.filter((l) => l.startsWith('started')).length;
    await waitFor(() => run.lines.filter((l) => l.startsWith('started')).length > started, 'a batch to start', 60_000);
    run.child.kill('SIGKILL');
    await run.exited;

    // Runs 2..: killed the moment a checkpoint's temporary directory appears, until one kill lands
    // while it still exists (mid-write).
    let midWrite = false;
    for (let attempt = 0; attempt < 8 && !midWrite; attempt++) {
      run = launch(args);
      const killer = watch(cp, (_event, name) => {
        if (name && String(name).startsWith('.checkpoint-')) run.child.kill('SIGKILL');
      });
      addFile();
      await run.exited;
      killer.close();
      midWrite = readdirSync(cp).some((n) => n.startsWith('.checkpoint-'));
    }
    expect(midWrite).toBe(true);

    // Final run: add the rest and let it finish everything.
    run = launch(args);
    for (let i = 0; i < 4; i++) addFile();
    const total = [...oracle.values()].reduce((a, b) => a + b, 0);
    const latestState = (): Map<string, number> => {
      const dumps = readdirSync(out).filter((n) => n.startsWith('state-')).sort((a, b) => Number(a.slice(6, -5)) - Number(b.slice(6, -5)));
      const last = dumps.at(-1);
      return new Map(last && existsSync(join(out, last)) ? (JSON.parse(readFileSync(join(out, last), 'utf8')) as [string, number][]) : []);
    };
    const sumOf = (m: Map<string, number>) => [...m.values()].reduce((a, b) => a + b, 0);
    await waitFor(() => sumOf(latestState()) >= total, 'all files to be counted', 120_000);
    run.child.kill('SIGKILL');
    await run.exited;
    const state = latestState();
    expect(sumOf(state)).toBe(total);
    expect(new Map([...state].sort())).toEqual(new Map([...oracle].sort()));
  }, 300_000);
});

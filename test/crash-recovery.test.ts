import net from 'node:net';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, watch, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { latestState, launchProgram, sumOf } from './helpers/child-program.js';
import { waitFor } from './helpers/streaming.js';

// The stateful WordCount over textFileStream, SIGKILLed mid-batch and mid-checkpoint-write and
// recovered with getOrCreate each time: the final counts equal a single-thread oracle over all
// files. Nothing lost, nothing counted twice.

const root = fileURLToPath(new URL('..', import.meta.url));
const fixture = (name: string) => join(root, 'test/fixtures/programs', name);
const genesis = readFileSync(join(root, 'src/cli/data/genesis.txt'), 'utf8').split('\n');


function count(oracle: Map<string, number>, lines: readonly string[]): void {
  for (const l of lines) for (const w of l.split(' ')) oracle.set(w, (oracle.get(w) ?? 0) + 1);
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
      count(oracle, lines);
      const name = `part-${String(fileNo++).padStart(4, '0')}.txt`;
      writeFileSync(join(staging, name), lines.join('\n'));
      renameSync(join(staging, name), join(input, name));
    };
    const args = [input, cp, out, 'local[2]', '0.2'];

    // Run 1: killed while a batch is running.
    let run = launchProgram('stateful-files.ts', args);
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
      run = launchProgram('stateful-files.ts', args);
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
    run = launchProgram('stateful-files.ts', args);
    for (let i = 0; i < 4; i++) addFile();
    const total = sumOf(oracle);
    await waitFor(() => sumOf(latestState(out)) >= total, 'all files to be counted', 120_000);
    run.child.kill('SIGKILL');
    await run.exited;
    const state = latestState(out);
    expect(sumOf(state)).toBe(total);
    expect(new Map([...state].sort())).toEqual(new Map([...oracle].sort()));
  }, 300_000);
});

describe('crash recovery of incremental windows over files', () => {
  let base: string;
  beforeAll(() => {
    base = mkdtempSync(join(tmpdir(), 'chispa-crash-window-'));
  });
  afterAll(() => rmSync(base, { recursive: true, force: true }));

  it('SIGKILL during a batch and a checkpoint write: the hour window equals the oracle, the 1 s window empties', async () => {
    const [input, cp, out, staging] = ['in', 'cp', 'out', 'staging'].map((d) => join(base, d));
    for (const d of [input, out, staging]) mkdirSync(d, { recursive: true });
    const oracle = new Map<string, number>();
    let fileNo = 0;
    const addFile = () => {
      const lines = genesis.slice((fileNo * 41) % 1400, ((fileNo * 41) % 1400) + 41);
      count(oracle, lines);
      const name = `part-${String(fileNo++).padStart(4, '0')}.txt`;
      writeFileSync(join(staging, name), lines.join('\n'));
      renameSync(join(staging, name), join(input, name));
    };
    const args = [input, cp, out, 'local[2]', '0.2', '1'];
    const dones = (r: { lines: string[] }) => r.lines.filter((l) => l.startsWith('done')).length;

    // Killed while a batch runs, after some files went through both windows.
    let run = launchProgram('windowed-files.ts', args);
    await waitFor(() => dones(run) > 0, 'the first batch', 60_000);
    for (let i = 0; i < 4; i++) addFile();
    const before = dones(run);
    await waitFor(() => dones(run) > before + 1, 'batches with files', 60_000);
    addFile();
    const started = run.lines.filter((l) => l.startsWith('started')).length;
    await waitFor(() => run.lines.filter((l) => l.startsWith('started')).length > started, 'a batch to start', 60_000);
    run.child.kill('SIGKILL');
    await run.exited;

    // Killed the moment a checkpoint's temporary directory appears, until one kill lands mid-write.
    let midWrite = false;
    for (let attempt = 0; attempt < 8 && !midWrite; attempt++) {
      run = launchProgram('windowed-files.ts', args);
      const killer = watch(cp, (_event, name) => {
        if (name && String(name).startsWith('.checkpoint-')) run.child.kill('SIGKILL');
      });
      addFile();
      await run.exited;
      killer.close();
      midWrite = readdirSync(cp).some((n) => n.startsWith('.checkpoint-'));
    }
    expect(midWrite).toBe(true);

    // Final run: the rest of the files, then no more input.
    run = launchProgram('windowed-files.ts', args);
    for (let i = 0; i < 3; i++) addFile();
    const total = sumOf(oracle);
    const long = join(out, 'long');
    const short = join(out, 'short');
    await waitFor(() => sumOf(latestState(long)) >= total, 'all files in the hour window', 120_000);
    await waitFor(() => latestState(short).size === 0 && dones(run) > 10, 'the 1 s window to empty', 60_000);
    run.child.kill('SIGKILL');
    await run.exited;
    // Nothing lost, nothing counted twice, across the kills.
    expect(new Map([...latestState(long)].sort())).toEqual(new Map([...oracle].sort()));
    // Every count that entered the short window left it exactly once: it never went below zero.
    for (const name of readdirSync(short).filter((n) => n.startsWith('state-'))) {
      const rows = JSON.parse(readFileSync(join(short, name), 'utf8')) as [string, number][];
      expect(rows.filter(([, n]) => n <= 0)).toEqual([]);
    }
  }, 300_000);
});

describe('crash recovery of the stateful WordCount from a socket with the write-ahead log', () => {
  let base: string;
  beforeAll(() => {
    base = mkdtempSync(join(tmpdir(), 'chispa-crash-wal-'));
  });
  afterAll(() => rmSync(base, { recursive: true, force: true }));

  it('SIGKILL while a received batch is processed loses none of it', async () => {
    const [cp, out] = ['cp', 'out'].map((d) => join(base, d));
    mkdirSync(out, { recursive: true });
    const clients: net.Socket[] = [];
    const server = net.createServer((s) => {
      s.on('error', () => {});
      clients.push(s);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = String((server.address() as net.AddressInfo).port);
    const oracle = new Map<string, number>();
    try {
      for (const [k, lines] of [genesis.slice(0, 300), genesis.slice(300, 700), genesis.slice(700, 900)].entries()) {
        const run = launchProgram('stateful-socket.ts', [port, cp, out, 'local[2]', '0.2']);
        await waitFor(() => clients.length === k + 1, 'the receiver to connect', 60_000);
        clients[k].write(lines.map((l) => l + '\n').join(''));
        count(oracle, lines);
        // Received: a batch was cut with all these lines (and so logged before it runs).
        const cut = () => run.lines.find((l) => l.startsWith('submitted') && Number(l.split(' ')[2]) >= lines.length);
        await waitFor(() => cut() !== undefined, 'the lines to be cut into a batch', 60_000);
        if (k < 2) {
          const t = cut()!.split(' ')[1];
          await waitFor(() => run.lines.includes(`started ${t}`), 'that batch to start', 60_000);
          run.child.kill('SIGKILL');
          await run.exited;
        } else {
          await waitFor(() => sumOf(latestState(out)) >= sumOf(oracle), 'everything to be counted', 120_000);
          run.child.kill('SIGKILL');
          await run.exited;
        }
      }
    } finally {
      for (const c of clients) c.destroy();
      await new Promise((r) => server.close(r));
    }
    const state = latestState(out);
    expect(sumOf(state)).toBe(sumOf(oracle));
    expect(new Map([...state].sort())).toEqual(new Map([...oracle].sort()));
  }, 300_000);
});

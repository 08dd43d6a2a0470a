import { spawn, type ChildProcess } from 'node:child_process';
import { waitFor } from './streaming.js';

/** A `chispa` command run as a user runs it: a child process, from the sources (tsx). */
export interface CliRun {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  /** Resolves with the exit code (or 128 + signal number when killed). */
  exited: Promise<number>;
}

export function runChispa(args: string[], opts: { stdin?: 'pipe' | 'ignore'; cwd?: string } = {}): CliRun {
  return runNode(['--import', 'tsx', 'src/cli/main.ts', ...args], opts);
}

/** `node ARGS` as a child process, its output collected. */
export function runNode(args: string[], opts: { stdin?: 'pipe' | 'ignore'; cwd?: string } = {}): CliRun {
  const child = spawn(process.execPath, args, {
    stdio: [opts.stdin ?? 'ignore', 'pipe', 'pipe'],
    cwd: opts.cwd,
  });
  let out = '';
  let err = '';
  child.stdout!.on('data', (c) => (out += c));
  child.stderr!.on('data', (c) => (err += c));
  const exited = new Promise<number>((resolve) =>
    child.on('close', (code, signal) => resolve(code ?? 128 + (signal === 'SIGKILL' ? 9 : signal === 'SIGINT' ? 2 : 15))),
  );
  return { child, stdout: () => out, stderr: () => err, exited };
}

/** Waits until `run` printed something matching `re` on stderr; returns the match. */
export async function waitForStderr(run: CliRun, re: RegExp, what: string, timeoutMs = 90_000): Promise<RegExpExecArray> {
  await waitFor(() => re.test(run.stderr()) || run.child.exitCode !== null, what, timeoutMs);
  const m = re.exec(run.stderr());
  if (!m) throw new Error(`${what}: the command exited with ${run.child.exitCode}; stderr:\n${run.stderr()}`);
  return m;
}

/** pprint's blocks in `stdout`, in order, each as the pairs it printed (`('word', 3)`). */
export function pprintBlocks(stdout: string): { time: string; pairs: [string, number][]; more: boolean }[] {
  const blocks = stdout.split('-------------------------------------------\nTime: ').slice(1);
  return blocks.map((b) => {
    const [head, ...rest] = b.split('\n');
    const pairs: [string, number][] = [];
    let more = false;
    for (const line of rest) {
      const m = /^\('(.*)', (\d+)\)$/.exec(line);
      if (m) pairs.push([m[1], Number(m[2])]);
      if (line === '...') more = true;
    }
    return { time: head, pairs, more };
  });
}

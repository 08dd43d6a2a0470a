import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));

/** An example running as users run it: `node --import tsx examples/<file> …args`, its output collected. */
export interface RunningExample {
  readonly child: ChildProcess;
  readonly stdout: string;
  readonly stderr: string;
}

/** Starts `examples/<file>` with `args` in its own process, from the project root. */
export function runExample(file: string, args: readonly string[]): RunningExample {
  const child = spawn(process.execPath, ['--import', 'tsx', `examples/${file}`, ...args], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  const out = { child, stdout: '', stderr: '' };
  child.stdout!.on('data', (d) => (out.stdout += d));
  child.stderr!.on('data', (d) => (out.stderr += d));
  return out;
}

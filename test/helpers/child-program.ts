import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

// The crash tests' programs (test/fixtures/programs/) run as child processes under tsx, print a
// line per event on stdout, and dump their state after every batch as state-<time>.json files.

const root = fileURLToPath(new URL('../..', import.meta.url));

/** A running copy of fixture `program` (a file name under test/fixtures/programs/), with the lines it has printed. */
export function launchProgram(program: string, args: readonly string[]): { child: ChildProcess; lines: string[]; exited: Promise<void> } {
  const child = spawn(process.execPath, ['--import', 'tsx', join(root, 'test/fixtures/programs', program), ...args], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
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

/** The newest state a program dumped into `out`, as a map. */
export function latestState(out: string): Map<string, number> {
  const dumps = readdirSync(out).filter((n) => /^state-\d+\.json$/.test(n)).sort((a, b) => Number(a.slice(6, -5)) - Number(b.slice(6, -5)));
  const last = dumps.at(-1);
  return new Map(last && existsSync(join(out, last)) ? (JSON.parse(readFileSync(join(out, last), 'utf8')) as [string, number][]) : []);
}

/** The sum of a state's counts. */
export const sumOf = (m: Map<string, number>): number => [...m.values()].reduce((a, b) => a + b, 0);

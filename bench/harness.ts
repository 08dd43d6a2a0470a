/**
 * The end-to-end harness's moving parts: which rows exist, and how one row is measured once.
 *
 * A row is one consumer program (naive, rxjs, or chispa under a master / fast-path setting) in one
 * mode (stateless or stateful). {@link measure} starts a fresh feeder process
 * (bench/feeder-process.ts, serving the corpus once at full speed on a free port) and a fresh
 * consumer process against it, reads the consumer's one JSON line (each consumer times itself
 * from its connect to the moment the whole corpus is counted; see their headers), waits for it to
 * exit so the next row starts on a quiet machine, and stops both. Nothing but our own children is
 * ever killed, by handle.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import type { Corpus } from './corpus.js';

const here = (p: string): string => fileURLToPath(new URL(p, import.meta.url));
const TSX = ['--import', 'tsx'];

export type Mode = 'stateless' | 'stateful';

export interface Row {
  /** `naive`, or `<engine> <mode>`: `rxjs stateful`, `local[2]-fast stateless` … */
  id: string;
  /** For tables and charts: `chispa local[2] fast`. */
  label: string;
  engine: string;
  kind: 'naive' | 'rxjs' | 'chispa' | 'duckdb';
  /**
   * naive has none: one running Map, its own stateful equivalent and the baseline of both modes;
   * nor has duckdb, one query over the whole file.
   */
  mode?: Mode;
  master?: string;
  fastPath?: boolean;
  /** `-fastjs` rows: the fast path on the JavaScript splitCount kernel (CHISPA_KERNEL=js), to set beside WebAssembly's. */
  jsKernel?: boolean;
  /** duckdb rows: DuckDB's thread count. */
  threads?: number;
}

/**
 * Rows for engines (`naive`, `rxjs`, `duckdb[N]`, `local`, `local[N]-literal`, `local[N]-fast`,
 * `local[N]-fastjs`; bare `local[N]` means literal, bare `duckdb` all cores) × modes. `local` and
 * `-literal` run with `fastPath: false` (the generic path); `-fastjs` runs the fast path on the
 * JavaScript kernel. naive and duckdb are one row each, whatever the modes.
 */
export function expandRows(engines: string[], modes: Mode[]): Row[] {
  const rows: Row[] = [];
  for (const engine of engines) {
    if (engine === 'naive') {
      rows.push({ id: 'naive', label: 'naive (net + readline + Map)', engine, kind: 'naive' });
      continue;
    }
    const duck = /^duckdb(?:\[([1-9]\d*)\])?$/.exec(engine);
    if (duck) {
      const threads = duck[1] ? Number(duck[1]) : availableParallelism();
      rows.push({ id: engine, label: `DuckDB, ${threads} thread${threads > 1 ? 's' : ''} (reads the file)`, engine, kind: 'duckdb', threads });
      continue;
    }
    for (const mode of modes) {
      if (engine === 'rxjs') {
        rows.push({ id: `rxjs ${mode}`, label: 'rxjs bufferTime', engine, kind: 'rxjs', mode });
        continue;
      }
      const m = /^(local(?:\[(?:\*|[1-9]\d*)\])?)(?:-(literal|fast|fastjs))?$/.exec(engine);
      if (!m) throw new Error(`unknown row '${engine}' (naive, rxjs, duckdb[N], local, local[N]-literal, local[N]-fast, local[N]-fastjs)`);
      const fastPath = m[2] === 'fast' || m[2] === 'fastjs';
      const jsKernel = m[2] === 'fastjs';
      const label = `chispa ${m[1]}${m[1] === 'local' && !fastPath ? '' : jsKernel ? ' fast (JS kernel)' : fastPath ? ' fast' : ' literal'}`;
      rows.push({ id: `${engine} ${mode}`, label, engine, kind: 'chispa', mode, master: m[1], fastPath, ...(jsKernel ? { jsKernel } : {}) });
    }
  }
  return rows;
}

/** What a consumer reports, plus the derived rates. */
export interface Measurement {
  run: number;
  row: string;
  mbPerS: number;
  linesPerS: number;
  ms: number;
  lines: number;
  words: number;
  distinct: number | null;
  maxRssKB: number;
  batches?: { count: number; p50ProcessingMs: number | null; p99ProcessingMs: number | null; maxSchedulingDelayMs: number };
  /** Per batch: [ms since t0, processing ms, records]. */
  series?: [number, number, number][];
  receiver?: { connects: number };
  [k: string]: unknown;
}

const children = new Set<ChildProcess>();

/** Kills our children only, by handle (also used on Ctrl-C, so no feeder outlives the driver). */
export function killChildren(): void {
  for (const c of children) c.kill('SIGKILL');
}

/** Spawns `node ARGS` as one of our children (killed by {@link killChildren}). */
export function start(args: string[], ipc = false, env?: Record<string, string>): ChildProcess {
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe', ...(ipc ? ['ipc' as const] : [])], ...(env ? { env: { ...process.env, ...env } } : {}) });
  children.add(child);
  child.once('exit', () => children.delete(child));
  return child;
}

/** Resolves with the child's first stdout line; rejects if it exits first or takes too long. */
export function firstLine(child: ChildProcess, what: string, ms: number): Promise<string> {
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${what}: no result after ${ms / 1000} s; stderr: ${err.trim()}`));
    }, ms);
    child.stderr!.on('data', (d) => (err += d));
    child.stdout!.on('data', (d) => {
      out += d;
      const nl = out.indexOf('\n');
      if (nl >= 0) {
        clearTimeout(timer);
        resolve(out.slice(0, nl));
      }
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`${what}: exited (${signal ?? code}) without a result; stderr: ${err.trim()}`));
    });
  });
}

/** SIGTERM, then SIGKILL after 5 s; resolves when the child has exited. */
export async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
  await exited;
  clearTimeout(timer);
}

function consumerArgs(row: Row, port: number, corpus: Corpus, batch: string, timeoutS: number): string[] {
  const host = '127.0.0.1';
  if (row.kind === 'naive') return [here('./baselines/naive-wordcount.mjs'), host, String(port)];
  if (row.kind === 'rxjs') return [here('./baselines/rxjs-wordcount.mjs'), host, String(port), batch, row.mode!];
  return [
    ...TSX, here('./chispa-wordcount.ts'), '--master', row.master!, '--fast-path', String(row.fastPath), '--mode', row.mode!,
    '--host', host, '--port', String(port), '--expected', String(corpus.lines), '--batch', batch, '--timeout', String(timeoutS),
  ];
}

/** One row, once: fresh feeder, fresh consumer, both stopped afterwards (duckdb: no feeder; it reads the file). */
export async function measure(run: number, row: Row, corpus: Corpus, batch: string, timeoutS: number): Promise<Measurement> {
  if (row.kind === 'duckdb') {
    const consumer = start([here('./baselines/duckdb-wordcount.mjs'), corpus.file, String(row.threads)]);
    try {
      return await result(run, row, corpus, consumer, timeoutS);
    } finally {
      await stopChild(consumer);
    }
  }
  const feeder = start([...TSX, here('./feeder-process.ts'), corpus.file], true);
  let consumer: ChildProcess | undefined;
  try {
    const { port } = JSON.parse(await firstLine(feeder, 'feeder', 30_000)) as { port: number };
    consumer = start(consumerArgs(row, port, corpus, batch, timeoutS), false, row.jsKernel ? { CHISPA_KERNEL: 'js' } : undefined);
    return await result(run, row, corpus, consumer, timeoutS);
  } finally {
    if (consumer) await stopChild(consumer);
    await stopChild(feeder);
  }
}

/** The consumer's JSON line with the derived rates, once it has exited (or 15 s passed). */
async function result(run: number, row: Row, corpus: Corpus, consumer: ChildProcess, timeoutS: number): Promise<Measurement> {
  const exited = once(consumer, 'exit');
  const out = JSON.parse(await firstLine(consumer, row.id, (timeoutS + 5) * 1000));
  // The next row starts on a quiet machine, with this one's threads gone (stopChild kills a laggard).
  await Promise.race([exited, new Promise((r) => setTimeout(r, 15_000).unref())]);
  const s = out.ms / 1000;
  return { run, row: row.id, mbPerS: corpus.bytes / 1e6 / s, linesPerS: corpus.lines / s, ...out };
}

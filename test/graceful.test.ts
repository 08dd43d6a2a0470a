import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readLatestCheckpoint } from '../src/checkpoint/checkpoint-store.js';
import { ManualClock, SparkContext, StreamingContext } from '../src/index.js';
import { pprintBlocks, runChispa, runNode, waitForStderr, type CliRun } from './helpers/cli.js';
import { sorted, waitFor } from './helpers/streaming.js';

// Graceful stop on a signal (stopGracefullyOnShutdown, on in the CLI): SIGTERM mid-stream to a
// stateful `chispa wordcount` processes what it received, writes a final checkpoint and exits 0;
// a restart with the same directory continues, and the counts equal an oracle over every line.

const VOCAB = ['uno', 'dos', 'tres', 'cuatro', 'cinco', 'seis'];
const WORDS_PER_LINE = 3;
/** Line i of the feed: three words that vary with i, so a prefix's counts tell how long it is. */
const line = (i: number) => [VOCAB[i % 6], VOCAB[(i * 5 + 1) % 6], VOCAB[Math.floor(i / 6) % 6]].join(' ');

function oracle(from: number, to: number): Map<string, number> {
  const m = new Map<string, number>();
  for (let i = from; i < to; i++) for (const w of line(i).split(' ')) m.set(w, (m.get(w) ?? 0) + 1);
  return m;
}

/** The state a stateful run printed last: every word (six, so pprint shows them all). */
function lastState(run: CliRun): Map<string, number> {
  const blocks = pprintBlocks(run.stdout());
  const last = blocks[blocks.length - 1];
  expect(last.more).toBe(false);
  return new Map(last.pairs);
}

const total = (m: Map<string, number>) => [...m.values()].reduce((a, b) => a + b, 0);

describe('SIGTERM to chispa wordcount --stateful --checkpoint DIR', () => {
  const dir = mkdtempSync(join(tmpdir(), 'chispa-graceful-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('exits 0 after processing what it received; a restart continues; the counts equal the oracle', async () => {
    const N = 4000;
    // A real TCP feeder: each connection gets the lines from `from` on, paced, one write per line.
    let from = 0;
    let sent = 0;
    const timers = new Set<NodeJS.Timeout>();
    const server = net.createServer((s) => {
      s.on('error', () => {});
      let i = from;
      const tick = () => {
        if (s.destroyed) return;
        for (let k = 0; k < 10 && i < N; k++, i++) s.write(line(i) + '\n');
        sent = Math.max(sent, i);
        if (i < N) timers.add(setTimeout(tick, 20)); // about 500 lines/s
      };
      tick();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as net.AddressInfo).port;
    const args = ['wordcount', '--host', '127.0.0.1', '--port', String(port), '--batch', '1', '--master', 'local[2]', '--stateful', '--checkpoint', dir, '--no-ui'];
    try {
      // Run 1: stopped by SIGTERM while lines keep arriving.
      const first = runChispa(args);
      await waitFor(() => pprintBlocks(first.stdout()).filter((b) => b.pairs.length > 0).length >= 2, 'two batches with counts', 120_000);
      expect(sent).toBeLessThan(N); // mid-stream
      first.child.kill('SIGTERM');
      expect(await first.exited).toBe(0);
      expect(first.stderr()).toContain('SIGTERM received, stopping gracefully');
      const got = lastState(first);
      const m = total(got) / WORDS_PER_LINE;
      // What it counted is exactly the first m lines it was sent: none lost, none twice, no torn line.
      expect(Number.isInteger(m)).toBe(true);
      expect(m).toBeGreaterThan(0);
      expect(got).toEqual(oracle(0, m));
      // Every line it received went through a batch: the last one, cut at the stop, included.
      expect(first.stderr()).toMatch(new RegExp(`stopped after \\d+ batches, ${m} lines\\n`));
      expect(readdirSync(dir).length).toBeGreaterThan(0);

      // Run 2, same directory: the counts continue from the final checkpoint.
      from = m;
      const second = runChispa(args);
      await waitFor(() => {
        const b = pprintBlocks(second.stdout());
        return b.length > 0 && total(new Map(b[b.length - 1].pairs)) === N * WORDS_PER_LINE;
      }, 'the counts of every line', 120_000);
      const firstBlock = pprintBlocks(second.stdout())[0];
      expect(total(new Map(firstBlock.pairs))).toBeGreaterThanOrEqual(m * WORDS_PER_LINE); // restored, not from zero
      second.child.kill('SIGTERM');
      expect(await second.exited).toBe(0);
      expect(lastState(second)).toEqual(oracle(0, N));
    } finally {
      for (const t of timers) clearTimeout(t);
      await new Promise((r) => server.close(r));
    }
    // Two child processes on a machine that may be loaded: room, not a speed claim.
  }, 600_000);
});

describe('stopGracefullyOnShutdown: the stop is bounded', () => {
  const stuck = ['--import', 'tsx', 'test/fixtures/programs/stuck-batch.ts'];

  it('a graceful stop that cannot finish ends at gracefulStopTimeout, with a warning, and exits 0', async () => {
    const run = runNode([...stuck, '0.5']);
    await waitForStderr(run, /batch started\n/, 'the batch to start');
    run.child.kill('SIGTERM');
    expect(await run.exited).toBe(0);
    expect(run.stderr()).toMatch(/WARN chispa: graceful stop timed out after 0\.5 s; batches not started yet are dropped/);
    expect(run.stderr()).toContain('awaitTermination returned');
  }, 120_000);

  it('a second signal exits at once', async () => {
    const run = runNode([...stuck, '3600']);
    await waitForStderr(run, /batch started\n/, 'the batch to start');
    run.child.kill('SIGINT');
    await waitForStderr(run, /SIGINT received, stopping gracefully/, 'the graceful stop to begin');
    run.child.kill('SIGINT');
    expect(await run.exited).toBe(130);
    expect(run.stderr()).toContain('second SIGINT, exiting without waiting for the graceful stop');
    expect(run.stderr()).not.toContain('awaitTermination returned');
  }, 120_000);
});

describe('stop(stopSparkContext, stopGracefully = true)', () => {
  it('writes a final checkpoint for the last batch, so getOrCreate continues right after it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'chispa-final-cp-'));
    const sc = new SparkContext({ master: 'local' });
    let states: [string, number][][] = [];
    const sum = (vs: number[], s: number | null) => vs.reduce((a, b) => a + b, 0) + (s ?? 0);
    const build = (clock: ManualClock, items: string[][]) => () => {
      const ssc = new StreamingContext(sc, 1, { clock });
      ssc.checkpoint(dir);
      ssc
        .queueStream(items)
        .map((w) => [w, 1] as [string, number])
        .updateStateByKey(sum)
        .foreachRDD(async (rdd) => void states.push(sorted(await rdd.collect())));
      return ssc;
    };
    try {
      const clock = new ManualClock(0);
      const first = StreamingContext.getOrCreate(dir, build(clock, [['a'], ['a', 'b'], ['b']]));
      first.start();
      // 1 s batches: the periodic checkpoint (every 10 s) is not due at 1000 or 2000.
      for (let i = 1; i <= 2; i++) {
        clock.advance(1000);
        await waitFor(() => states.length === i, `batch ${i}`);
      }
      expect(readLatestCheckpoint(dir)).toBeUndefined();
      await first.stop(false, true);
      // The graceful stop ran one last batch (3000, the third item) and checkpointed it.
      expect(states.at(-1)).toEqual([['a', 2], ['b', 2]]);
      expect(readLatestCheckpoint(dir)?.batchTime).toBe(3000);
      states = [];
      const later = new ManualClock(3000);
      const second = StreamingContext.getOrCreate(dir, build(later, [['c']]));
      second.start();
      later.advance(1000);
      await waitFor(() => states.length === 1, 'the first batch after the restart');
      await second.stop(false);
      expect(states).toEqual([[['a', 2], ['b', 2], ['c', 1]]]);
    } finally {
      await sc.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

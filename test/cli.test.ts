import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../src/cli/program.js';
import { pprintBlocks, runChispa, waitForStderr } from './helpers/cli.js';
import { waitFor } from './helpers/streaming.js';

// The `chispa` command: help, exit codes, and each command run as a user runs it (a child process).

async function cli(argv: string[]) {
  let out = '';
  let err = '';
  const code = await runCli(argv, { out: (t) => void (out += t), err: (t) => void (err += t) });
  return { code, out, err };
}

describe('chispa: help and usage', () => {
  it('--help on the bare command and on every command, exit 0', async () => {
    for (const argv of [[], ['--help'], ['help']]) {
      const r = await cli(argv);
      expect(r.code).toBe(0);
      expect(r.out).toMatch(/^Usage: chispa \[options\] \[command\]/);
      for (const c of ['wordcount', 'feed', 'demo', 'bench']) expect(r.out).toContain(c);
    }
    for (const [command, option] of [['wordcount', '--stateful'], ['wordcount', '--events'], ['feed', '--rate'], ['demo', '--no-ui'], ['demo', '--batches'], ['demo', '--graceful-stop-timeout'], ['wordcount', '--graceful-stop-timeout'], ['bench', 'args']]) {
      const r = await cli([command, '--help']);
      expect(r.code).toBe(0);
      expect(r.out).toContain(`Usage: chispa ${command}`);
      expect(r.out).toContain(option);
    }
  });

  it('bad usage: exit 2 with a one-line reason', async () => {
    const cases: [string[], RegExp][] = [
      [['bogus'], /unknown command 'bogus'/],
      [['wordcount'], /required option '--port <port>'/],
      [['wordcount', '--port', 'x'], /a port is an integer/],
      [['wordcount', '--port', '9999', '--stateful'], /--stateful needs --checkpoint DIR/],
      [['wordcount', '--port', '9999', '--slide', '2'], /--slide needs --window/],
      [['wordcount', '--port', '9999', '--stateful', '--checkpoint', '/tmp/x', '--window', '4'], /two different jobs/],
      [['wordcount', '--port', '9999', '--initial-rate', '10'], /--initial-rate needs --backpressure/],
      [['wordcount', '--port', '9999', '--batch', '0'], /--batch takes a positive number/],
      [['wordcount', '--port', '9999', '--top', '1.5'], /--top takes a positive integer/],
      [['feed', '--rate', 'fast'], /--rate must be a positive number/],
      [['feed', 'a', 'b'], /too many arguments/],
      [['feed', '-', '--loop'], /--loop cannot repeat standard input/],
      [['feed', '/nonexistent/file.txt', '--port', '0'], /cannot read \/nonexistent\/file\.txt/],
      [['demo', '--bogus'], /unknown option '--bogus'/],
      [['demo', '--batches', '0'], /--batches takes a positive integer/],
      [['demo', '--graceful-stop-timeout', '0'], /--graceful-stop-timeout takes a positive number/],
    ];
    for (const [argv, reason] of cases) {
      const r = await cli(argv);
      expect({ argv, code: r.code }).toEqual({ argv, code: 2 });
      expect(r.err).toMatch(reason);
      expect(r.err.trimEnd().split('\n')).toHaveLength(1);
    }
  });
});

/** A TCP server that sends `text` once to its first client and keeps every connection open. */
async function onceServer(text: string) {
  let served = false;
  const sockets: net.Socket[] = [];
  const server = net.createServer((s) => {
    sockets.push(s);
    s.on('error', () => {});
    if (!served) s.write(text);
    served = true;
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as net.AddressInfo).port,
    close: () => {
      for (const s of sockets) s.destroy();
      return new Promise((r) => server.close(r));
    },
  };
}

const TEXT = ['a b a', 'c a b', 'd', 'a b c d e'].join('\n') + '\n';
const ORACLE = new Map([['a', 4], ['b', 3], ['c', 2], ['d', 2], ['e', 1]]);

describe('chispa wordcount', () => {
  it("stateless: the seed's pprint output, counts summing to the oracle; SIGTERM exits 0", async () => {
    const server = await onceServer(TEXT);
    try {
      const run = runChispa(['wordcount', '--host', '127.0.0.1', '--port', String(server.port), '--batch', '1', '--master', 'local[2]', '--no-ui']);
      const summed = () => {
        const sum = new Map<string, number>();
        for (const b of pprintBlocks(run.stdout())) for (const [w, n] of b.pairs) sum.set(w, (sum.get(w) ?? 0) + n);
        return sum;
      };
      await waitFor(() => summed().size === ORACLE.size && pprintBlocks(run.stdout()).length >= 3, 'the counts and two more batches', 120_000);
      run.child.kill('SIGTERM');
      expect(await run.exited).toBe(0);
      for (const b of pprintBlocks(run.stdout())) expect(b.time).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/);
      expect(summed()).toEqual(ORACLE);
      expect(run.stderr()).toMatch(/chispa wordcount: stopped after \d+ batches, 4 lines\n/);
    } finally {
      await server.close();
    }
  }, 180_000);

  it('--batches N stops by itself after N batches (no UI: it exits 0); --events - prints what its listener saw of each batch', async () => {
    const server = await onceServer(TEXT);
    try {
      // A busy machine may queue many batches behind the slow first one: the stop drains them all.
      const run = runChispa(['wordcount', '--host', '127.0.0.1', '--port', String(server.port), '--batch', '0.5', '--master', 'local[2]', '--no-ui', '--batches', '3', '--events', '-', '--graceful-stop-timeout', '600']);
      expect(await run.exited).toBe(0);
      const events = run
        .stdout()
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .map((l) => JSON.parse(l));
      const [, stopped, lines] = /chispa wordcount: stopped after (\d+) batches, (\d+) lines\n/.exec(run.stderr()) ?? [];
      expect(events.length).toBe(Number(stopped));
      expect(events.length).toBeGreaterThanOrEqual(3);
      expect(events.length).toBe(pprintBlocks(run.stdout()).length);
      for (const [i, e] of events.entries()) {
        expect(Object.keys(e).sort()).toEqual(['batchTime', 'numRecords', 'outputOps', 'processingDelay', 'schedulingDelay', 'totalDelay']);
        expect(e.outputOps).toEqual({ succeeded: 1, total: 1 });
        expect(e.totalDelay).toBe(e.schedulingDelay + e.processingDelay);
        if (i > 0) expect(e.batchTime).toBe(events[i - 1].batchTime + 500);
      }
      expect(events.reduce((a, e) => a + e.numRecords, 0)).toBe(Number(lines)); // the job's own count agrees
    } finally {
      await server.close();
    }
  }, 180_000);

  it('--window and --top: the most frequent words of the window, most frequent first', async () => {
    const server = await onceServer(TEXT);
    try {
      const run = runChispa(['wordcount', '--host', '127.0.0.1', '--port', String(server.port), '--batch', '1', '--window', '3', '--slide', '1', '--top', '2', '--master', 'local', '--no-ui']);
      // Every line arrives within one batch; each of the three windows holding it shows the same top two.
      const full = () => pprintBlocks(run.stdout()).filter((b) => b.pairs.length > 0);
      const passed = () => {
        const blocks = pprintBlocks(run.stdout());
        const last = blocks.findLastIndex((b) => b.pairs.length > 0);
        return last >= 0 && last < blocks.length - 1;
      };
      await waitFor(passed, 'the window to pass', 120_000);
      run.child.kill('SIGTERM');
      expect(await run.exited).toBe(0);
      expect(full()).toHaveLength(3);
      for (const b of full()) expect(b).toMatchObject({ pairs: [['a', 4], ['b', 3]], more: true });
    } finally {
      await server.close();
    }
  }, 180_000);

  it('a failed job exits 1 with the reason: a checkpoint written with another batch interval', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'chispa-cli-'));
    const server = await onceServer(TEXT);
    try {
      const base = ['wordcount', '--host', '127.0.0.1', '--port', String(server.port), '--stateful', '--checkpoint', dir, '--master', 'local', '--no-ui'];
      const first = runChispa([...base, '--batch', '1']);
      await waitFor(() => pprintBlocks(first.stdout()).some((b) => b.pairs.length > 0), 'a batch with counts', 120_000);
      first.child.kill('SIGTERM'); // a graceful stop: a final checkpoint, with a 1 s interval
      expect(await first.exited).toBe(0);
      const second = runChispa([...base, '--batch', '2', '--seconds', '2']);
      expect(await second.exited).toBe(1);
      expect(second.stderr()).toMatch(/batch interval of 1 s; the program now uses 2 s/);
    } finally {
      await server.close();
      rmSync(dir, { recursive: true, force: true });
    }
  }, 180_000);
});

/** A client that collects what a feeder sends. */
function collect(port: number) {
  const socket = net.connect({ host: '127.0.0.1', port });
  const chunks: Buffer[] = [];
  socket.on('data', (c: Buffer) => chunks.push(c));
  socket.on('error', () => {});
  return { socket, text: () => Buffer.concat(chunks).toString('utf8') };
}

describe('chispa feed', () => {
  const dir = mkdtempSync(join(tmpdir(), 'chispa-feed-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('FILE at a byte rate: the whole file, then SIGTERM exits 0', async () => {
    const file = join(dir, 'in.txt');
    const text = Array.from({ length: 500 }, (_, i) => `línea ${i} ${'·'.repeat(i % 40)}`).join('\n') + '\n';
    writeFileSync(file, text);
    const run = runChispa(['feed', file, '--port', '0', '--rate', '1MB/s']);
    const [, port] = await waitForStderr(run, /serving .*in\.txt on 127\.0\.0\.1:(\d+)\n/, 'the feeder to listen');
    const c = collect(Number(port));
    await waitFor(() => c.text() === text, 'the whole file', 60_000);
    run.child.kill('SIGTERM');
    expect(await run.exited).toBe(0);
    c.socket.destroy();
  }, 120_000);

  it('- serves standard input, as `cat FILE | nc -lk`', async () => {
    const run = runChispa(['feed', '-', '--port', '0'], { stdin: 'pipe' });
    const [, port] = await waitForStderr(run, /serving standard input on 127\.0\.0\.1:(\d+)\n/, 'the feeder to listen');
    const c = collect(Number(port));
    const text = Array.from({ length: 20_000 }, (_, i) => `stdin line ${i}`).join('\n') + '\n';
    run.child.stdin!.end(text);
    await waitFor(() => c.text() === text, 'all of standard input', 60_000);
    run.child.kill('SIGINT');
    expect(await run.exited).toBe(0);
    c.socket.destroy();
  }, 120_000);
});

describe('chispa demo', () => {
  it('runs the stateful WordCount on the built-in text with the UI on, its address printed; the API agrees with the output', async () => {
    const run = runChispa(['demo', '--ui-port', '0', '--master', 'local[2]']);
    const [, url] = await waitForStderr(run, /chispa: Streaming UI at (http:\/\/127\.0\.0\.1:\d+\/)\n/, 'the UI address');
    await waitFor(() => pprintBlocks(run.stdout()).length >= 3, 'three batches', 120_000);
    const stats = (await (await fetch(`${url}api/v1/streaming/statistics`)).json()) as { numTotalCompletedBatches: number; numReceivers: number };
    const printed = pprintBlocks(run.stdout()).length;
    // Every completed batch printed its block (and the output runs within the batch).
    expect(stats.numTotalCompletedBatches).toBeGreaterThanOrEqual(3);
    expect(stats.numTotalCompletedBatches).toBeLessThanOrEqual(printed + 1);
    expect(stats.numReceivers).toBe(1);
    const metrics = await (await fetch(`${url}metrics`)).text();
    expect(metrics).toMatch(/^chispa_streaming_batches_completed_total \d+$/m);
    run.child.kill('SIGINT');
    expect(await run.exited).toBe(0);
    expect(run.stderr()).toMatch(/chispa demo: stopped after \d+ batches, [1-9]\d* lines\n/);
  }, 180_000);
});

describe('chispa bench', () => {
  it('from a clone runs the suite (what npm run bench runs), passing its arguments', async () => {
    const run = runChispa(['bench', '--', '--mb', '0.2', '--runs', '1', '--rows', 'naive,local', '--modes', 'stateless', '--no-write']);
    expect(await run.exited).toBe(0);
    expect(run.stdout() + run.stderr()).toMatch(/\| chispa local \| stateless \|.*\| yes \|/);
  }, 240_000);
});

import { readFile } from 'node:fs/promises';
import net from 'node:net';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_TEXT_URL, feedCommand, startFeeder, type Feeder } from '../src/cli/feeder.js';
import { IllegalArgumentError } from '../src/errors.js';
import { LineBatchBuilder } from '../src/memory/line-batch.js';
import { SegmentPool } from '../src/memory/segment-pool.js';
import { SocketReceiver } from '../src/sources/socket-receiver.js';
import { waitFor } from './helpers/streaming.js';

const dec = new TextDecoder();
const LINES = Array.from({ length: 2000 }, (_, i) => `${i}: the quick brown fox — ünïcødé ${'~'.repeat(i % 29)}`);
const TEXT = LINES.join('\n') + '\n';


/** A plain TCP client that records what it receives and whether the server ended the stream. */
function client(port: number) {
  const socket = net.connect({ host: '127.0.0.1', port });
  const chunks: Buffer[] = [];
  const state = { bytes: 0, ended: false, closed: false, error: undefined as Error | undefined };
  socket.on('data', (c: Buffer) => {
    chunks.push(c);
    state.bytes += c.length;
  });
  socket.on('end', () => (state.ended = true));
  socket.on('close', () => (state.closed = true));
  socket.on('error', (e) => (state.error = e));
  clients.push(socket);
  return { socket, state, text: () => Buffer.concat(chunks).toString('utf8') };
}

const feeders: Feeder[] = [];
const clients: net.Socket[] = [];
async function feeder(opts: Parameters<typeof startFeeder>[0]): Promise<Feeder> {
  const f = await startFeeder({ port: 0, ...opts });
  feeders.push(f);
  return f;
}

afterEach(async () => {
  for (const c of clients.splice(0)) c.destroy();
  await Promise.all(feeders.splice(0).map((f) => f.close()));
});

describe('startFeeder', () => {
  it('serves the whole text to a client, then ends the connection', async () => {
    const f = await feeder({ text: TEXT });
    expect(f.host).toBe('127.0.0.1');
    expect(f.port).toBeGreaterThan(0);
    const c = client(f.port);
    await waitFor(() => c.state.ended, 'the end of the stream');
    expect(c.text()).toBe(TEXT);
    await waitFor(() => f.connections === 0, 'the feeder to drop the connection');
  });

  it('serves every client from the start of the text, bytes given as a Uint8Array', async () => {
    const bytes = new TextEncoder().encode(TEXT);
    const f = await feeder({ text: bytes });
    const cs = [client(f.port), client(f.port), client(f.port)];
    await waitFor(() => cs.every((c) => c.state.ended), 'all streams to end');
    for (const c of cs) expect(c.text()).toBe(TEXT);
  });

  it('paces lines with linesPerSecond, in order and complete', async () => {
    const lines = LINES.slice(0, 300);
    const f = await feeder({ text: lines.join('\n') + '\n', linesPerSecond: 3000 });
    const c = client(f.port);
    await waitFor(() => c.state.ended, 'the paced stream to end');
    expect(c.text().split('\n').slice(0, -1)).toEqual(lines);
  });

  it('a slow pace sends the first line at once', async () => {
    const f = await feeder({ text: 'first\nsecond\n', linesPerSecond: 0.1 });
    const c = client(f.port);
    await waitFor(() => c.text() === 'first\n', 'the first line');
    expect(c.state.ended).toBe(false);
  });

  it('loops at full speed', async () => {
    const f = await feeder({ text: TEXT, loop: true });
    const c = client(f.port);
    await waitFor(() => c.state.bytes >= 3 * Buffer.byteLength(TEXT), 'three copies');
    expect(c.text().startsWith(TEXT.repeat(3))).toBe(true);
    expect(c.state.ended).toBe(false);
  });

  it('loops a paced text with no final newline, keeping lines apart', async () => {
    const f = await feeder({ text: 'a\nb\nc', linesPerSecond: 2000, loop: true });
    const c = client(f.port);
    await waitFor(() => c.text().split('\n').length > 10, 'ten lines');
    expect(c.text().startsWith('a\nb\nc\na\nb\nc\na\nb\nc\na\n')).toBe(true);
  });

  it('respects backpressure from a client that stops reading, then resumes in order', async () => {
    for (const rate of [undefined, 1_000_000]) {
      const f = await feeder({ text: TEXT, loop: true, linesPerSecond: rate });
      const c = client(f.port);
      await waitFor(() => c.state.bytes > 0, 'some bytes');
      c.socket.pause();
      // Long enough for the socket buffers to fill at these rates (not needed for correctness).
      await new Promise((r) => setTimeout(r, 100));
      c.socket.resume();
      await waitFor(() => c.state.bytes >= 4 * Buffer.byteLength(TEXT), 'four copies');
      expect(c.text().startsWith(TEXT.repeat(4))).toBe(true);
      c.socket.destroy();
    }
  });

  it('ends the connection at once for an empty text', async () => {
    const f = await feeder({ text: '' });
    const c = client(f.port);
    await waitFor(() => c.state.ended, 'the end of the stream');
    expect(c.state.bytes).toBe(0);
  });

  it('keeps serving after clients disconnect mid-stream', async () => {
    for (const rate of [undefined, 100_000]) {
      const f = await feeder({ text: TEXT, loop: true, linesPerSecond: rate });
      for (let i = 0; i < 5; i++) {
        const c = client(f.port);
        await waitFor(() => c.state.bytes > 0, 'some bytes');
        c.socket.resetAndDestroy(); // RST: the feeder sees ECONNRESET/EPIPE on its next write
        await waitFor(() => c.state.closed, 'the client to close');
      }
      await waitFor(() => f.connections === 0, 'the feeder to drop the dead clients');
      const c = client(f.port);
      await waitFor(() => c.state.bytes >= Buffer.byteLength(TEXT), 'a full copy');
      expect(c.text().startsWith(TEXT)).toBe(true);
    }
  });

  it('close() resolves with a client still connected, and drops it', async () => {
    const f = await feeder({ text: TEXT, linesPerSecond: 10, loop: true });
    const c = client(f.port);
    await waitFor(() => f.connections === 1 && c.state.bytes > 0, 'a live connection');
    await f.close();
    await f.close(); // idempotent
    await waitFor(() => c.state.closed, 'the client to see the connection closed');
    expect(f.connections).toBe(0);
    // Nobody listens any more.
    const late = client(f.port);
    await waitFor(() => late.state.closed, 'a refused connect');
    expect((late.state.error as NodeJS.ErrnoException | undefined)?.code).toBe('ECONNREFUSED');
  });

  it('rejects when the port is taken, and on a bad rate', async () => {
    const f = await feeder({ text: TEXT });
    await expect(startFeeder({ text: TEXT, port: f.port })).rejects.toThrow(/EADDRINUSE/);
    await expect(startFeeder({ text: TEXT, port: 0, linesPerSecond: 0 })).rejects.toThrow(IllegalArgumentError);
  });

  it('feeds a SocketReceiver exactly the lines of the text', async () => {
    const text = await readFile(DEFAULT_TEXT_URL, 'utf8');
    const expected = text.split('\n').slice(0, -1);
    expect(expected.length).toBe(1533);
    const f = await feeder({ text });
    const builder = new LineBatchBuilder(new SegmentPool({ byteCapacity: 4096, lineCapacity: 64 }));
    // A long first reconnect delay, so that the one copy can be checked before a second arrives.
    const r = new SocketReceiver('127.0.0.1', f.port, builder, { initialDelayMs: 60_000 });
    r.start();
    const got: string[] = [];
    await waitFor(() => {
      const batch = builder.cut();
      for (const view of batch.segments) {
        for (let i = 0; i < view.lineCount; i++) {
          got.push(dec.decode(view.bytes.subarray(view.offsets[i], view.offsets[i + 1])));
        }
      }
      batch.release();
      return r.stats.connects === 1 && !r.stats.connected && !builder.hasOpenLine && got.length >= expected.length;
    }, 'the whole text');
    await r.stop();
    expect(got).toEqual(expected);
    expect(r.stats.lines).toBe(1533);
  });
});

describe('feedCommand', () => {
  /** Runs feedCommand, capturing its stderr line, and returns a function that sends it SIGINT. */
  async function run(argv: string[]) {
    const before = new Set(process.listeners('SIGINT'));
    const write = process.stderr.write;
    let said = '';
    // Keep only feedCommand's own line; anything else written meanwhile goes through.
    process.stderr.write = ((s: string | Uint8Array, ...rest: never[]) => {
      if (String(s).startsWith('chispa feed:')) said += String(s);
      else return write.call(process.stderr, s, ...rest);
      return true;
    }) as typeof process.stderr.write;
    const done = feedCommand(argv);
    try {
      await waitFor(() => said.includes('serving'), 'the serving message');
    } finally {
      process.stderr.write = write;
    }
    // Our handler only: emitting SIGINT on the process would reach the test runner's too.
    const sigint = () => process.listeners('SIGINT').filter((l) => !before.has(l)).forEach((l) => l('SIGINT'));
    return { said, done, sigint, port: Number(/:(\d+)\n$/.exec(said)?.[1]) };
  }

  it('serves the built-in text when FILE is omitted, until SIGINT', async () => {
    const { said, done, sigint, port } = await run(['--port', '0']);
    expect(said).toMatch(/^chispa feed: serving .*genesis\.txt on 127\.0\.0\.1:\d+\n$/);
    const c = client(port);
    await waitFor(() => c.state.ended, 'the end of the stream');
    expect(c.text()).toBe(await readFile(DEFAULT_TEXT_URL, 'utf8'));
    sigint();
    await done;
    const late = client(port);
    await waitFor(() => late.state.closed, 'a refused connect');
  });

  it('serves FILE, paced and looped', async () => {
    const file = fileURLToPath(DEFAULT_TEXT_URL);
    const { said, done, sigint, port } = await run([file, '--port', '0', '--host', '127.0.0.1', '--rate', '20000', '--loop']);
    expect(said).toBe(`chispa feed: serving ${file} on 127.0.0.1:${port}\n`);
    const c = client(port);
    const text = await readFile(file, 'utf8');
    await waitFor(() => c.state.bytes > Buffer.byteLength(text), 'more than one copy');
    expect(c.text().startsWith(text + 'Ge1:1 ')).toBe(true);
    sigint();
    await done;
    await waitFor(() => c.state.closed, 'the client to be dropped');
  });

  it('rejects bad options', async () => {
    await expect(feedCommand(['--port', 'abc'])).rejects.toThrow(IllegalArgumentError);
    await expect(feedCommand(['--port', '0', '--rate', '0'])).rejects.toThrow(IllegalArgumentError);
    await expect(feedCommand(['a', 'b'])).rejects.toThrow(IllegalArgumentError);
    await expect(feedCommand(['--bogus'])).rejects.toThrow();
  });
});

import { readFile } from 'node:fs/promises';
import net from 'node:net';
import { PassThrough } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_TEXT_URL, parseRate, startFeeder, startStreamFeeder, type Feeder } from '../src/cli/feeder.js';
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

describe('parseRate', () => {
  it('reads lines and bytes per second', () => {
    expect(parseRate('200')).toEqual({ unit: 'lines', perSecond: 200 });
    expect(parseRate('2.5/s')).toEqual({ unit: 'lines', perSecond: 2.5 });
    expect(parseRate('300 lines/s')).toEqual({ unit: 'lines', perSecond: 300 });
    expect(parseRate('10MB/s')).toEqual({ unit: 'bytes', perSecond: 10e6 });
    expect(parseRate('512KiB/s')).toEqual({ unit: 'bytes', perSecond: 512 * 1024 });
    expect(parseRate('1e3B/s')).toEqual({ unit: 'bytes', perSecond: 1000 });
    for (const bad of ['0', '-1', 'fast', '10XB/s', '', '10MB/h']) expect(() => parseRate(bad)).toThrow(IllegalArgumentError);
  });
});

describe('startFeeder with bytesPerSecond', () => {
  it('paces bytes, in order and complete, cutting anywhere', async () => {
    const text = LINES.slice(0, 200).join('\n') + '\n';
    const f = await feeder({ text, bytesPerSecond: 200_000 });
    const c = client(f.port);
    await waitFor(() => c.state.ended, 'the paced stream to end');
    expect(c.text()).toBe(text);
    await expect(startFeeder({ text, port: 0, bytesPerSecond: 10, linesPerSecond: 10 })).rejects.toThrow(IllegalArgumentError);
  });
});

describe('startStreamFeeder', () => {
  const streamFeeders: { close(): Promise<void> }[] = [];
  afterEach(async () => {
    await Promise.all(streamFeeders.splice(0).map((f) => f.close()));
  });

  it('serves a stream to one client at a time, reading it only while a client can take it', async () => {
    const input = new PassThrough({ highWaterMark: 1024 });
    const f = await startStreamFeeder({ input, port: 0 });
    streamFeeders.push(f);
    // Nobody connected: the input is not consumed, so its writer sees backpressure.
    let accepted = 0;
    while (input.write('x'.repeat(1000) + '\n')) accepted++;
    expect(accepted).toBeLessThan(10);
    const first = client(f.port);
    const second = client(f.port);
    await waitFor(() => first.state.bytes > 0, 'the first client to be served');
    input.write('end of first\n');
    await waitFor(() => first.text().endsWith('end of first\n'), 'all of it to the first client');
    expect(second.state.bytes).toBe(0);
    first.socket.destroy();
    // Bytes written to a client that is gone are lost, as with netcat: wait until the feeder knows.
    await waitFor(() => f.connections === 1, 'the feeder to see the first client go');
    input.write('for second\n');
    input.end();
    await waitFor(() => second.text() === 'for second\n', 'the second client to get what came after');
    await f.ended;
    // At the end of the input the connection stays open, as netcat's.
    expect(second.state.ended).toBe(false);
  });

  it('paces lines per second', async () => {
    const input = new PassThrough();
    const f = await startStreamFeeder({ input, port: 0, linesPerSecond: 2000 });
    streamFeeders.push(f);
    const lines = LINES.slice(0, 100);
    input.end(lines.join('\n') + '\n');
    const c = client(f.port);
    await waitFor(() => c.text().split('\n').length > lines.length, 'every line');
    expect(c.text().split('\n').slice(0, -1)).toEqual(lines);
  });
});

import { spawn } from 'node:child_process';
import net from 'node:net';
import { fileURLToPath } from 'node:url';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { IllegalArgumentError } from '../src/errors.js';
import { setLogLevel } from '../src/log.js';
import { LineBatchBuilder } from '../src/memory/line-batch.js';
import { SegmentPool } from '../src/memory/segment-pool.js';
import { SocketReceiver } from '../src/sources/socket-receiver.js';
import { readLines } from './helpers/lines.js';
import { waitFor } from './helpers/streaming.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

/** Starts a receiver on a refused port, waits for its reconnect timer, stops it, reports handles. */
const CHILD_SCRIPT = `
const src = process.env.SRC;
const { SocketReceiver } = await import(src + 'sources/socket-receiver.ts');
const { LineBatchBuilder } = await import(src + 'memory/line-batch.ts');
const { SegmentPool } = await import(src + 'memory/segment-pool.ts');
const { setLogLevel } = await import(src + 'log.ts');
setLogLevel('OFF');
const builder = new LineBatchBuilder(new SegmentPool({ byteCapacity: 64, lineCapacity: 4 }));
const r = new SocketReceiver('127.0.0.1', Number(process.env.PORT), builder, { initialDelayMs: 60000 });
r.start();
// Timers and sockets only: stdio pipes to the parent are handles too.
const res = () => process.getActiveResourcesInfo().filter((h) => h === 'Timeout' || h.startsWith('TCP'));
while (!(res().includes('Timeout') && !res().some((h) => h.startsWith('TCP')))) {
  await new Promise((resolve) => setTimeout(resolve, 5));
}
console.log('pending: ' + res().join());
await r.stop();
console.log('after stop: ' + res().join());
`;

/** Polls `cond` until it holds; fails with `what` after `timeoutMs`. */


/** A builder plus a `lines` array that `collect()` fills by cutting batches, as the engine would. */
function sink(opts: { maxLineBytes?: number } = {}) {
  const builder = new LineBatchBuilder(new SegmentPool({ byteCapacity: 256, lineCapacity: 16 }), opts);
  const lines: string[] = [];
  const collect = (): string[] => {
    const batch = builder.cut();
    lines.push(...readLines(batch));
    batch.release();
    return lines;
  };
  return { builder, lines, collect };
}

/** A server on an ephemeral port that hands each connection to `onConnection`. */
async function listen(onConnection: (socket: net.Socket, index: number) => void, port = 0) {
  const sockets: net.Socket[] = [];
  const server = net.createServer((socket) => {
    socket.on('error', () => {});
    sockets.push(socket);
    onConnection(socket, sockets.length - 1);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  servers.push({ server, sockets });
  return { server, sockets, port: (server.address() as AddressInfo).port };
}

async function freePort(): Promise<number> {
  const probe = net.createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', () => resolve()));
  const { port } = probe.address() as AddressInfo;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

const servers: { server: net.Server; sockets: net.Socket[] }[] = [];
const receivers: SocketReceiver[] = [];
function receiver(port: number, builder: LineBatchBuilder, opts = { initialDelayMs: 10, maxDelayMs: 80 }) {
  const r = new SocketReceiver('127.0.0.1', port, builder, opts);
  receivers.push(r);
  return r;
}

beforeAll(() => setLogLevel('ERROR')); // the reconnect warnings are expected here
afterAll(() => setLogLevel('WARN'));
afterEach(async () => {
  await Promise.all(receivers.splice(0).map((r) => r.stop()));
  await Promise.all(
    servers.splice(0).map(({ server, sockets }) => {
      for (const s of sockets) s.destroy();
      return new Promise((r) => server.close(r));
    }),
  );
});

describe('SocketReceiver', () => {
  it('receives lines across many writes', async () => {
    const expected = Array.from({ length: 300 }, (_, i) => `line ${i} ünïcødé ${'.'.repeat(i % 17)}`);
    const payload = Buffer.from(expected.join('\n') + '\n');
    const { port } = await listen(async (socket) => {
      // Odd-sized writes with a turn of the event loop between them, so chunks split lines
      // and characters.
      for (let at = 0, k = 0; at < payload.length; k++) {
        const size = 1 + ((k * 13) % 97);
        socket.write(payload.subarray(at, at + size));
        at += size;
        await new Promise((r) => setImmediate(r));
      }
    });
    const { builder, collect } = sink();
    const r = receiver(port, builder);
    r.start();
    await waitFor(() => collect().length >= expected.length, 'all lines');
    expect(collect()).toEqual(expected);
    expect(r.stats).toMatchObject({ connected: true, connects: 1, lines: 300, truncatedLines: 0 });
    expect(r.stats.bytes).toBe(payload.length - 300);
  });

  it('connects once a server that was not up yet starts listening', async () => {
    const port = await freePort();
    const { builder, collect } = sink();
    const r = receiver(port, builder);
    r.start(); // refused: nobody listens yet
    r.start(); // no-op
    expect(r.stats.connects).toBe(0);
    // Give it time to fail a few attempts (not needed for correctness).
    await new Promise((res) => setTimeout(res, 100));
    expect(r.stats.connected).toBe(false);
    await listen((socket) => socket.write('hello\n'), port);
    await waitFor(() => collect().length === 1, 'the first line');
    expect(collect()).toEqual(['hello']);
    expect(r.stats.connects).toBe(1);
  });

  it('emits the final unterminated line when the server closes, then reconnects', async () => {
    const { port, sockets } = await listen((socket, i) => {
      if (i === 0) socket.end('a\nb\npartial');
      else socket.write(`conn ${i}\n`);
    });
    const { builder, collect } = sink();
    const r = receiver(port, builder);
    r.start();
    await waitFor(() => collect().length >= 4, 'lines of two connections');
    expect(collect()).toEqual(['a', 'b', 'partial', 'conn 1']);
    expect(r.stats.connects).toBe(2);
    expect(sockets.length).toBe(2);
    // The second connection keeps delivering.
    sockets[1].write('more\n');
    await waitFor(() => collect().length >= 5, 'one more line');
    expect(collect().at(-1)).toBe('more');
  });

  it('stop() is idempotent, closes the socket and does not reconnect', async () => {
    const closed: boolean[] = [];
    const { sockets, port } = await listen((socket) => {
      socket.on('close', () => closed.push(true));
      socket.write('x\n');
    });
    const { builder, collect } = sink();
    const r = receiver(port, builder);
    r.start();
    await waitFor(() => collect().length === 1, 'a line');
    const p1 = r.stop();
    const p2 = r.stop();
    expect(p2).toBe(p1);
    await p1;
    await r.stop();
    await waitFor(() => closed.length === 1, 'the server to see the socket closed');
    expect(r.stats.connected).toBe(false);
    r.start(); // no-op after stop
    await new Promise((res) => setTimeout(res, 50)); // a reconnect would have happened by now
    expect(sockets.length).toBe(1);
    expect(r.stats.connects).toBe(1);
  });

  it('stop() cancels a pending reconnect and leaves no handles behind', async () => {
    // In a child process: this worker's own timers (the test runner's) would blur a handle count,
    // and a child that exits by itself proves that nothing was left to keep it alive.
    const port = await freePort();
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', '--input-type=module', '-e', CHILD_SCRIPT],
      { cwd: ROOT, env: { ...process.env, SRC: new URL('../src/', import.meta.url).href, PORT: String(port) } },
    );
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c));
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    // Before stop(): only the (60 s) reconnect timer; after: nothing. The exit came long before 60 s.
    expect(out.split('\n')).toEqual(['pending: Timeout', 'after stop: ', '']);
    expect(code).toBe(0);
  }, 20_000);

  it('stop() while connecting resolves', async () => {
    const port = await freePort();
    const { builder } = sink();
    const r = receiver(port, builder);
    r.start();
    await r.stop();
    expect(r.stats.connected).toBe(false);
  });

  it('survives invalid UTF-8 and a too-long line', async () => {
    const { port } = await listen((socket) => {
      socket.write(Buffer.from([0xff, 0xfe, 0x0a, 0x61, 0xc3]));
      socket.write(Buffer.from([0x0a]));
      socket.write('x'.repeat(5000));
      socket.write('y'.repeat(5000) + '\nok\n');
    });
    const { builder, collect } = sink({ maxLineBytes: 100 });
    const r = receiver(port, builder);
    r.start();
    await waitFor(() => collect().length >= 4, 'four lines');
    expect(collect()).toEqual(['\uFFFD\uFFFD', 'a\uFFFD', 'x'.repeat(100), 'ok']);
    expect(r.stats.truncatedLines).toBe(1);
    expect(r.stats.connected).toBe(true);
  });

  it('rejects a bad port up front', () => {
    const { builder } = sink();
    expect(() => new SocketReceiver('127.0.0.1', 0, builder)).toThrow(IllegalArgumentError);
    expect(() => new SocketReceiver('127.0.0.1', 70000, builder)).toThrow(IllegalArgumentError);
  });
});

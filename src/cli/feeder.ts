import net from 'node:net';
import type { AddressInfo } from 'node:net';
import type { Readable } from 'node:stream';
import { IllegalArgumentError } from '../errors.js';
import { log } from '../log.js';

/**
 * The text served when `chispa feed` gets no FILE: KJV Genesis, 1533 lines. Kept relative to this
 * module so it resolves both from `src/cli/` and from the compiled `dist/cli/` (the build copies
 * `data/`).
 */
export const DEFAULT_TEXT_URL: URL = new URL('./data/genesis.txt', import.meta.url);

/** What a feeder serves, where, and how fast. */
export interface FeederOptions {
  /** Interface to listen on. Default '127.0.0.1'. */
  host?: string;
  /** Port to listen on. Default 9999; 0 picks a free port (read it back from {@link Feeder.port}). */
  port?: number;
  /** The content served to every client, from its start. A string is sent as UTF-8. */
  text: Uint8Array | string;
  /** Pace in lines per second. Default: as fast as each client reads. */
  linesPerSecond?: number;
  /** Pace in bytes per second instead (cut anywhere, lines may arrive in pieces). Not with linesPerSecond. */
  bytesPerSecond?: number;
  /** Repeat the text forever. Default false: send it once, then end the connection. */
  loop?: boolean;
}

/** A running feeder. */
export interface Feeder {
  readonly port: number;
  readonly host: string;
  /** Clients connected right now. */
  readonly connections: number;
  /** Stops listening, drops every client, clears every timer. Idempotent. */
  close(): Promise<void>;
}

/** Shortest pause between paced writes: at high rates, the lines due are batched into one write. */
const TICK_MS = 50;
/** In loop mode at full speed, a small text is repeated into a block at least this big per write. */
const BLOCK_BYTES = 64 * 1024;

/**
 * Starts a TCP server that plays the part of `nc -lk`: every client that connects gets the text
 * from its first line, paced or at full speed with write backpressure. Client disconnects
 * (EPIPE, ECONNRESET) are expected and never thrown.
 */
export async function startFeeder(opts: FeederOptions): Promise<Feeder> {
  const host = opts.host ?? '127.0.0.1';
  const pace = checkPace(opts);
  const rate = pace?.perSecond;
  let text = typeof opts.text === 'string' ? Buffer.from(opts.text, 'utf8') : opts.text;
  // Repetitions must not glue the last line of one copy onto the first line of the next.
  if (opts.loop && text.length > 0 && !isTerminator(text[text.length - 1])) text = concat(text, Buffer.from('\n'));
  // Paced feeding counts units: lines, or single bytes. at(i) is where unit i begins; at(n) === text.length.
  const starts = pace?.unit === 'bytes' ? undefined : lineStarts(text);
  const at = (i: number): number => (starts ? starts[i] : i);
  const nUnits = starts ? starts.length - 1 : text.length;

  const sockets = new Set<net.Socket>();
  const timers = new Set<NodeJS.Timeout>();
  const server = net.createServer({ noDelay: true }, (socket) => {
    sockets.add(socket);
    socket.on('error', (err) => log.debug(`feeder: client ${socket.remoteAddress}:${socket.remotePort}: ${err.message}`));
    socket.on('close', () => sockets.delete(socket));
    // Read (and ignore) what the client sends, so that its FIN is seen and the socket closes.
    socket.resume();
    if (nUnits === 0) socket.end();
    else if (rate === undefined) fullSpeed(socket);
    else paced(socket, rate);
  });

  function fullSpeed(socket: net.Socket): void {
    // Once: the whole text is one write; the stream holds the buffer, no copy.
    if (!opts.loop) return void socket.end(text);
    const block = text.length >= BLOCK_BYTES ? text : concat(...Array(Math.ceil(BLOCK_BYTES / text.length)).fill(text));
    const pump = (): void => {
      // Each block is at least a high-water mark, so write() reports backpressure every round.
      for (let i = 0; i < 16 && !socket.destroyed; i++) {
        if (!socket.write(block)) return void socket.once('drain', pump);
      }
      if (!socket.destroyed) setImmediate(pump);
    };
    pump();
  }

  function paced(socket: net.Socket, rate: number): void {
    let t0 = performance.now();
    let sent = 0; // lines sent, counting repetitions
    let timer: NodeJS.Timeout | undefined;
    socket.once('close', () => {
      clearTimeout(timer);
      timers.delete(timer!);
    });
    const tick = (): void => {
      timers.delete(timer!);
      timer = undefined;
      if (socket.destroyed) return;
      // Unit k is due at t0 + k/rate seconds; unit 0 goes out at once.
      let due = Math.floor(((performance.now() - t0) * rate) / 1000) + 1;
      if (!opts.loop) due = Math.min(due, nUnits);
      let ok = true;
      while (sent < due) {
        // Consecutive lines are contiguous in the text: one write up to the end of a copy.
        const from = sent % nUnits;
        const to = Math.min(nUnits, from + (due - sent));
        ok = socket.write(text.subarray(at(from), at(to)));
        sent += to - from;
      }
      if (!opts.loop && sent >= nUnits) return void socket.end();
      const schedule = (): void => {
        const wait = t0 + (sent * 1000) / rate - performance.now();
        timer = setTimeout(tick, Math.max(TICK_MS, wait));
        timers.add(timer);
      };
      if (ok) return schedule();
      // A slow client: wait until it drained, then resume the pace from now instead of
      // bursting the lines it could not take.
      socket.once('drain', () => {
        t0 = performance.now() - (sent * 1000) / rate;
        schedule();
      });
    };
    tick();
  }

  await listen(server, opts.port ?? 9999, host);
  const port = (server.address() as AddressInfo).port;

  let closing: Promise<void> | undefined;
  return {
    port,
    host,
    get connections() {
      return sockets.size;
    },
    close() {
      closing ??= new Promise<void>((resolve) => {
        for (const t of timers) clearTimeout(t);
        timers.clear();
        server.close(() => resolve());
        for (const s of sockets) s.destroy();
      });
      return closing;
    },
  };
}

function isTerminator(b: number): boolean {
  return b === 0x0a || b === 0x0d;
}

/** Where each line begins, lines ending after `\n`, `\r\n` or a lone `\r`; plus text.length. */
function lineStarts(text: Uint8Array): number[] {
  const starts = [0];
  for (let i = 0; i < text.length; i++) {
    const b = text[i];
    if (b === 0x0a || (b === 0x0d && text[i + 1] !== 0x0a)) starts.push(i + 1);
  }
  // A final unterminated line still counts as a line.
  if (starts[starts.length - 1] !== text.length) starts.push(text.length);
  return starts;
}

function concat(...parts: Uint8Array[]): Uint8Array {
  return Buffer.concat(parts);
}

/** A feeding pace: so many lines, or so many bytes, per second. */
export interface Pace {
  unit: 'lines' | 'bytes';
  perSecond: number;
}

const BYTE_UNITS: Record<string, number> = { b: 1, kb: 1e3, mb: 1e6, gb: 1e9, kib: 1024, mib: 1024 ** 2, gib: 1024 ** 3 };

/**
 * Parses `--rate`: `200` or `200/s` or `200 lines/s` is lines per second; `10MB/s`, `512KiB/s`,
 * `1e6B/s` bytes per second (MB = 10^6 bytes, MiB = 2^20). Throws IllegalArgumentError otherwise.
 */
export function parseRate(text: string): Pace {
  const m = /^\s*(\d+(?:\.\d*)?(?:e\d+)?)\s*(lines?|[kmg]i?b|b)?\s*(?:\/\s*s)?\s*$/i.exec(text);
  const n = m ? Number(m[1]) : NaN;
  if (!m || !(n > 0 && Number.isFinite(n))) {
    throw new IllegalArgumentError(`--rate must be a positive number of lines per second (200) or bytes per second (10MB/s), got '${text}'`);
  }
  const unit = m[2]?.toLowerCase();
  if (unit === undefined || unit.startsWith('line')) return { unit: 'lines', perSecond: n };
  return { unit: 'bytes', perSecond: n * BYTE_UNITS[unit] };
}

function checkPace(opts: { linesPerSecond?: number; bytesPerSecond?: number }): Pace | undefined {
  const { linesPerSecond: lines, bytesPerSecond: bytes } = opts;
  if (lines !== undefined && bytes !== undefined) throw new IllegalArgumentError('feeder: give linesPerSecond or bytesPerSecond, not both');
  const pace: Pace | undefined =
    lines !== undefined ? { unit: 'lines', perSecond: lines } : bytes !== undefined ? { unit: 'bytes', perSecond: bytes } : undefined;
  if (pace && !(pace.perSecond > 0 && Number.isFinite(pace.perSecond))) {
    throw new IllegalArgumentError(`feeder: ${pace.unit}PerSecond must be a positive number, got ${pace.perSecond}`);
  }
  return pace;
}

/** What a stream feeder serves: a readable (standard input) instead of a text in memory. */
export interface StreamFeederOptions extends Omit<FeederOptions, 'text' | 'loop'> {
  input: Readable;
}

/**
 * A feeder of a stream, as `cat big.txt | nc -lk 9999`: one client at a time gets what the input
 * yields from then on (others wait their turn), paced or as fast as the client reads; the input is
 * not read while no client is connected or the client's socket is full, so memory stays bounded
 * and the writer of the input is slowed instead. At the input's end the connection stays open, as
 * netcat's does, until `close()`. Bytes written to a client that then disconnects are lost, as
 * with netcat.
 */
export async function startStreamFeeder(opts: StreamFeederOptions): Promise<Feeder & { readonly ended: Promise<void> }> {
  const host = opts.host ?? '127.0.0.1';
  const pace = checkPace(opts);
  const sockets = new Set<net.Socket>();
  const waiting: net.Socket[] = [];
  let wake: (() => void) | undefined;
  let closed = false;
  const server = net.createServer({ noDelay: true }, (socket) => {
    sockets.add(socket);
    socket.on('error', (err) => log.debug(`feeder: client ${socket.remoteAddress}:${socket.remotePort}: ${err.message}`));
    socket.on('close', () => {
      sockets.delete(socket);
      wake?.();
    });
    socket.resume();
    waiting.push(socket);
    wake?.();
  });
  await listen(server, opts.port ?? 9999, host);
  const port = (server.address() as AddressInfo).port;

  /** The client being served: the first waiting one still open; resolves undefined once closed. */
  async function client(): Promise<net.Socket | undefined> {
    for (;;) {
      while (waiting.length > 0 && waiting[0].destroyed) waiting.shift();
      if (closed) return undefined;
      if (waiting.length > 0) return waiting[0];
      await new Promise<void>((r) => (wake = r));
      wake = undefined;
    }
  }

  async function pump(): Promise<void> {
    let t0: number | undefined; // the pace starts with the first client, not at listen
    let sent = 0; // units sent: lines or bytes
    for await (const chunk of opts.input as AsyncIterable<Buffer>) {
      for (const piece of pieces(chunk, pace)) {
        const socket = await client();
        if (!socket) return;
        if (pace) {
          t0 ??= performance.now();
          const wait = t0 + (sent * 1000) / pace.perSecond - performance.now();
          if (wait > 0) await new Promise((r) => setTimeout(r, wait));
          sent += pace.unit === 'bytes' ? piece.length : countLines(piece);
        }
        if (!socket.write(piece)) {
          await new Promise<void>((r) => {
            socket.once('drain', r);
            socket.once('close', r);
          });
        }
      }
    }
  }
  const ended = pump();

  let closing: Promise<void> | undefined;
  return {
    port,
    host,
    ended,
    get connections() {
      return sockets.size;
    },
    close() {
      closing ??= new Promise<void>((resolve) => {
        closed = true;
        wake?.();
        opts.input.pause();
        server.close(() => resolve());
        for (const s of sockets) s.destroy();
      });
      return closing;
    },
  };
}

/** Splits a chunk into the pieces a pace sends at once: about TICK_MS worth each. */
function* pieces(chunk: Buffer, pace: Pace | undefined): Generator<Buffer> {
  if (!pace) return yield chunk;
  const per = Math.max(1, Math.floor((pace.perSecond * TICK_MS) / 1000));
  if (pace.unit === 'bytes') {
    for (let i = 0; i < chunk.length; i += per) yield chunk.subarray(i, i + per);
    return;
  }
  let from = 0;
  let lines = 0;
  for (let i = chunk.indexOf(0x0a); i !== -1; i = chunk.indexOf(0x0a, i + 1)) {
    if (++lines === per) {
      yield chunk.subarray(from, i + 1);
      from = i + 1;
      lines = 0;
    }
  }
  if (from < chunk.length) yield chunk.subarray(from);
}

function countLines(b: Buffer): number {
  let n = 0;
  for (let i = b.indexOf(0x0a); i !== -1; i = b.indexOf(0x0a, i + 1)) n++;
  return n;
}

function listen(server: net.Server, port: number, host: string): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      server.on('error', (err) => log.error(`feeder: ${err.message}`));
      resolve();
    });
  });
}

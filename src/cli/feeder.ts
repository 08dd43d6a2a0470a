import { readFile } from 'node:fs/promises';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
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
  const rate = opts.linesPerSecond;
  if (rate !== undefined && !(rate > 0 && Number.isFinite(rate))) {
    throw new IllegalArgumentError(`feeder: linesPerSecond must be a positive number, got ${rate}`);
  }
  let text = typeof opts.text === 'string' ? Buffer.from(opts.text, 'utf8') : opts.text;
  // Repetitions must not glue the last line of one copy onto the first line of the next.
  if (opts.loop && text.length > 0 && !isTerminator(text[text.length - 1])) text = concat(text, Buffer.from('\n'));
  const starts = lineStarts(text); // starts[i] is where line i begins; starts[n] === text.length
  const nLines = starts.length - 1;

  const sockets = new Set<net.Socket>();
  const timers = new Set<NodeJS.Timeout>();
  const server = net.createServer({ noDelay: true }, (socket) => {
    sockets.add(socket);
    socket.on('error', (err) => log.debug(`feeder: client ${socket.remoteAddress}:${socket.remotePort}: ${err.message}`));
    socket.on('close', () => sockets.delete(socket));
    // Read (and ignore) what the client sends, so that its FIN is seen and the socket closes.
    socket.resume();
    if (nLines === 0) socket.end();
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
      // Line k is due at t0 + k/rate seconds; line 0 goes out at once.
      let due = Math.floor(((performance.now() - t0) * rate) / 1000) + 1;
      if (!opts.loop) due = Math.min(due, nLines);
      let ok = true;
      while (sent < due) {
        // Consecutive lines are contiguous in the text: one write up to the end of a copy.
        const from = sent % nLines;
        const to = Math.min(nLines, from + (due - sent));
        ok = socket.write(text.subarray(starts[from], starts[to]));
        sent += to - from;
      }
      if (!opts.loop && sent >= nLines) return void socket.end();
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

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 9999, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  server.on('error', (err) => log.error(`feeder: ${err.message}`));
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

/**
 * `chispa feed [FILE] [--port 9999] [--host 127.0.0.1] [--rate LINES_PER_SEC] [--loop]`: serves
 * FILE (default: the built-in Genesis text) until SIGINT or SIGTERM. `argv` is the arguments
 * after `feed`.
 */
export async function feedCommand(argv: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      port: { type: 'string', short: 'p' },
      host: { type: 'string' },
      rate: { type: 'string', short: 'r' },
      loop: { type: 'boolean', short: 'l' },
    },
  });
  if (positionals.length > 1) throw new IllegalArgumentError(`chispa feed: expected at most one FILE, got ${positionals.length}`);
  const port = values.port === undefined ? 9999 : Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new IllegalArgumentError(`chispa feed: --port must be an integer in 0..65535, got '${values.port}'`);
  }
  const rate = values.rate === undefined ? undefined : Number(values.rate);
  if (rate !== undefined && !(rate > 0 && Number.isFinite(rate))) {
    throw new IllegalArgumentError(`chispa feed: --rate must be a positive number of lines per second, got '${values.rate}'`);
  }
  const file = positionals[0];
  const text = await readFile(file ?? DEFAULT_TEXT_URL);
  const feeder = await startFeeder({ host: values.host, port, text, linesPerSecond: rate, loop: values.loop });
  const shown = file ?? fileURLToPath(DEFAULT_TEXT_URL);
  process.stderr.write(`chispa feed: serving ${shown} on ${feeder.host}:${feeder.port}\n`);
  await new Promise<void>((resolve) => {
    const onSignal = (): void => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      resolve();
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });
  await feeder.close();
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

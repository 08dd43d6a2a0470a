import { IllegalArgumentError } from '../errors.js';
import net from 'node:net';
import type { LineBatchBuilder } from '../memory/line-batch.js';
import { log } from '../log.js';
import { LineSplitter } from './line-splitter.js';
import type { RateLimiter } from './rate-limiter.js';

/** Reconnect policy of a {@link SocketReceiver}. */
export interface SocketReceiverOptions {
  /** First reconnect delay; doubles each failed attempt up to maxDelayMs. Default 100 ms / 5000 ms. */
  initialDelayMs?: number;
  /** Upper bound of the reconnect delay. Default 5000 ms. */
  maxDelayMs?: number;
  /**
   * Backpressure: while `isFull()` the socket is not read (TCP then slows the sender), and
   * reading resumes when `onDrain` fires and `isFull()` is false again.
   */
  backpressure?: { isFull(): boolean; onDrain(listener: () => void): () => void };
  /**
   * Called when a connection fails or breaks (once per streak of failed attempts, and once per
   * broken connection), with what happened and the error; the receiver still retries.
   */
  onError?(message: string, error: Error | undefined): void;
  /**
   * Records (lines) per second: when the limit binds, the bytes past the last line allowed are
   * held (one chunk at most) and the socket is not read until permits accrue, so TCP slows the
   * sender; nothing read is dropped.
   */
  rateLimiter?: RateLimiter;
}

/** What a receiver has done so far. All counters are monotonic. */
export interface ReceiverStats {
  /** A connection is open right now. */
  connected: boolean;
  /** Successful connects, reconnects included. */
  connects: number;
  /** Lines handed to the builder (from `builder.stats`). */
  lines: number;
  /** Line bytes kept, terminators excluded (from `builder.stats`). */
  bytes: number;
  /** Lines cut at the builder's `maxLineBytes` (from `builder.stats`). */
  truncatedLines: number;
  /** Times reading paused because unprocessed lines filled the buffer (backpressure). */
  pauses: number;
  /** Connections that broke with an error (a reset) rather than a clean end of stream. */
  resets: number;
  /** Successful connects after the first. */
  reconnects: number;
  /** Unterminated lines dropped because their connection broke (a reset) mid-line. */
  droppedPartialLines: number;
  /** Lines that are not valid UTF-8 (kept; tasks decode them with U+FFFD). Counted as batches are cut. */
  invalidUtf8Lines: number;
}

/**
 * Spark's `socketTextStream` receiver: a TCP client that connects to `host:port` and feeds the
 * bytes it reads, undecoded, through a {@link LineSplitter} into a {@link LineBatchBuilder}. The
 * engine cuts batches from the builder; this class only writes to it.
 *
 * Like Spark's receiver it is meant to outlive its server: a refused connection or a connection the
 * server closes is retried with exponential backoff until {@link SocketReceiver.stop}.
 */
export class SocketReceiver {
  readonly #host: string;
  readonly #port: number;
  readonly #builder: LineBatchBuilder;
  readonly #initialDelay: number;
  readonly #maxDelay: number;
  #delay: number;
  #socket: net.Socket | undefined;
  #timer: NodeJS.Timeout | undefined;
  #started = false;
  #stopping: Promise<void> | undefined;
  #connected = false;
  #connects = 0;
  #failures = 0; // failed attempts in the current streak; reset by a successful connect
  readonly #backpressure: SocketReceiverOptions['backpressure'];
  readonly #onError: SocketReceiverOptions['onError'];
  #paused = 0; // times reading was paused for backpressure
  #resets = 0;
  #unsubscribe: (() => void) | undefined;
  readonly #limiter: RateLimiter | undefined;
  /** Bytes read past the rate limit, waiting for permits; the socket is paused meanwhile. */
  #held: { socket: net.Socket; splitter: LineSplitter; rest: Buffer } | undefined;
  #heldTimer: NodeJS.Timeout | undefined;

  constructor(host: string, port: number, builder: LineBatchBuilder, opts: SocketReceiverOptions = {}) {
    // A bad port is a programming error, and net.connect would throw it synchronously later.
    if (!Number.isInteger(port) || port <= 0 || port > 65535) {
      throw new IllegalArgumentError(`socket receiver: port must be an integer in 1..65535, got ${port}`);
    }
    this.#host = host;
    this.#port = port;
    this.#builder = builder;
    this.#initialDelay = Math.max(1, opts.initialDelayMs ?? 100);
    this.#maxDelay = Math.max(this.#initialDelay, opts.maxDelayMs ?? 5000);
    this.#delay = this.#initialDelay;
    this.#backpressure = opts.backpressure;
    this.#onError = opts.onError;
    this.#limiter = opts.rateLimiter;
  }

  /** Begins connecting. Network failures are retried, never thrown. Calling it again is a no-op. */
  start(): void {
    if (this.#started || this.#stopping) return;
    this.#started = true;
    this.#unsubscribe = this.#backpressure?.onDrain(() => {
      const socket = this.#socket;
      if (socket?.isPaused() && this.#mayRead()) socket.resume();
    });
    this.#connect();
  }

  /**
   * Closes the connection and cancels any pending reconnect. Resolves once the socket is closed
   * (a line in progress is emitted first). Idempotent: every call returns the same promise.
   */
  stop(): Promise<void> {
    if (this.#stopping) return this.#stopping;
    this.#unsubscribe?.();
    clearTimeout(this.#timer);
    this.#timer = undefined;
    clearTimeout(this.#heldTimer);
    const socket = this.#socket;
    this.#stopping =
      socket && !socket.closed
        ? new Promise<void>((resolve) => {
            socket.once('close', () => resolve());
            socket.destroy();
          })
        : Promise.resolve();
    return this.#stopping;
  }

  /** Connection state plus the builder's line counters. */
  get stats(): ReceiverStats {
    const s = this.#builder.stats;
    return {
      connected: this.#connected,
      connects: this.#connects,
      lines: s.lines,
      bytes: s.bytes,
      truncatedLines: s.truncatedLines,
      pauses: this.#paused,
      resets: this.#resets,
      reconnects: Math.max(0, this.#connects - 1),
      droppedPartialLines: s.droppedLines,
      invalidUtf8Lines: s.invalidUtf8Lines,
    };
  }

  #connect(): void {
    this.#timer = undefined;
    if (this.#stopping) return;
    const where = `${this.#host}:${this.#port}`;
    // A fresh splitter per connection: a `\r` that ended the last connection must not swallow a
    // `\n` that starts the next one.
    const splitter = new LineSplitter(this.#builder);
    const socket = net.connect({ host: this.#host, port: this.#port, noDelay: true });
    this.#socket = socket;
    let wasConnected = false;
    let lastError: Error | undefined;

    socket.on('connect', () => {
      wasConnected = true;
      this.#connected = true;
      this.#connects++;
      log.info(`socket receiver: connected to ${where}` + (this.#failures ? ` after ${this.#failures} failed attempts` : ''));
      this.#failures = 0;
      this.#delay = this.#initialDelay;
    });
    // Buffers go straight into the splitter: bytes are decoded later, by the tasks that read them.
    socket.on('data', (chunk: Buffer) => this.#receive(socket, splitter, chunk));
    // Without an 'error' listener a refused or reset connection would crash the process; the
    // 'close' that always follows decides what to do.
    socket.on('error', (err) => {
      lastError = err;
    });
    socket.on('close', () => {
      // A clean end of stream counts its final unterminated line, as Spark's readLine does (and so
      // does stop()). A connection that broke (a reset) was cut mid-line: what arrived of that
      // line is not a record, and Spark's receiver drops what it was reading too. Either way the
      // line is closed here, so the next connection's first bytes start a line of their own.
      // Bytes held back by the rate limit were read, so they go in first: nothing accepted is
      // dropped.
      if (this.#held?.socket === socket) {
        clearTimeout(this.#heldTimer);
        splitter.write(this.#held.rest);
        this.#held = undefined;
      }
      if (wasConnected && lastError && !this.#stopping) {
        this.#resets++;
        splitter.abort();
      } else {
        splitter.end();
      }
      this.#connected = false;
      if (this.#socket === socket) this.#socket = undefined;
      if (this.#stopping) return;
      if (wasConnected) {
        const why = lastError ? `failed (${lastError.message})` : 'closed by the server';
        log.info(`socket receiver: connection to ${where} ${why}; reconnecting`);
        this.#onError?.(`connection to ${where} ${lastError ? 'failed' : 'closed by the server'}`, lastError);
      } else {
        this.#failures++;
        if (this.#failures === 1) this.#onError?.(`cannot connect to ${where}`, lastError);
        const msg = `socket receiver: cannot connect to ${where} (${lastError?.message ?? 'closed'})`;
        // One warning per failed streak; the retries that follow only at debug level.
        if (this.#failures === 1) log.warn(`${msg}; retrying with backoff up to ${this.#maxDelay} ms`);
        else log.debug(`${msg}; attempt ${this.#failures}, next in ${this.#delay} ms`);
      }
      this.#timer = setTimeout(() => this.#connect(), this.#delay);
      if (!wasConnected) this.#delay = Math.min(this.#delay * 2, this.#maxDelay);
    });
  }

  /** Whether the socket may be read: nothing held for the rate limit, and memory not full. */
  #mayRead(): boolean {
    return this.#held === undefined && !this.#backpressure?.isFull();
  }

  #receive(socket: net.Socket, splitter: LineSplitter, chunk: Buffer): void {
    const rest = this.#admit(splitter, chunk);
    if (rest) {
      this.#held = { socket, splitter, rest };
      socket.pause();
      this.#waitForPermits();
    } else if (this.#backpressure?.isFull()) {
      socket.pause();
      this.#paused++;
    }
  }

  /**
   * Writes the part of `chunk` the rate limit allows (whole lines; a trailing unfinished line
   * costs nothing yet) and returns the rest, if any.
   */
  #admit(splitter: LineSplitter, chunk: Buffer): Buffer | undefined {
    const limiter = this.#limiter;
    if (!limiter?.limited) {
      splitter.write(chunk);
      return undefined;
    }
    const ends = countLineEnds(chunk);
    const granted = limiter.take(ends);
    if (granted === ends) {
      splitter.write(chunk);
      return undefined;
    }
    const cut = afterLineEnd(chunk, granted);
    if (cut > 0) splitter.write(chunk.subarray(0, cut));
    return chunk.subarray(cut);
  }

  #waitForPermits(): void {
    const held = this.#held!;
    const limiter = this.#limiter!;
    // Wake for a useful amount: the held lines, or about 1/20 s worth of them.
    const want = Math.max(1, Math.min(countLineEnds(held.rest), Math.floor(limiter.rate / 20)));
    this.#heldTimer = setTimeout(() => {
      if (this.#held !== held || this.#stopping) return;
      this.#held = undefined;
      const rest = this.#admit(held.splitter, held.rest);
      if (rest) {
        this.#held = { ...held, rest };
        return this.#waitForPermits();
      }
      if (this.#mayRead()) held.socket.resume();
    }, limiter.waitMs(want));
  }
}

const LF = 0x0a;
const CR = 0x0d;

/** Line ends in `b`: `\n`, `\r\n` (once) and a lone `\r`, as the LineSplitter cuts. */
function countLineEnds(b: Buffer): number {
  let n = 0;
  if (b.indexOf(CR) === -1) {
    for (let i = b.indexOf(LF); i !== -1; i = b.indexOf(LF, i + 1)) n++;
    return n;
  }
  for (let i = 0; i < b.length; i++) {
    if (b[i] === LF || (b[i] === CR && b[i + 1] !== LF)) n++;
  }
  return n;
}

/** The offset just past the `k`-th line end of `b` (0 for k = 0). */
function afterLineEnd(b: Buffer, k: number): number {
  let n = 0;
  if (k > 0 && b.indexOf(CR) === -1) {
    for (let i = b.indexOf(LF); i !== -1; i = b.indexOf(LF, i + 1)) if (++n === k) return i + 1;
    return b.length;
  }
  for (let i = 0; i < b.length && n < k; i++) {
    if (b[i] === LF || (b[i] === CR && b[i + 1] !== LF)) {
      if (++n === k) return i + 1;
    }
  }
  return b.length;
}

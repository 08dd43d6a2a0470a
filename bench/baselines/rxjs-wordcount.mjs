/**
 * The micro-batch WordCount a Node user reaches for without chispa: RxJS over readline, one thread.
 *
 *   node bench/baselines/rxjs-wordcount.mjs HOST PORT BATCH_SECONDS stateless|stateful
 *
 * `fromEvent(readline, 'line')` → `bufferTime(batch)` → per buffer, split(' ') and count into a
 * fresh Map (stateless: the buffer's counts, summed for the word total, then dropped); stateful
 * also merges that Map into a running Map (the `updateStateByKey` equivalent). Prints one JSON
 * line when the stream completes (readline's 'close', the last buffer counted): `ms` from the
 * socket's 'connect', `batches.p50/p99ProcessingMs` (time spent counting each non-empty buffer),
 * `maxSchedulingDelayMs` (how late a buffer was emitted after its interval ended, i.e. how long
 * the busy thread held the timer back), `series` `[ms since t0, processing ms, lines]` per buffer.
 */
import net from 'node:net';
import readline from 'node:readline';
import { bufferTime, fromEvent, takeUntil } from 'rxjs';

const [host = '127.0.0.1', port = '9999', batchArg = '0.25', mode = 'stateless'] = process.argv.slice(2);
const batchMs = Number(batchArg) * 1000;
const socket = net.connect({ host, port: Number(port) });
const rl = readline.createInterface({ input: socket, crlfDelay: Infinity });
const running = new Map();
let t0 = 0, lines = 0, words = 0, lastEmit = 0, maxLate = 0;
const series = [];
socket.on('connect', () => (t0 = lastEmit = performance.now()));

fromEvent(rl, 'line').pipe(takeUntil(fromEvent(rl, 'close')), bufferTime(batchMs)).subscribe({
  next(buffer) {
    const start = performance.now();
    maxLate = Math.max(maxLate, start - lastEmit - batchMs);
    lastEmit = start;
    if (buffer.length === 0) return;
    const counts = new Map();
    for (const line of buffer) {
      for (const word of line.split(' ')) counts.set(word, (counts.get(word) ?? 0) + 1);
    }
    lines += buffer.length;
    if (mode === 'stateful') {
      for (const [w, c] of counts) running.set(w, (running.get(w) ?? 0) + c);
    } else {
      for (const c of counts.values()) words += c;
    }
    series.push([Math.round(start - t0), performance.now() - start, buffer.length]);
  },
  complete() {
    const ms = performance.now() - t0;
    if (mode === 'stateful') for (const c of running.values()) words += c;
    const processing = series.map((s) => s[1]).sort((a, b) => a - b);
    const pct = (q) => (processing.length ? processing[Math.min(processing.length - 1, Math.ceil(q * processing.length) - 1)] : null);
    console.log(JSON.stringify({
      lines, words, distinct: mode === 'stateful' ? running.size : null, ms,
      batches: { count: series.length, p50ProcessingMs: pct(0.5), p99ProcessingMs: pct(0.99), maxSchedulingDelayMs: Math.max(0, maxLate) },
      series, maxRssKB: process.resourceUsage().maxRSS,
    }));
  },
});

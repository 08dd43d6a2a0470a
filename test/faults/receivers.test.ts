import net from 'node:net';
import { afterEach, describe, expect } from 'vitest';
import { ManualClock, SparkContext, StreamingContext, type ReceiverInfo, type SocketInputDStream } from '../../src/index.js';
import { sorted, waitFor } from '../helpers/streaming.js';
import { faultCase } from './fault-case.js';
import { captureLogs } from './log-capture.js';

const logs = captureLogs();
const servers: net.Server[] = [];
afterEach(() => {
  for (const s of servers.splice(0)) s.close();
});

/** A TCP server on 127.0.0.1 whose n-th connection (from 0) is handed to `serve[n]`. */
async function server(serve: ((socket: net.Socket) => void)[]): Promise<number> {
  let n = 0;
  const srv = net.createServer((socket) => {
    socket.on('error', () => {}); // the reset this side sends comes back as ECONNRESET
    (serve[n++] ?? (() => {}))(socket); // connections past the list stay open and silent
  });
  servers.push(srv);
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  return (srv.address() as net.AddressInfo).port;
}

/** A socket word stream on a manual clock; `batch()` cuts one batch and returns its lines. */
function socketLines(port: number, maxLineBytes?: number) {
  const sc = new SparkContext({ master: 'local' });
  const clock = new ManualClock(0);
  const ssc = new StreamingContext(sc, 1, { clock });
  const lines = ssc.socketTextStream('127.0.0.1', port, { initialDelayMs: 5, maxDelayMs: 20, ...(maxLineBytes ? { maxLineBytes } : {}) }) as SocketInputDStream;
  const batches: string[][] = [];
  lines.foreachRDD(async (rdd) => void batches.push(await rdd.collect()));
  const errors: ReceiverInfo[] = [];
  ssc.addStreamingListener({ onReceiverError: (r) => void errors.push(r) });
  ssc.start();
  return {
    ssc,
    lines,
    errors,
    async batch(): Promise<string[]> {
      const n = batches.length + 1;
      clock.advance(1000);
      await waitFor(() => batches.length >= n, `batch ${n}`);
      return batches[n - 1];
    },
  };
}

describe('socket receiver anomalies', () => {
  faultCase(
    { fault: 'a connection reset (RST) in the middle of a line, then a reconnect that ends cleanly mid-line', survives: 'every complete line, and the last line of the clean end; the cut line is dropped', oracle: 'the lines the server sent whole' },
    async () => {
      let reset: net.Socket | undefined;
      const port = await server([
        (s) => {
          reset = s;
          s.write('a\nb\npartial');
        },
        (s) => s.end('c\nlast'),
      ]);
      const run = socketLines(port);
      try {
        await waitFor(() => run.lines.receiverStats().lines === 2, 'the first connection’s lines');
        reset!.resetAndDestroy();
        await waitFor(() => run.lines.receiverStats().lines === 4, 'the second connection’s lines');
        const got = await run.batch();
        expect(sorted(got)).toEqual(['a', 'b', 'c', 'last']);
        // After the clean end the receiver reconnects once more (to a silent connection).
        await waitFor(() => run.lines.receiverStats().reconnects === 2, 'the third connection');
        expect(run.lines.receiverStats()).toMatchObject({ resets: 1, reconnects: 2, droppedPartialLines: 1, lines: 4, truncatedLines: 0, invalidUtf8Lines: 0 });
        // The listener hears of the reset with the counters as they stood.
        expect(run.errors[0].lastErrorMessage).toMatch(/^connection to 127\.0\.0\.1:\d+ failed$/);
        expect(run.errors[0].stats).toMatchObject({ resets: 1, droppedPartialLines: 1, lines: 2 });
        return { expected: 4, got: got.length };
      } finally {
        await run.ssc.stop();
      }
    },
  );

  faultCase(
    { fault: 'invalid UTF-8 bytes, a line cut at maxLineBytes and a server that closes cleanly', survives: 'every line, decoded with U+FFFD, counted as anomalies', oracle: 'the lines sent; receiverStats counters' },
    async () => {
      const bytes = Buffer.concat([Buffer.from('ok\n'), Buffer.from([0xff, 0xfe, 0x20, 0x62, 0x0a]), Buffer.from([0xe2, 0x82, 0x0a]), Buffer.from('0123456789abcdef\nñandú')]);
      const port = await server([(s) => s.end(bytes)]);
      const run = socketLines(port, 8);
      try {
        await waitFor(() => run.lines.receiverStats().lines === 5, 'the lines');
        const got = await run.batch();
        expect(got).toEqual(['ok', '\uFFFD\uFFFD b', '\uFFFD', '01234567', 'ñandú']);
        await waitFor(() => run.lines.receiverStats().reconnects === 1, 'the reconnect after the clean end');
        expect(run.lines.receiverStats()).toMatchObject({ invalidUtf8Lines: 2, truncatedLines: 1, resets: 0, droppedPartialLines: 0 });
        expect(logs.lines.filter((l) => /WARN chispa: socketTextStream .*a line longer than 8 bytes was cut to 8 bytes/.test(l))).toHaveLength(1);
        return { expected: 5, got: got.length };
      } finally {
        await run.ssc.stop();
      }
    },
  );
});

import net from 'node:net';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deserialize } from 'node:v8';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { IllegalStateError, ManualClock, Receiver, SparkContext, StreamingContext, type ReceiverInfo } from '../src/index.js';
import { unframe } from '../src/checkpoint/frame.js';
import { captureStderr } from './helpers/stderr.js';
import { sorted, waitFor } from './helpers/streaming.js';

// Spark's Receiver API (ReceiverSuite's "receiver life cycle", a receiver that fails and is
// restarted, and reliable receivers whose acknowledgements follow store and the write-ahead log),
// run through ssc.receiverStream on real worker threads.

/** Spark's FakeReceiver: a loop that stores a counter while not stopped. */
class FakeReceiver extends Receiver<number> {
  onStartCalls = 0;
  onStopCalls = 0;
  receiving = false;
  #timer: NodeJS.Timeout | undefined;
  onStart() {
    this.onStartCalls++;
    this.receiving = true;
    this.#timer = setInterval(() => {
      if (this.isStopped()) this.receiving = false;
    }, 5);
  }
  onStop() {
    this.onStopCalls++;
    clearInterval(this.#timer);
    this.receiving = false;
  }
}

/**
 * A source that keeps each message until a receiver acknowledges it, as a queue broker does: the
 * test pushes blocks, `take` hands them out, `ack` records the acknowledgement.
 */
class AckSource {
  readonly acked: string[][] = [];
  #queue: string[][] = [];
  #wake: (() => void) | undefined;
  push(block: string[]) {
    this.#queue.push(block);
    this.#wake?.();
  }
  async take(stopped: () => boolean): Promise<string[] | undefined> {
    while (this.#queue.length === 0) {
      if (stopped()) return undefined;
      await new Promise<void>((r) => (this.#wake = r));
    }
    return this.#queue.shift();
  }
  wakeUp() {
    this.#wake?.();
  }
}

/** A reliable receiver: stores each block, and acknowledges it only once `store` resolved. */
class ReliableReceiver extends Receiver<string> {
  constructor(
    readonly source: AckSource,
    readonly onAck: (block: string[]) => void = () => {},
  ) {
    super();
  }
  onStart() {
    void (async () => {
      for (let block; (block = await this.source.take(() => this.isStopped())); ) {
        await this.store(block);
        this.onAck(block);
        this.source.acked.push(block);
      }
    })();
  }
  onStop() {
    this.source.wakeUp();
  }
}

type Event = [string, boolean, string];
const events = (ssc: StreamingContext): Event[] => {
  const out: Event[] = [];
  const note = (name: string) => (i: ReceiverInfo) => void out.push([name, i.active, i.lastErrorMessage]);
  ssc.addStreamingListener({ onReceiverStarted: note('started'), onReceiverError: note('error'), onReceiverStopped: note('stopped') });
  return out;
};

describe('Receiver API', () => {
  let sc: SparkContext;
  let dir: string;
  beforeAll(() => {
    sc = new SparkContext({ master: 'local[2]' });
  });
  afterAll(() => sc.stop());
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'chispa-receiver-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('runs a receiver through its life cycle: start, store, reportError, restart, stop (Spark\'s ReceiverSuite)', async () => {
    const receiver = new FakeReceiver();
    expect(receiver.isStarted()).toBe(false);
    expect(() => receiver.store(1)).toThrow(IllegalStateError);
    const clock = new ManualClock(0);
    const ssc = new StreamingContext(sc, 1, { clock });
    const got: number[][] = [];
    ssc.receiverStream(receiver).foreachRDD(async (rdd) => void got.push(await rdd.collect()));
    const seen = events(ssc);
    const stderr = await captureStderr(async () => {
      ssc.start();
      try {
        expect(receiver.onStartCalls).toBe(1);
        expect(receiver.isStarted()).toBe(true);
        expect(receiver.isStopped()).toBe(false);
        expect(receiver.streamId).toBe(0);

        await receiver.store(1);
        await receiver.store([2, 3]);
        clock.advance(1000);
        await waitFor(() => got.length === 1, 'first batch');
        expect(got[0].sort()).toEqual([1, 2, 3]);

        receiver.reportError('Error', new Error('boom'));
        expect(seen.at(-1)).toEqual(['error', true, 'Error']);

        receiver.restart('restarting', undefined, 50);
        expect(receiver.isStopped()).toBe(true);
        await waitFor(() => receiver.onStopCalls === 1, 'onStop on restart');
        await waitFor(() => receiver.onStartCalls === 2 && receiver.isStarted() && receiver.receiving, 'start again');
        expect(receiver.isStopped()).toBe(false);

        receiver.stop('test');
        await waitFor(() => receiver.onStopCalls === 2, 'onStop on stop');
        expect(receiver.isStopped()).toBe(true);
        await waitFor(() => !receiver.receiving, 'loop to end');
      } finally {
        await ssc.stop(false);
      }
    });
    expect(stderr).toMatch(/WARN.*reported an error: Error: boom/);
    expect(stderr).toMatch(/WARN.*restarting receiver FakeReceiver-0 in 50 ms: restarting/);
    expect(seen).toEqual([
      ['started', true, ''],
      ['error', true, 'Error'],
      ['stopped', false, 'Restarting receiver with delay 50 ms: restarting'],
      ['started', true, 'Restarting receiver with delay 50 ms: restarting'],
      ['stopped', false, 'Restarting receiver with delay 50 ms: restarting'],
    ]);
    // Stopped for good: the context's stop neither restarts nor stops it again.
    expect(receiver.onStartCalls).toBe(2);
    expect(receiver.onStopCalls).toBe(2);
  });

  it('restarts a receiver whose onStart throws, and one that asks to after its source failed; nothing stored is lost', async () => {
    /** Fails in onStart the first time; later its source breaks after the third record. */
    class Flaky extends Receiver<string> {
      starts = 0;
      #timer: NodeJS.Timeout | undefined;
      onStart() {
        this.starts++;
        if (this.starts === 1) throw new Error('cannot open the source');
        let n = 0;
        const run = this.starts;
        this.#timer = setInterval(() => {
          if (run === 2 && n === 3) {
            clearInterval(this.#timer);
            this.restart('source broke', new Error('ECONNRESET'), 20);
            return;
          }
          if (n === 5) return void clearInterval(this.#timer);
          void this.store(`run${run}-${n++}`);
        }, 2);
      }
      onStop() {
        clearInterval(this.#timer);
      }
    }
    const receiver = new Flaky();
    const clock = new ManualClock(0);
    const ssc = new StreamingContext(sc, 1, { clock });
    const stream = ssc.receiverStream(receiver, { restartDelayMs: 20 });
    const got: string[] = [];
    stream.map((s) => s.toUpperCase()).foreachRDD(async (rdd) => void got.push(...(await rdd.collect())));
    const seen = events(ssc);
    let batches = 0;
    ssc.addStreamingListener({ onBatchCompleted: () => void batches++ });
    const stderr = await captureStderr(async () => {
      ssc.start();
      try {
        await waitFor(() => stream.receiverStats().records === 8, 'records of both runs');
        clock.advance(1000);
        await waitFor(() => batches === 1, 'batch');
      } finally {
        await ssc.stop(false);
      }
    });
    expect(receiver.starts).toBe(3);
    expect(sorted(got)).toEqual(['RUN2-0', 'RUN2-1', 'RUN2-2', 'RUN3-0', 'RUN3-1', 'RUN3-2', 'RUN3-3', 'RUN3-4']);
    expect(seen.map(([e, , m]) => [e, m])).toEqual([
      ['started', ''],
      ['stopped', 'Restarting receiver with delay 20 ms: Error starting receiver 0'],
      ['started', 'Restarting receiver with delay 20 ms: Error starting receiver 0'],
      ['stopped', 'Restarting receiver with delay 20 ms: source broke'],
      ['started', 'Restarting receiver with delay 20 ms: source broke'],
      ['stopped', 'Restarting receiver with delay 20 ms: source broke'],
    ]);
    expect(stderr).toMatch(/WARN.*restarting receiver Flaky-0 in 20 ms: Error starting receiver 0: cannot open the source/);
    expect(stderr).toMatch(/WARN.*restarting receiver Flaky-0 in 20 ms: source broke: ECONNRESET/);
  });

  it('a reliable receiver acknowledges a block once it is stored; past maxBufferedRecords, only after a batch took what was waiting', async () => {
    const source = new AckSource();
    const clock = new ManualClock(0);
    const ssc = new StreamingContext(sc, 1, { clock });
    const stream = ssc.receiverStream(new ReliableReceiver(source), { maxBufferedRecords: 4 });
    const got: string[][] = [];
    stream.foreachRDD(async (rdd) => void got.push(sorted(await rdd.collect())));
    ssc.start();
    try {
      source.push(['a', 'b']);
      source.push(['c', 'd']);
      await waitFor(() => source.acked.length === 2, 'first two blocks acknowledged');
      source.push(['e']);
      // The store holds 4 unprocessed records: the third block waits for the next batch.
      await new Promise((r) => setImmediate(r));
      expect(source.acked.length).toBe(2);
      expect(stream.receiverStats().records).toBe(4);
      clock.advance(1000);
      await waitFor(() => source.acked.length === 3, 'third block acknowledged after the batch');
      clock.advance(1000);
      await waitFor(() => got.length === 2, 'two batches');
      expect(got).toEqual([['a', 'b', 'c', 'd'], ['e']]);
    } finally {
      await ssc.stop(false);
    }
  });

  it('with the write-ahead log, a block is logged before it is acknowledged, and a crash loses no acknowledged record nor counts one twice', async () => {
    const sum = (vs: number[], s: number | null) => vs.reduce((a, b) => a + b, 0) + (s ?? 0);
    const walFiles = () => readdirSync(join(dir, 'wal'), { recursive: true, withFileTypes: true }).filter((f) => f.isFile() && f.name.endsWith('.wal'));
    const logged = () => walFiles().flatMap((f) => deserialize((unframe(readFileSync(join(f.parentPath, f.name))) as { payload: Uint8Array }).payload) as string[]);
    const counts: [string, number][][] = [];
    const setup = (source: AckSource, clock: ManualClock, onAck?: (b: string[]) => void) => () => {
      const ssc = new StreamingContext(sc, 1, { clock, writeAheadLog: true });
      ssc.checkpoint(dir);
      ssc.receiverStream(new ReliableReceiver(source, onAck))
        .map((w) => [w, 1] as [string, number])
        .updateStateByKey(sum)
        .checkpoint(1)
        .foreachRDD(async (rdd) => void counts.push(sorted(await rdd.collect())));
      return ssc;
    };

    // Run 1: each acknowledgement finds its block in the log; one batch runs and is checkpointed,
    // then more blocks are acknowledged and the program dies before a batch takes them.
    const source1 = new AckSource();
    const clock1 = new ManualClock(0);
    const ackedButNotLogged: string[][] = [];
    const ssc1 = StreamingContext.getOrCreate(dir, setup(source1, clock1, (block) => {
      const inLog = logged();
      if (!block.every((w) => inLog.includes(w))) ackedButNotLogged.push(block);
    }));
    let done1 = 0;
    ssc1.addStreamingListener({ onBatchCompleted: () => void done1++ });
    ssc1.start();
    try {
      source1.push(['a', 'b', 'a']);
      source1.push(['c']);
      await waitFor(() => source1.acked.length === 2, 'run 1: blocks acknowledged');
      clock1.advance(1000);
      await waitFor(() => done1 === 1, 'run 1: batch');
      await waitFor(() => readdirSync(dir).some((n) => n.startsWith('checkpoint-1000')), 'checkpoint of batch 1000');
      source1.push(['a', 'd']);
      source1.push(['d']);
      await waitFor(() => source1.acked.length === 4, 'run 1: later blocks acknowledged');
    } finally {
      await ssc1.stop(false); // no graceful stop: the last two blocks never reach a batch
    }
    expect(ackedButNotLogged).toEqual([]);
    expect(counts).toEqual([[['a', 2], ['b', 1], ['c', 1]]]);
    // The checkpoint covers batch 1000: only the unbatched blocks remain logged.
    expect(sorted(logged())).toEqual(['a', 'd', 'd']);

    // Run 2: recovered from the checkpoint, the logged blocks are replayed into the first batch.
    const clock2 = new ManualClock(1000);
    const ssc2 = StreamingContext.getOrCreate(dir, setup(new AckSource(), clock2));
    let done2 = 0;
    ssc2.addStreamingListener({ onBatchCompleted: () => void done2++ });
    ssc2.start();
    try {
      clock2.advance(1000);
      await waitFor(() => done2 === 1, 'run 2: batch');
    } finally {
      await ssc2.stop(false);
    }
    expect(counts[1]).toEqual([['a', 3], ['b', 1], ['c', 1], ['d', 2]]);
  });

  it('socketTextStream runs on the Receiver API: restart() reconnects, store(lines) adds lines, listeners see both', async () => {
    const clients: net.Socket[] = [];
    const server = net.createServer((c) => clients.push(c));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const clock = new ManualClock(0);
    const ssc = new StreamingContext(sc, 1, { clock });
    const lines = ssc.socketTextStream('127.0.0.1', (server.address() as net.AddressInfo).port);
    const got: string[][] = [];
    lines.foreachRDD(async (rdd) => void got.push(sorted(await rdd.collect())));
    const seen = events(ssc);
    const stderr = await captureStderr(async () => {
      ssc.start();
      try {
        await waitFor(() => clients.length === 1, 'first connection');
        const receiver = lines.receiver!;
        expect(receiver).toBeInstanceOf(Receiver);
        expect(receiver.name).toBe('SocketReceiver-0');
        clients[0].write('a b\n');
        await waitFor(() => lines.receiverStats().lines === 1, 'first line');
        receiver.restart('reconnect, please', undefined, 10);
        await waitFor(() => clients.length === 2 && receiver.isStarted(), 'second connection');
        clients[1].write('c\n');
        await receiver.store(['d', 'e f']);
        await waitFor(() => lines.receiverStats().lines === 4, 'the line of the second connection');
        clock.advance(1000);
        await waitFor(() => got.length === 1, 'batch');
      } finally {
        await ssc.stop(false);
        for (const c of clients) c.destroy();
        server.close();
      }
    });
    expect(got[0]).toEqual(['a b', 'c', 'd', 'e f']);
    expect(seen.map(([e, active]) => [e, active])).toEqual([
      ['started', true],
      ['stopped', false],
      ['started', true],
      ['stopped', false],
    ]);
    expect(stderr).toMatch(/WARN.*restarting receiver SocketReceiver-0 in 10 ms: reconnect, please/);
  });

  it('receiver.maxRate bounds what a custom receiver stores: 300 records at 1000/s take at least 0.25 s', async () => {
    const source = new AckSource();
    const ssc = new StreamingContext(sc, 1, { clock: new ManualClock(0), receiver: { maxRate: 1000 } });
    const stream = ssc.receiverStream(new ReliableReceiver(source));
    stream.foreachRDD(() => {});
    ssc.start();
    try {
      expect(stream.currentRateLimit).toBe(1000);
      const t0 = performance.now();
      source.push(Array.from({ length: 300 }, (_, i) => `r${i}`));
      await waitFor(() => source.acked.length === 1, 'the block stored');
      // A lower bound only: the limiter cannot let 300 records through faster than 1000 a second.
      expect(performance.now() - t0).toBeGreaterThanOrEqual(250);
      expect(stream.receiverStats().records).toBe(300);
    } finally {
      await ssc.stop(false);
    }
  });
});

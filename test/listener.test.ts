import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import {
  BatchInfo,
  type DStream,
  ManualClock,
  OutputOperationInfo,
  SparkContext,
  StreamingContext,
  type ReceiverInfo,
  type StreamingListener,
} from '../src/index.js';
import { waitFor } from './helpers/streaming.js';
import { captureStderr } from './helpers/stderr.js';

// Ported from Spark's StreamingListenerSuite, plus every callback in order for a socket job.

let sc: SparkContext | undefined;
afterEach(async () => {
  await sc?.stop();
  sc = undefined;
});

/** Spark's BatchInfoCollector, plus output operations. */
class Collector implements StreamingListener {
  submitted: BatchInfo[] = [];
  started: BatchInfo[] = [];
  completed: BatchInfo[] = [];
  opsStarted: OutputOperationInfo[] = [];
  opsCompleted: OutputOperationInfo[] = [];
  onBatchSubmitted(i: BatchInfo) {
    this.submitted.push(i);
  }
  onBatchStarted(i: BatchInfo) {
    this.started.push(i);
  }
  onBatchCompleted(i: BatchInfo) {
    this.completed.push(i);
  }
  onOutputOperationStarted(i: OutputOperationInfo) {
    this.opsStarted.push(i);
  }
  onOutputOperationCompleted(i: OutputOperationInfo) {
    this.opsCompleted.push(i);
  }
}

const increasing = (xs: number[]) => xs.every((x, i) => i === 0 || xs[i - 1] <= x);

/** A manual-clock context over a queue of one-record batches; `build` adds outputs. */
async function runQueue(n: number, build: (ssc: StreamingContext, input: DStream<number>) => void, listener: StreamingListener) {
  sc = new SparkContext({ master: 'local' });
  const clock = new ManualClock(0);
  const ssc = new StreamingContext(sc, 0.1, { clock });
  const input = ssc.queueStream<number>(Array.from({ length: n }, (_, i) => [i + 1]));
  build(ssc, input);
  const done: BatchInfo[] = [];
  ssc.addStreamingListener(listener);
  ssc.addStreamingListener({ onBatchCompleted: (i) => void done.push(i) });
  // Failed batches log an ERROR line when nobody awaits termination: kept for the test to assert.
  const stderr = await captureStderr(async () => {
    ssc.start();
    for (let i = 1; i <= n; i++) {
      clock.advance(100);
      await waitFor(() => done.length >= i, `batch ${i}`);
    }
    await ssc.stop(false);
  });
  return Object.assign(ssc, { stderr });
}

describe('StreamingListener (Spark StreamingListenerSuite)', () => {
  it('batch info reporting', async () => {
    const c = new Collector();
    await runQueue(4, (_ssc, input) => input.map((x) => x).foreachRDD((rdd) => rdd.count().then(() => undefined)), c);

    expect(c.submitted).toHaveLength(4);
    for (const info of c.submitted) {
      expect(info).toBeInstanceOf(BatchInfo);
      expect(info.schedulingDelay).toBeUndefined();
      expect(info.processingDelay).toBeUndefined();
      expect(info.totalDelay).toBeUndefined();
      expect(info.numRecords).toBe(1);
      expect([...info.streamIdToInputInfo]).toEqual([[0, { inputStreamId: 0, numRecords: 1, metadata: {} }]]);
    }
    expect(increasing(c.submitted.map((i) => i.submissionTime))).toBe(true);

    expect(c.started).toHaveLength(4);
    for (const info of c.started) {
      expect(info.schedulingDelay).toBeGreaterThanOrEqual(0);
      expect(info.processingDelay).toBeUndefined();
      expect(info.totalDelay).toBeUndefined();
      expect(info.numRecords).toBe(1);
    }
    expect(increasing(c.started.map((i) => i.processingStartTime!))).toBe(true);

    expect(c.completed).toHaveLength(4);
    for (const info of c.completed) {
      expect(info.schedulingDelay).toBeGreaterThanOrEqual(0);
      expect(info.processingDelay).toBeGreaterThanOrEqual(0);
      expect(info.totalDelay).toBe(info.schedulingDelay! + info.processingDelay!);
      expect(info.numRecords).toBe(1);
      expect(info.failures).toEqual([]);
    }
    expect(c.completed.map((i) => i.batchTime)).toEqual([100, 200, 300, 400]);
    expect(increasing(c.completed.map((i) => i.processingEndTime!))).toBe(true);
  });

  it('output operation reporting', async () => {
    const c = new Collector();
    await runQueue(
      2,
      (_ssc, input) => {
        input.foreachRDD(async () => {});
        input.map((x) => x * 2).foreachRDD(async () => {});
      },
      c,
    );
    expect(c.opsStarted.map((o) => [o.batchTime, o.id])).toEqual([[100, 0], [100, 1], [200, 0], [200, 1]]);
    expect(c.opsCompleted.map((o) => [o.batchTime, o.id])).toEqual([[100, 0], [100, 1], [200, 0], [200, 1]]);
    for (const o of c.opsStarted) {
      expect(o.startTime).toBeDefined();
      expect(o.endTime).toBeUndefined();
      expect(o.duration).toBeUndefined();
    }
    for (const o of c.opsCompleted) {
      expect(o.name).toBe('foreachRDD');
      // The call site in this file, as Spark's description.
      expect(o.description).toMatch(/listener\.test\.ts:\d+/);
      expect(o.endTime! - o.startTime!).toBe(o.duration);
      expect(o.failureReason).toBeUndefined();
    }
    expect([...c.completed[0].outputOperationInfos.keys()]).toEqual([0, 1]);
    // Submitted batches already list their operations, not started yet.
    expect([...c.submitted[0].outputOperationInfos.values()].map((o) => o.startTime)).toEqual([undefined, undefined]);
  });

  it('onBatchCompleted with successful batch', async () => {
    const c = new Collector();
    await runQueue(1, (_ssc, input) => input.foreachRDD((rdd) => rdd.count().then(() => undefined)), c);
    const reasons = [...c.completed[0].outputOperationInfos.values()].flatMap((o) => o.failureReason ?? []);
    expect(reasons).toEqual([]);
  });

  it('onBatchCompleted with failed batch and one failed job', async () => {
    const c = new Collector();
    const ssc = await runQueue(
      1,
      (_ssc, input) =>
        input.foreachRDD(() => {
          throw new Error('This is a failed job');
        }),
      c,
    );
    await expect(ssc.awaitTermination()).rejects.toThrow('This is a failed job');
    expect(ssc.stderr).toContain('ERROR chispa: batch failed: foreachRDD: This is a failed job');
    const ops = c.completed[0].outputOperationInfos;
    expect(ops.size).toBe(1);
    expect(ops.get(0)!.failureReason).toContain('This is a failed job');
    expect(c.completed[0].failures).toHaveLength(1);
  });

  it('onBatchCompleted with failed batch and multiple failed jobs', async () => {
    const c = new Collector();
    const ssc = await runQueue(
      1,
      (_ssc, input) => {
        input.foreachRDD(() => {
          throw new Error('This is a failed job');
        });
        input.foreachRDD(() => {
          throw new Error('This is another failed job');
        });
      },
      c,
    );
    await expect(ssc.awaitTermination()).rejects.toThrow('This is a failed job');
    expect(ssc.stderr).toContain('This is another failed job');
    const ops = c.completed[0].outputOperationInfos;
    expect([...ops.keys()]).toEqual([0, 1]);
    expect(ops.get(0)!.failureReason).toContain('This is a failed job');
    expect(ops.get(1)!.failureReason).toContain('This is another failed job');
  });

  it('a listener that throws is logged and the job goes on; removed listeners and a stopped context get no events', async () => {
    const c = new Collector();
    const removed = new Collector();
    const thrower: StreamingListener = {
      onBatchCompleted: () => {
        throw new Error('listener bug');
      },
    };
    const { stderr: err } = await runQueue(
      3,
      (ssc, input) => {
        ssc.addStreamingListener(thrower);
        ssc.addStreamingListener(removed);
        ssc.removeStreamingListener(removed);
        input.foreachRDD(async () => {});
      },
      c,
    );
    expect(c.completed.map((i) => i.batchTime)).toEqual([100, 200, 300]);
    expect(removed.submitted).toEqual([]);
    expect(err.match(/ERROR chispa: StreamingListener\.onBatchCompleted threw an exception \(the job goes on\): Error: listener bug/g)).toHaveLength(3);
    const after = c.submitted.length;
    // The context is stopped: nothing is posted any more.
    await new Promise((r) => setImmediate(r));
    expect(c.submitted.length).toBe(after);
  });
});

describe('every StreamingListener callback, in order, for a socket job whose receiver fails once', () => {
  it('streaming started, receiver started, receiver error (refused), batches with their output operations, receiver stopped', async () => {
    // A port nothing listens on yet: the receiver's first connect is refused.
    const probe = net.createServer();
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
    const port = (probe.address() as AddressInfo).port;
    await new Promise((r) => probe.close(r));

    sc = new SparkContext({ master: 'local[2]' });
    const clock = new ManualClock(0);
    const ssc = new StreamingContext(sc, 1, { clock });
    const lines = ssc.socketTextStream('127.0.0.1', port, { initialDelayMs: 20, maxDelayMs: 100 });
    const counted: number[] = [];
    lines.count().foreachRDD(async (rdd) => void counted.push(...(await rdd.collect())));
    const events: string[] = [];
    const receiverInfos: ReceiverInfo[] = [];
    const completed: BatchInfo[] = [];
    const record = (name: string, detail: string) => events.push(`${name} ${detail}`.trim());
    ssc.addStreamingListener({
      onStreamingStarted: (e) => record('onStreamingStarted', typeof e.time === 'number' ? '' : 'no time'),
      onReceiverStarted: (r) => (receiverInfos.push(r), record('onReceiverStarted', `${r.streamId} ${r.name} active=${r.active}`)),
      onReceiverError: (r) => (receiverInfos.push(r), record('onReceiverError', `${r.streamId} ${r.lastErrorMessage}`)),
      onReceiverStopped: (r) => (receiverInfos.push(r), record('onReceiverStopped', `${r.streamId} active=${r.active}`)),
      onBatchSubmitted: (b) => record('onBatchSubmitted', `${b.batchTime} records=${b.numRecords}`),
      onBatchStarted: (b) => record('onBatchStarted', `${b.batchTime}`),
      onOutputOperationStarted: (o) => record('onOutputOperationStarted', `${o.batchTime} #${o.id} ${o.name}`),
      onOutputOperationCompleted: (o) => record('onOutputOperationCompleted', `${o.batchTime} #${o.id} ${o.failureReason ?? 'ok'}`),
      onBatchCompleted: (b) => (completed.push(b), record('onBatchCompleted', `${b.batchTime} records=${b.numRecords}`)),
    });

    const stderr = await captureStderr(async () => {
      ssc.start();
      await waitFor(() => events.some((e) => e.startsWith('onReceiverError')), 'the refused connect');
      // Now the server comes up: the receiver reconnects with backoff and reads 3 lines.
      const server = net.createServer((s) => s.write('a\nb\nc\n'));
      await new Promise<void>((r) => server.listen(port, '127.0.0.1', r));
      try {
        await waitFor(() => lines.receiverStats().lines === 3, 'three lines');
        clock.advance(1000);
        await waitFor(() => completed.length === 1, 'batch 1');
        await ssc.stop(false);
      } finally {
        await new Promise((r) => server.close(r));
      }
    });
    expect(stderr).toMatch(/WARN chispa: socket receiver: cannot connect to 127\.0\.0\.1:\d+ \(connect ECONNREFUSED/);

    const host = `127.0.0.1:${port}`;
    expect(events).toEqual([
      'onStreamingStarted',
      'onReceiverStarted 0 SocketReceiver-0 active=true',
      `onReceiverError 0 cannot connect to ${host}`,
      'onBatchSubmitted 1000 records=3',
      'onBatchStarted 1000',
      'onOutputOperationStarted 1000 #0 foreachRDD',
      'onOutputOperationCompleted 1000 #0 ok',
      'onBatchCompleted 1000 records=3',
      'onReceiverStopped 0 active=false',
    ]);
    expect(counted).toEqual([3]);
    const refused = receiverInfos.find((r) => r.lastErrorMessage.startsWith('cannot connect'))!;
    expect(refused.lastError).toContain('ECONNREFUSED');
    expect(refused.lastErrorTime).toBeGreaterThan(0);
    expect(refused.active).toBe(true);
    expect(receiverInfos[0]).toMatchObject({ lastErrorMessage: '', lastError: '', lastErrorTime: -1, executorId: 'driver' });
    expect(receiverInfos.at(-1)!.lastErrorMessage).not.toBe('');
  });
});

describe('onReceiverError for a connection the server breaks', () => {
  it('reports the broken connection, stays active, reconnects and keeps receiving', async () => {
    let connections = 0;
    const server = net.createServer((s) => {
      s.on('error', () => {});
      connections++;
      // The first connection sends a line and is reset; the next one sends another line.
      if (connections === 1) s.write('before\n', () => setImmediate(() => s.resetAndDestroy()));
      else s.write('after\n');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as AddressInfo).port;
    sc = new SparkContext({ master: 'local' });
    const clock = new ManualClock(0);
    const ssc = new StreamingContext(sc, 1, { clock });
    const lines = ssc.socketTextStream('127.0.0.1', port, { initialDelayMs: 20, maxDelayMs: 100 });
    const got: string[] = [];
    lines.foreachRDD(async (rdd) => void got.push(...(await rdd.collect())));
    const errors: ReceiverInfo[] = [];
    let done = 0;
    ssc.addStreamingListener({ onReceiverError: (r) => void errors.push(r), onBatchCompleted: () => void done++ });
    try {
      ssc.start();
      await waitFor(() => lines.receiverStats().lines === 2, 'both lines');
      clock.advance(1000);
      await waitFor(() => done === 1, 'batch 1');
    } finally {
      await ssc.stop(false);
      await new Promise((r) => server.close(r));
    }
    expect(got).toEqual(['before', 'after']);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ streamId: 0, active: true });
    // Whether the client sees the RST as ECONNRESET or as an end depends on timing in the kernel.
    expect(errors[0].lastErrorMessage).toMatch(new RegExp(`^connection to 127\\.0\\.0\\.1:${port} (failed|closed by the server)$`));
    expect(errors[0].lastError).not.toBe('');
  });
});

import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import parsePrometheusTextFormat from 'parse-prometheus-text-format';
import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock, SparkContext, startStreamingUI, StreamingContext, type BatchInfo, type StreamingUI } from '../src/index.js';
import { captureStderr } from './helpers/stderr.js';
import { waitFor } from './helpers/streaming.js';

// The Streaming UI's server without a browser: ports, Spark's batch statuses, failures,
// retained batches and receivers' errors through its JSON API (ui-browser.test.ts drives the page).

let sc: SparkContext | undefined;
let ui: StreamingUI | undefined;
afterEach(async () => {
  await ui?.close();
  ui = undefined;
  await sc?.stop();
  sc = undefined;
});

const get = async (path: string): Promise<any> => {
  const r = await fetch(new URL(path, ui!.url));
  if (r.status !== 200) throw new Error(`${path}: ${r.status} ${await r.text()}`);
  return r.json();
};

describe('startStreamingUI', () => {
  it('binds 127.0.0.1 on the port asked, or the next free one when it is taken (with a warning)', async () => {
    sc = new SparkContext({ master: 'local' });
    const ssc = new StreamingContext(sc, 1, { clock: new ManualClock(0) });
    ssc.queueStream([[1]]).foreachRDD(() => {});
    const taken = net.createServer();
    await new Promise<void>((r) => taken.listen(0, '127.0.0.1', r));
    const port = (taken.address() as AddressInfo).port;
    try {
      const stderr = await captureStderr(async () => {
        ui = await startStreamingUI(ssc, { port });
      });
      expect(ui!.port).toBeGreaterThan(port);
      expect(ui!.port).toBeLessThanOrEqual(port + 16);
      expect(ui!.url).toBe(`http://127.0.0.1:${ui!.port}/`);
      expect(stderr).toContain(`WARN chispa: Streaming UI: port ${port} is taken; using ${ui!.port}`);
      const page = await (await fetch(ui!.url)).text();
      expect(page).toContain('<title>Streaming Statistics</title>');
      expect(page).not.toMatch(/https?:\/\//); // nothing from a CDN
      expect((await fetch(new URL('static/uPlot.iife.min.js', ui!.url))).status).toBe(200);
      expect((await fetch(new URL('api/v1/streaming/nothing', ui!.url))).status).toBe(404);
      // Spark's own path, with an application id, answers too.
      expect((await get('api/v1/applications/app-1/streaming/statistics')).batchDuration).toBe(1000);
    } finally {
      await new Promise((r) => taken.close(r));
    }
    await expect(startStreamingUI(ssc, { port: 70000 })).rejects.toMatchObject({ code: 'CHISPA_ERR_ILLEGAL_ARGUMENT' });
    await expect(startStreamingUI(ssc, { retainedBatches: 0 })).rejects.toMatchObject({ code: 'CHISPA_ERR_ILLEGAL_ARGUMENT' });
  });

  it("defaults to Spark's port 4040 (or the next free one) on 127.0.0.1, and close() frees it", async () => {
    sc = new SparkContext({ master: 'local' });
    const ssc = new StreamingContext(sc, 1, { clock: new ManualClock(0) });
    ssc.queueStream([[1]]).foreachRDD(() => {});
    // Another process may hold 4040: then the warning says which port was used instead.
    const stderr = await captureStderr(async () => {
      ui = await startStreamingUI(ssc);
    });
    const { port, url } = ui!;
    expect(port).toBeGreaterThanOrEqual(4040);
    expect(port).toBeLessThanOrEqual(4056);
    expect(url).toBe(`http://127.0.0.1:${port}/`);
    if (port === 4040) expect(stderr).toBe('');
    else expect(stderr).toMatch(new RegExp(`^\\S+ WARN chispa: Streaming UI: port 4040 is taken; using ${port}\\n$`));
    await ui!.close();
    ui = undefined;
    await expect(fetch(url)).rejects.toThrow();
  });

  it('batches: PROCESSING, QUEUED and COMPLETED as Spark reports them, failures with their reason, retained batches', async () => {
    sc = new SparkContext({ master: 'local' });
    const clock = new ManualClock(0);
    const ssc = new StreamingContext(sc, 1, { clock });
    const gates: (() => void)[] = [];
    let done = 0;
    ssc.addStreamingListener({ onBatchCompleted: () => void done++ });
    ssc.queueStream([[1, 2], [3], [4, 5, 6], [7]]).foreachRDD(async (_rdd, time) => {
      await new Promise<void>((r) => gates.push(r));
      if (time === 1000) throw new Error('no batch one');
    });
    ui = await startStreamingUI(ssc, { port: 0, retainedBatches: 2 });
    ssc.start();
    clock.advance(3000);
    await waitFor(() => gates.length === 1, 'batch 1 running');

    const processing = await get('api/v1/streaming/batches?status=PROCESSING');
    expect(processing).toEqual([
      {
        batchId: 1000,
        batchTime: '1970-01-01T00:00:01.000GMT',
        status: 'PROCESSING',
        batchDuration: 1000,
        inputSize: 2,
        schedulingDelay: 0,
        numActiveOutputOps: 1,
        numCompletedOutputOps: 0,
        numFailedOutputOps: 0,
        numTotalOutputOps: 1,
      },
    ]);
    const queued = await get('api/v1/streaming/batches?status=QUEUED');
    expect(queued.map((b: any) => [b.batchId, b.status, b.inputSize])).toEqual([[3000, 'QUEUED', 3], [2000, 'QUEUED', 1]]);
    expect(queued[0].schedulingDelay).toBeUndefined();
    expect((await get('api/v1/streaming/statistics')).numActiveBatches).toBe(3);

    const stderr = await captureStderr(async () => {
      for (let i = 1; i <= 4; i++) {
        if (i === 4) clock.advance(1000);
        await waitFor(() => gates.length >= i, `batch ${i} running`);
        gates[i - 1]();
        await waitFor(() => done >= i, `batch ${i}`);
      }
      await ssc.stop(false);
    });
    expect(stderr).toContain('ERROR chispa: batch failed: foreachRDD: no batch one');
    const stats = await get('api/v1/streaming/statistics');
    expect(stats).toMatchObject({ numTotalCompletedBatches: 4, numRetainedCompletedBatches: 2, numProcessedRecords: 7, numActiveBatches: 0 });
    // Averages are over the retained batches only, as Spark's.
    expect(stats.avgInputRate).toBe(2);
    const completed = await get('api/v1/streaming/batches');
    expect(completed.map((b: any) => b.batchId)).toEqual([4000, 3000]);
    expect((await fetch(new URL('api/v1/streaming/batches/1000', ui.url))).status).toBe(404);
  });

  it('a failed output operation: numFailedOutputOps, firstFailureReason and the operation failureReason', async () => {
    sc = new SparkContext({ master: 'local' });
    const clock = new ManualClock(0);
    const ssc = new StreamingContext(sc, 1, { clock });
    let done = 0;
    ssc.addStreamingListener({ onBatchCompleted: () => void done++ });
    const input = ssc.queueStream([[1]]);
    input.foreachRDD(() => {});
    input.foreachRDD(() => {
      throw new Error('This is a failed job');
    });
    ui = await startStreamingUI(ssc, { port: 0 });
    const stderr = await captureStderr(async () => {
      ssc.start();
      clock.advance(1000);
      await waitFor(() => done === 1, 'batch 1');
    });
    expect(stderr).toContain('This is a failed job');
    const batch = await get('api/v1/streaming/batches/1000');
    expect(batch).toMatchObject({ status: 'COMPLETED', numTotalOutputOps: 2, numCompletedOutputOps: 1, numFailedOutputOps: 1, numActiveOutputOps: 0 });
    expect(batch.firstFailureReason).toMatch(/^UserFunctionError: foreachRDD: This is a failed job\n\s+at /);
    const ops = await get('api/v1/streaming/batches/1000/operations');
    expect(ops.map((o: any) => [o.outputOpId, o.name, o.failureReason === undefined])).toEqual([[0, 'foreachRDD', true], [1, 'foreachRDD', false]]);
    expect(ops[0].startTime).toBe('1970-01-01T00:00:01.000GMT');
    expect(ops[0].duration).toBe(0);
    expect(await get('api/v1/streaming/batches/1000/operations/1')).toEqual(ops[1]);
    await ssc.stop(false);
  });

  it('a batch that fails outside its outputs (a transform) shows that error as its failure reason', async () => {
    sc = new SparkContext({ master: 'local' });
    const clock = new ManualClock(0);
    const ssc = new StreamingContext(sc, 1, { clock });
    let done = 0;
    ssc.addStreamingListener({ onBatchCompleted: () => void done++ });
    ssc
      .queueStream([[1]])
      .transform(() => {
        throw new Error('bad transform');
      })
      .foreachRDD(() => {});
    ui = await startStreamingUI(ssc, { port: 0 });
    const stderr = await captureStderr(async () => {
      ssc.start();
      clock.advance(1000);
      await waitFor(() => done === 1, 'batch 1');
    });
    expect(stderr).toContain('bad transform');
    const batch = await get('api/v1/streaming/batches/1000');
    expect(batch).toMatchObject({ numTotalOutputOps: 0, numFailedOutputOps: 0 });
    expect(batch.firstFailureReason).toContain('bad transform');
    await ssc.stop(false);
  });

  it("receivers: started after the context, it still shows the receiver, and the receiver's last error", async () => {
    const probe = net.createServer();
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
    const port = (probe.address() as AddressInfo).port;
    await new Promise((r) => probe.close(r));
    sc = new SparkContext({ master: 'local' });
    const ssc = new StreamingContext(sc, 1, { clock: new ManualClock(0) });
    ssc.socketTextStream('127.0.0.1', port, { initialDelayMs: 50, maxDelayMs: 50 }).foreachRDD(() => {});
    let errors = 0;
    ssc.addStreamingListener({ onReceiverError: () => void errors++ });
    const stderr = await captureStderr(async () => {
      ssc.start();
      ui = await startStreamingUI(ssc, { port: 0 });
      await waitFor(() => errors === 1, 'the refused connect');
      const [r] = await get('api/v1/streaming/receivers');
      expect(r).toMatchObject({
        streamId: 0,
        streamName: 'SocketReceiver-0',
        isActive: true,
        executorId: 'driver',
        lastErrorMessage: `cannot connect to 127.0.0.1:${port}`,
        eventRates: [],
      });
      expect(r.lastError).toContain('ECONNREFUSED');
      expect(r.lastErrorTime).toMatch(/GMT$/);
      expect(await get('api/v1/streaming/receivers/0')).toEqual(r);
      expect((await fetch(new URL('api/v1/streaming/receivers/1', ui!.url))).status).toBe(404);
      const stats = await get('api/v1/streaming/statistics');
      expect(stats).toMatchObject({ numReceivers: 1, numActiveReceivers: 1, numInactiveReceivers: 0 });
      expect(Date.parse(stats.startTime.replace('GMT', 'Z'))).toBe(ssc.startTime);
      await ssc.stop(false);
    });
    expect(stderr).toContain(`WARN chispa: socket receiver: cannot connect to 127.0.0.1:${port}`);
    expect((await get('api/v1/streaming/receivers'))[0].isActive).toBe(false);
  });

  it('after the job stopped (graceful, SparkContext and its worker pool gone), every route still answers 200 with the final figures', async () => {
    // A text server that sends six lines to the receiver, then keeps the connection open.
    const sockets: net.Socket[] = [];
    const text = net.createServer((socket) => {
      sockets.push(socket.on('error', () => {}));
      socket.write('a b\nb c\nc a\na a\nb\nc\n');
    });
    await new Promise<void>((r) => text.listen(0, '127.0.0.1', r));
    const cp = mkdtempSync(join(tmpdir(), 'chispa-ui-stopped-'));
    try {
      sc = new SparkContext({ master: 'local[2]' });
      const clock = new ManualClock(0);
      const ssc = new StreamingContext(sc, 1, { clock });
      ssc.checkpoint(cp);
      const lines = ssc.socketTextStream('127.0.0.1', (text.address() as AddressInfo).port, { initialDelayMs: 20, maxDelayMs: 50 });
      lines
        .flatMap((l) => l.split(' '))
        .map((w) => [w, 1] as [string, number])
        .updateStateByKey((vs: number[], s: number | null) => vs.reduce((a, b) => a + b, 0) + (s ?? 0))
        .foreachRDD(async (rdd) => void (await rdd.count()));
      const seen: BatchInfo[] = [];
      ssc.addStreamingListener({ onBatchCompleted: (b) => void seen.push(b) });
      ui = await startStreamingUI(ssc, { port: 0 });
      const stderr = await captureStderr(async () => {
        ssc.start();
        await waitFor(() => lines.receiverStats().lines === 6, 'the six lines received', 60_000);
        clock.advance(1000);
        await waitFor(() => seen.length === 1, 'batch 1', 60_000);
        clock.advance(1000);
        await waitFor(() => seen.length === 2, 'batch 2', 60_000);
        await ssc.stop(true, true); // as the CLI stops: gracefully, the SparkContext too
      });
      expect(stderr).not.toMatch(/ERROR|WARN/);
      const n = seen.length; // the graceful stop's last batch included
      expect(n).toBeGreaterThanOrEqual(2);
      expect(seen.every((b) => b.failures.length === 0)).toBe(true);
      expect(seen.reduce((a, b) => a + b.numRecords, 0)).toBe(6);

      // Asked twice: nothing in a route fails or changes once the job is gone.
      for (let round = 0; round < 2; round++) {
        for (const path of ['', 'streaming/', 'static/app.js', 'static/uPlot.iife.min.js', 'static/uPlot.min.css']) {
          expect((await fetch(new URL(path, ui!.url))).status, path).toBe(200);
        }
        const stats = await get('api/v1/streaming/statistics');
        expect(stats).toMatchObject({
          numReceivers: 1,
          numActiveReceivers: 0,
          numInactiveReceivers: 1,
          numTotalCompletedBatches: n,
          numRetainedCompletedBatches: n,
          numActiveBatches: 0,
          numProcessedRecords: 6,
          numReceivedRecords: 6,
        });
        const batches = await get('api/v1/streaming/batches');
        expect(batches.map((b: any) => [b.batchId, b.status, b.inputSize, b.numCompletedOutputOps])).toEqual(
          [...seen].reverse().map((b) => [b.batchTime, 'COMPLETED', b.numRecords, 1]),
        );
        expect(await get('api/v1/streaming/batches?status=COMPLETED')).toEqual(batches);
        expect(await get('api/v1/streaming/batches?status=QUEUED,PROCESSING')).toEqual([]);
        expect(await get('api/v1/streaming/batches/1000')).toEqual(batches.at(-1));
        const ops = await get('api/v1/streaming/batches/1000/operations');
        expect(ops).toMatchObject([{ outputOpId: 0, name: 'foreachRDD' }]);
        expect(await get('api/v1/streaming/batches/1000/operations/0')).toEqual(ops[0]);
        const receivers = await get('api/v1/streaming/receivers');
        expect(receivers).toMatchObject([{ streamId: 0, isActive: false }]);
        expect(await get('api/v1/streaming/receivers/0')).toEqual(receivers[0]);
        const timeline = await get('api/chispa/timeline');
        expect(timeline.batches.map((b: any) => b.batchTime)).toEqual(seen.map((b) => b.batchTime));
        expect(timeline.stateOperators).toMatchObject([{ id: 'updateStateByKey#0', numRowsTotal: 3 }]);

        const metrics = await fetch(new URL('metrics', ui!.url));
        expect(metrics.status).toBe(200);
        const families = new Map(parsePrometheusTextFormat(await metrics.text()).map((f) => [f.name, f]));
        const value = (name: string) => Number(families.get(name)!.metrics[0].value);
        expect(value('chispa_streaming_batches_completed_total')).toBe(n);
        expect(value('chispa_streaming_records_total')).toBe(6);
        expect(value('chispa_receiver_lines_total')).toBe(6);
        expect(value('chispa_receiver_connected')).toBe(0);
        expect(value('chispa_state_keys')).toBe(3);
        expect(value('chispa_pool_threads')).toBe(2);
        expect(value('chispa_pool_utilization')).toBeGreaterThan(0); // read from the destroyed pool
      }
    } finally {
      for (const s of sockets) s.destroy();
      await new Promise((r) => text.close(r));
      rmSync(cp, { recursive: true, force: true });
    }
  }, 120_000);
});

import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { add, KafkaRDD, KafkaUtils, ManualClock, SparkContext, StreamingContext, type BatchInfo, type StreamingContextOptions, type OffsetRange } from '../src/index.js';
import { committedOffsets, createTopic, endOffsets, produce, startBroker, type KafkaBroker } from './helpers/kafka.js';
import { MASTERS, waitFor } from './helpers/streaming.js';

// Spark's DirectKafkaStreamSuite, against a real single-node Kafka broker on 127.0.0.1.

const genesis = readFileSync(new URL('../src/cli/data/genesis.txt', import.meta.url), 'utf8').split('\n').filter((l) => l.length > 0);

function wordCounts(lines: readonly string[]): Map<string, number> {
  const m = new Map<string, number>();
  for (const l of lines) for (const w of l.split(' ')) m.set(w, (m.get(w) ?? 0) + 1);
  return m;
}

let broker: KafkaBroker;
beforeAll(async () => {
  broker = await startBroker();
}, 180_000);
afterAll(async () => {
  await broker?.close();
}, 90_000);

/** A context on a manual clock whose batches the test drives, with each batch's info. */
function manualContext(master: string, batchSeconds = 1, opts: Omit<StreamingContextOptions, 'clock'> = {}) {
  const clock = new ManualClock(0);
  const ssc = new StreamingContext(new SparkContext({ master }), batchSeconds, { ...opts, clock });
  const infos: BatchInfo[] = [];
  ssc.addStreamingListener({ onBatchCompleted: (i) => void infos.push(i) });
  /** Advances one batch (or `ms`) and waits until a batch has completed. */
  const step = async (ms = batchSeconds * 1000) => {
    const n = infos.length;
    clock.advance(ms);
    await waitFor(() => infos.length > n, 'a batch', 60_000);
    return infos[infos.length - 1];
  };
  return { ssc, clock, infos, step };
}

describe.each(MASTERS)('createDirectStream under %s', (master) => {
  it("the seed's WordCount over a 3-partition topic equals the oracle", async () => {
    const topic = await createTopic(broker.bootstrap, 3);
    const lines = genesis.slice(0, 600);
    await produce(broker.bootstrap, topic, lines.map((value, i) => ({ value, partition: i % 3 })));
    const { ssc, step } = manualContext(master);
    const stream = KafkaUtils.createDirectStream(ssc, [topic], { 'bootstrap.servers': broker.bootstrap, 'auto.offset.reset': 'earliest' });
    const partitions: number[] = [];
    stream.foreachRDD(async (rdd) => void partitions.push(await rdd.getNumPartitions()));
    const counts = stream.map(([, line]) => line).flatMap((line) => line.split(' ')).map((word) => [word, 1] as [string, number]).reduceByKey(add);
    const got = new Map<string, number>();
    counts.foreachRDD(async (rdd) => {
      for (const [w, n] of await rdd.collect()) got.set(w, (got.get(w) ?? 0) + n);
    });
    ssc.start();
    try {
      const info = await step();
      expect(info.failures).toEqual([]);
      expect(info.numRecords).toBe(lines.length);
      // One RDD partition per Kafka partition.
      expect(partitions).toEqual([3]);
      expect(new Map([...got].sort())).toEqual(new Map([...wordCounts(lines)].sort()));
    } finally {
      await ssc.stop();
    }
  }, 120_000);
});

/** Polls an async condition until true (or fails after `timeoutMs`). */
async function waitForAsync(cond: () => Promise<boolean>, what: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Each partition's ranges, in batch order, must start at `starts[p]`, touch end to start, and end at `ends[p]`. */
function expectContiguous(batches: readonly OffsetRange[][], starts: readonly number[], ends: readonly number[]): void {
  ends.forEach((end, p) => {
    const mine = batches.map((rs) => rs.filter((r) => r.partition === p));
    // Every batch has exactly one range for every partition (empty ones included).
    for (const rs of mine) expect(rs).toHaveLength(1);
    let at = starts[p];
    for (const [r] of mine) {
      expect(r.fromOffset).toBe(at);
      expect(r.untilOffset).toBeGreaterThanOrEqual(r.fromOffset);
      at = r.untilOffset;
    }
    expect(at).toBe(end);
  });
}

describe('offset ranges, commits, rate limits (master local)', () => {
  it('offsetRanges cover the topic with no gap and no overlap, and each record is read once', async () => {
    const topic = await createTopic(broker.bootstrap, 3);
    const { ssc, step } = manualContext('local');
    const stream = KafkaUtils.createDirectStream(ssc, [topic], { 'bootstrap.servers': broker.bootstrap, 'auto.offset.reset': 'earliest' });
    const ranges: OffsetRange[][] = [];
    const values: string[] = [];
    stream.foreachRDD(async (rdd) => {
      ranges.push((rdd as KafkaRDD).offsetRanges());
      for (const [, v] of await rdd.collect()) values.push(v);
    });
    ssc.start();
    const sent: string[] = [];
    const send = async (n: number) => {
      const batch = Array.from({ length: n }, (_, i) => `r${sent.length + i}`);
      sent.push(...batch);
      await produce(broker.bootstrap, topic, batch.map((value, i) => ({ value, partition: (sent.length + i) % 3 })));
    };
    try {
      await send(90);
      expect((await step()).numRecords).toBe(90);
      await send(61);
      expect((await step()).numRecords).toBe(61);
      expect((await step()).numRecords).toBe(0);
      await send(29);
      expect((await step()).numRecords).toBe(29);
    } finally {
      await ssc.stop();
    }
    expectContiguous(ranges, [0, 0, 0], await endOffsets(broker.bootstrap, topic));
    // The range of each batch holds exactly that batch's records: nothing twice, nothing missing.
    expect([...values].sort()).toEqual([...sent].sort());
  }, 120_000);

  it('commitAsync moves the consumer group’s committed offsets, and a new stream of the group resumes there', async () => {
    const topic = await createTopic(broker.bootstrap, 3);
    const group = `group-${topic}`;
    const params = { 'bootstrap.servers': broker.bootstrap, 'group.id': group, 'auto.offset.reset': 'earliest', 'enable.auto.commit': false };
    await produce(broker.bootstrap, topic, Array.from({ length: 45 }, (_, i) => ({ value: `a${i}`, partition: i % 3 })));
    expect(await committedOffsets(broker.bootstrap, group, topic, 3)).toEqual([-1, -1, -1]);

    let run = manualContext('local');
    const stream = KafkaUtils.createDirectStream(run.ssc, [topic], params);
    const committed: (Error | null)[] = [];
    stream.foreachRDD(async (rdd) => {
      const ranges = (rdd as KafkaRDD).offsetRanges();
      await rdd.count(); // the batch's output, done before its offsets are committed
      stream.commitAsync(ranges, (err) => void committed.push(err));
    });
    run.ssc.start();
    try {
      await run.step();
      await waitFor(() => committed.length === 1, 'the commit callback');
      expect(committed).toEqual([null]);
      expect(await committedOffsets(broker.bootstrap, group, topic, 3)).toEqual([15, 15, 15]);
    } finally {
      await run.ssc.stop();
    }

    // Records produced while nothing ran are read by the group's next stream, and only those.
    await produce(broker.bootstrap, topic, Array.from({ length: 6 }, (_, i) => ({ value: `b${i}`, partition: i % 3 })));
    run = manualContext('local');
    const values: string[] = [];
    KafkaUtils.createDirectStream(run.ssc, [topic], params).foreachRDD(async (rdd) => {
      for (const [, v] of await rdd.collect()) values.push(v);
    });
    run.ssc.start();
    try {
      await run.step();
    } finally {
      await run.ssc.stop();
    }
    expect(values.sort()).toEqual(['b0', 'b1', 'b2', 'b3', 'b4', 'b5']);
  }, 120_000);

  it('maxRatePerPartition bounds the records of each batch per partition, and the batches still cover the topic', async () => {
    const topic = await createTopic(broker.bootstrap, 3);
    await produce(broker.bootstrap, topic, Array.from({ length: 150 }, (_, i) => ({ value: `m${i}`, partition: i % 3 })));
    // 2 s batches at 10 records/s per partition: at most 20 per partition per batch, as Spark's
    // maxMessagesPerPartition (rate × batch seconds).
    const { ssc, step } = manualContext('local', 2);
    const stream = KafkaUtils.createDirectStream(ssc, [topic], { 'bootstrap.servers': broker.bootstrap, 'auto.offset.reset': 'earliest' }, undefined, {
      maxRatePerPartition: 10,
    });
    const ranges: OffsetRange[][] = [];
    const values: string[] = [];
    stream.foreachRDD(async (rdd) => {
      ranges.push((rdd as KafkaRDD).offsetRanges());
      for (const [, v] of await rdd.collect()) values.push(v);
    });
    ssc.start();
    const counts: number[] = [];
    try {
      for (let i = 0; i < 4; i++) counts.push((await step()).numRecords);
    } finally {
      await ssc.stop();
    }
    expect(counts).toEqual([60, 60, 30, 0]);
    for (const rs of ranges) for (const r of rs) expect(r.untilOffset - r.fromOffset).toBeLessThanOrEqual(20);
    expectContiguous(ranges, [0, 0, 0], [50, 50, 50]);
    expect(values).toHaveLength(150);
    expect(new Set(values).size).toBe(150);
  }, 120_000);

  it('backpressure: initialRate shared by lag, then the PID estimate of each completed batch, capped by maxRatePerPartition', async () => {
    // As Spark's "using rate controller" and backpressure.initialRate cases, with the real PID
    // estimator: each batch's output holds the manual clock 100 ms, so every batch takes exactly
    // 100 ms to process and the rates the estimator publishes are known in advance.
    const topic = await createTopic(broker.bootstrap, 3);
    const lags = [600, 300, 100];
    await produce(broker.bootstrap, topic, lags.flatMap((n, partition) => Array.from({ length: n }, (_, i) => ({ value: `p${partition}-${i}`, partition }))));
    const { ssc, clock, step } = manualContext('local[2]', 1, { backpressure: { enabled: true, initialRate: 100 } });
    const stream = KafkaUtils.createDirectStream(ssc, [topic], { 'bootstrap.servers': broker.bootstrap, 'auto.offset.reset': 'earliest' }, undefined, {
      maxRatePerPartition: 400,
    });
    const ranges: OffsetRange[][] = [];
    const values: string[] = [];
    stream.foreachRDD(async (rdd) => {
      ranges.push((rdd as KafkaRDD).offsetRanges());
      for (const [, v] of await rdd.collect()) values.push(v);
      clock.advance(100);
    });
    ssc.start();
    const infos: BatchInfo[] = [];
    try {
      for (let i = 0; i < 5; i++) {
        // The first batch is at 1000; each output moved the clock 100 ms into the next interval.
        const info = await step(i === 0 ? 1000 : 900);
        expect(info.failures).toEqual([]);
        expect(info.processingDelay).toBe(100);
        infos.push(info);
      }
    } finally {
      await ssc.stop();
    }
    expect(ranges.map((rs) => rs.map((r) => r.untilOffset - r.fromOffset))).toEqual([
      // initialRate 100/s × 1 s, shared 6:3:1 by lag (Spark's maxMessagesPerPartition).
      [60, 30, 10],
      // The estimator's first batch only sets its baseline (100 records in 100 ms: 1000/s).
      [60, 30, 10],
      // 1000/s shared 6:3:1 by lag, partition 0 capped at 400/s; partitions 1 and 2 hold less.
      [400, 240, 80],
      // 720 records in 100 ms: 7200/s; only partition 0 has records left.
      [80, 0, 0],
      [0, 0, 0],
    ]);
    expect(infos.map((i) => i.numRecords)).toEqual([100, 100, 720, 80, 0]);
    expectContiguous(ranges, [0, 0, 0], lags);
    expect(new Set(values).size).toBe(1000);
  }, 120_000);

  it('fromOffsets says where each partition starts; keys, and a JSON value decoder', async () => {
    const topic = await createTopic(broker.bootstrap, 2);
    await produce(broker.bootstrap, topic, Array.from({ length: 10 }, (_, i) => ({ key: `k${i}`, value: JSON.stringify({ n: i }), partition: i % 2 })));
    const { ssc, step } = manualContext('local');
    const stream = KafkaUtils.createDirectStream<string, { n: number }>(
      ssc,
      [topic],
      { 'bootstrap.servers': broker.bootstrap },
      [
        { topic, partition: 0, offset: 3 },
        { topic, partition: 1, offset: 4 },
      ],
      { valueDecoder: 'json' },
    );
    const got: [string, { n: number }][] = [];
    stream.foreachRDD(async (rdd) => void got.push(...(await rdd.collect())));
    ssc.start();
    try {
      await step();
    } finally {
      await ssc.stop();
    }
    // Partition 0 holds n = 0, 2, 4, 6, 8 at offsets 0..4; partition 1 holds 1, 3, 5, 7, 9.
    expect(got.sort((a, b) => a[1].n - b[1].n)).toEqual([
      ['k6', { n: 6 }],
      ['k8', { n: 8 }],
      ['k9', { n: 9 }],
    ]);
  }, 120_000);

  it('a record the decoder cannot read fails its batch with CHISPA_ERR_KAFKA, and later batches run', async () => {
    const topic = await createTopic(broker.bootstrap, 1);
    await produce(broker.bootstrap, topic, [{ value: 'not json' }]);
    const { ssc, step } = manualContext('local');
    const stream = KafkaUtils.createDirectStream(ssc, [topic], { 'bootstrap.servers': broker.bootstrap, 'auto.offset.reset': 'earliest' }, undefined, {
      valueDecoder: 'json',
    });
    const got: unknown[] = [];
    stream.foreachRDD(async (rdd) => void got.push(...(await rdd.collect())));
    const errors: Error[] = [];
    ssc.start();
    const terminated = ssc.awaitTermination().catch((e: Error) => void errors.push(e));
    try {
      const bad = await step();
      expect(bad.failures).toHaveLength(1);
      expect(bad.failures[0]).toMatchObject({ code: 'CHISPA_ERR_KAFKA', operator: 'decode' });
      expect(bad.failures[0].message).toMatch(/not JSON/);
      await produce(broker.bootstrap, topic, [{ value: '{"ok":true}' }]);
      const good = await step();
      expect(good.failures).toEqual([]);
    } finally {
      await ssc.stop();
      await terminated;
    }
    expect(errors[0]).toMatchObject({ code: 'CHISPA_ERR_KAFKA' });
    expect(got).toEqual([[null, { ok: true }]]);
  }, 120_000);

  it('rejects bad parameters with typed errors', () => {
    const ssc = new StreamingContext(new SparkContext({ master: 'local' }), 1);
    expect(() => KafkaUtils.createDirectStream(ssc, ['t'], {})).toThrow(expect.objectContaining({ code: 'CHISPA_ERR_ILLEGAL_ARGUMENT' }));
    expect(() => KafkaUtils.createDirectStream(ssc, [], { 'bootstrap.servers': broker.bootstrap })).toThrow(
      expect.objectContaining({ code: 'CHISPA_ERR_ILLEGAL_ARGUMENT' }),
    );
    expect(() => KafkaUtils.createDirectStream(ssc, ['t'], { 'bootstrap.servers': broker.bootstrap, 'enable.auto.commit': true })).toThrow(
      /enable.auto.commit/,
    );
    expect(() => KafkaUtils.createDirectStream(ssc, ['t'], { 'bootstrap.servers': broker.bootstrap, 'auto.offset.reset': 'none' })).toThrow(
      expect.objectContaining({ code: 'CHISPA_ERR_ILLEGAL_ARGUMENT' }),
    );
    for (const maxRatePerPartition of [0, -1, Number.NaN]) {
      expect(() => KafkaUtils.createDirectStream(ssc, ['t'], { 'bootstrap.servers': broker.bootstrap }, undefined, { maxRatePerPartition })).toThrow(
        expect.objectContaining({ code: 'CHISPA_ERR_ILLEGAL_ARGUMENT' }),
      );
    }
    const s = KafkaUtils.createDirectStream(ssc, ['t'], { 'bootstrap.servers': broker.bootstrap });
    expect(() => s.commitAsync([])).toThrow(expect.objectContaining({ code: 'CHISPA_ERR_ILLEGAL_STATE' }));
    void ssc.stop();
  });
});

describe('a broker restart mid-stream', () => {
  it('is survived: batches while it is down are empty, with one warning, and every record is read once', async () => {
    const topic = await createTopic(broker.bootstrap, 3);
    const { ssc, step } = manualContext('local[2]');
    const stream = KafkaUtils.createDirectStream(ssc, [topic], { 'bootstrap.servers': broker.bootstrap, 'auto.offset.reset': 'earliest' });
    const values: string[] = [];
    stream.foreachRDD(async (rdd) => {
      for (const [, v] of await rdd.collect()) values.push(v);
    });
    const warnings: string[] = [];
    const write = process.stderr.write.bind(process.stderr);
    // The outage's warning is expected: capture it (and assert it) instead of printing it.
    const spy = vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array, ...rest: unknown[]) => {
      const text = String(chunk);
      if (text.includes(' WARN chispa: ') || text.includes(' INFO chispa: ')) {
        warnings.push(text);
        return true;
      }
      return write(chunk as string, ...(rest as []));
    });
    const sent = Array.from({ length: 60 }, (_, i) => `x${i}`);
    ssc.start();
    try {
      await produce(broker.bootstrap, topic, sent.slice(0, 30).map((value, i) => ({ value, partition: i % 3 })));
      expect((await step()).numRecords).toBe(30);
      await broker.stop();
      const down = await step();
      expect(down.failures).toEqual([]);
      expect(down.numRecords).toBe(0);
      expect(warnings.filter((w) => w.includes('WARN'))).toHaveLength(1);
      expect(warnings[0]).toMatch(/is empty: \w+: Kafka: /);
      await broker.start();
      await produce(broker.bootstrap, topic, sent.slice(30).map((value, i) => ({ value, partition: i % 3 })));
      // Back up: the stream goes on from where it stopped.
      for (let i = 0; i < 20 && values.length < sent.length; i++) expect((await step()).failures).toEqual([]);
    } finally {
      await ssc.stop();
      spy.mockRestore();
    }
    expect(values.sort()).toEqual([...sent].sort());
    expect(warnings.filter((w) => w.includes('WARN'))).toHaveLength(1);
  }, 240_000);
});

import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { StreamingProgress } from './progress.js';

/** Seconds buckets for batch delays and checkpoint writes: 5 ms to 1 min. */
const BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

/**
 * The Prometheus metrics of one streaming context (prom-client, its own registry): batches,
 * records, delays as histograms, receivers' bytes/lines/truncated lines/reconnects, state keys per
 * operator, checkpoint writes, and worker pool utilisation. Batch metrics follow the listener
 * events; receiver, state and pool figures are read when scraped.
 */
export function streamingMetrics(p: StreamingProgress): { registry: Registry; close(): void } {
  const registry = new Registry();
  const registers = [registry];
  const stream = (id: number) => ({ stream: String(id) });

  const completed = new Counter({ name: 'chispa_streaming_batches_completed_total', help: 'Batches completed', registers });
  const failed = new Counter({ name: 'chispa_streaming_batches_failed_total', help: 'Completed batches in which a job failed', registers });
  const records = new Counter({ name: 'chispa_streaming_records_total', help: 'Input records of completed batches', registers });
  const delay = (name: string, help: string) => new Histogram({ name, help, buckets: BUCKETS, registers });
  const scheduling = delay('chispa_streaming_scheduling_delay_seconds', 'Time batches waited for earlier batches');
  const processing = delay('chispa_streaming_processing_time_seconds', 'Time batches took to process');
  const total = delay('chispa_streaming_total_delay_seconds', 'Scheduling delay plus processing time');
  new Gauge({
    name: 'chispa_streaming_batch_interval_seconds',
    help: 'The batch interval',
    registers,
    collect() {
      this.set(p.batchDuration / 1000);
    },
  });
  new Gauge({
    name: 'chispa_streaming_active_batches',
    help: 'Batches queued or processing',
    registers,
    collect() {
      this.set(p.waiting.size + p.running.size);
    },
  });
  p.onCompleted((b) => {
    completed.inc();
    if (b.failures.length > 0) failed.inc();
    records.inc(b.numRecords);
    if (b.schedulingDelay !== undefined) scheduling.observe(b.schedulingDelay / 1000);
    if (b.processingDelay !== undefined) processing.observe(b.processingDelay / 1000);
    if (b.totalDelay !== undefined) total.observe(b.totalDelay / 1000);
  });

  // Receiver counters are the receivers' own monotonic counts, copied at scrape time.
  const receiverCounter = (name: string, help: string, read: (s: ReturnType<(typeof p.receiverStreams)[number]['receiverStats']>) => number) =>
    new Counter({
      name,
      help,
      labelNames: ['stream'],
      registers,
      collect() {
        this.reset();
        for (const r of p.receiverStreams) this.inc(stream(r.streamId), read(r.receiverStats()));
      },
    });
  receiverCounter('chispa_receiver_bytes_total', 'Line bytes received (terminators excluded)', (s) => s.bytes);
  receiverCounter('chispa_receiver_lines_total', 'Lines received', (s) => s.lines);
  receiverCounter('chispa_receiver_truncated_lines_total', 'Lines cut at maxLineBytes', (s) => s.truncatedLines);
  receiverCounter('chispa_receiver_reconnects_total', 'Connections after the first', (s) => Math.max(0, s.connects - 1));
  new Gauge({
    name: 'chispa_receiver_connected',
    help: '1 while the receiver has a connection',
    labelNames: ['stream'],
    registers,
    collect() {
      this.reset();
      for (const r of p.receiverStreams) this.set(stream(r.streamId), r.receiverStats().connected ? 1 : 0);
    },
  });

  const stateGauge = (name: string, help: string, read: (s: { numRowsTotal: number; numRowsUpdated: number }) => number) =>
    new Gauge({
      name,
      help,
      labelNames: ['operator', 'kind'],
      registers,
      collect() {
        this.reset();
        for (const s of p.stateOperators.values()) this.set({ operator: s.id, kind: s.operator }, read(s));
      },
    });
  stateGauge('chispa_state_keys', 'Keys in the state after the last batch', (s) => s.numRowsTotal);
  stateGauge('chispa_state_keys_updated', 'Keys the last batch computed', (s) => s.numRowsUpdated);

  const cpTime = delay('chispa_checkpoint_write_seconds', 'Time writing a checkpoint took');
  const cpSize = new Gauge({ name: 'chispa_checkpoint_size_bytes', help: 'Bytes of the last checkpoint written', registers });
  const removeObserver = p.ssc.onCheckpointWritten((w) => {
    cpTime.observe(w.durationMs / 1000);
    cpSize.set(w.bytes);
  });

  const sc = p.ssc.sparkContext;
  new Gauge({
    name: 'chispa_pool_utilization',
    help: 'Share of the worker pool capacity used since it started (0..1; 0 under local)',
    registers,
    collect() {
      this.set(sc.poolUtilization ?? 0);
    },
  });
  new Gauge({
    name: 'chispa_pool_threads',
    help: 'Worker threads tasks run on',
    registers,
    collect() {
      this.set(sc.isLocal ? 0 : sc.defaultParallelism);
    },
  });
  return { registry, close: removeObserver };
}

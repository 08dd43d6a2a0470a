import type { BatchInfo } from '../streaming/listener.js';
import type { StreamingProgress } from './progress.js';

/**
 * Spark's streaming REST API (`status/api/v1/streaming`), same fields: what `/api/v1/streaming/…`
 * answers. Dates as Spark's JSON writer prints them (`2026-11-30T14:15:25.000GMT`); Spark's
 * `None` fields are left out.
 */

export type BatchStatus = 'COMPLETED' | 'QUEUED' | 'PROCESSING';
export const BATCH_STATUSES: readonly BatchStatus[] = ['COMPLETED', 'QUEUED', 'PROCESSING'];

/** Spark's JacksonMessageWriter date format. */
export function sparkDate(ms: number): string {
  return new Date(ms).toISOString().replace('Z', 'GMT');
}

const avg = (xs: number[]): number | undefined => (xs.length === 0 ? undefined : xs.reduce((a, b) => a + b, 0) / xs.length);
/** Spark averages times as Longs: integer division. */
const avgTime = (xs: (number | undefined)[]): number | undefined => {
  const a = avg(xs.filter((x): x is number => x !== undefined));
  return a === undefined ? undefined : Math.trunc(a);
};

/** Spark's StreamingStatistics. Averages are over the retained completed batches. */
export function statistics(p: StreamingProgress) {
  const batches = p.completed;
  const receivers = [...p.receivers.values()];
  const active = receivers.filter((r) => r.active).length;
  return {
    startTime: p.startTime === undefined ? undefined : sparkDate(p.startTime),
    batchDuration: p.batchDuration,
    numReceivers: p.receiverStreams.length,
    numActiveReceivers: active,
    numInactiveReceivers: p.receiverStreams.length - active,
    numTotalCompletedBatches: p.numTotalCompletedBatches,
    numRetainedCompletedBatches: batches.length,
    numActiveBatches: p.waiting.size + p.running.size,
    numProcessedRecords: p.numTotalProcessedRecords,
    numReceivedRecords: p.numTotalReceivedRecords,
    avgInputRate: avg(batches.map((b) => (b.numRecords * 1000) / p.batchDuration)),
    avgSchedulingDelay: avgTime(batches.map((b) => b.schedulingDelay)),
    avgProcessingTime: avgTime(batches.map((b) => b.processingDelay)),
    avgTotalDelay: avgTime(batches.map((b) => b.totalDelay)),
  };
}

/** Spark's ReceiverInfo (API view), with each retained batch's record rate of that stream. */
export function receivers(p: StreamingProgress) {
  return p.receiverStreams.map((stream) => {
    const id = stream.streamId;
    const info = p.receivers.get(id);
    const eventRates = p.completed.map((b): [number, number] => [b.batchTime, ((b.streamIdToInputInfo.get(id)?.numRecords ?? 0) * 1000) / p.batchDuration]);
    return {
      streamId: id,
      streamName: info?.name ?? `SocketReceiver-${id}`,
      isActive: info?.active,
      executorId: info?.executorId,
      executorHost: info?.location,
      lastErrorTime: info && info.lastErrorTime >= 0 ? sparkDate(info.lastErrorTime) : undefined,
      lastErrorMessage: info?.lastErrorMessage || undefined,
      lastError: info?.lastError || undefined,
      avgEventRate: avg(eventRates.map(([, r]) => r)),
      eventRates,
    };
  });
}

/** Spark's BatchInfo (API view): `batchId` is the batch time in ms. */
export function batchView(p: StreamingProgress, b: BatchInfo, status: BatchStatus) {
  const ops = [...b.outputOperationInfos.values()];
  return {
    batchId: b.batchTime,
    batchTime: sparkDate(b.batchTime),
    status,
    batchDuration: p.batchDuration,
    inputSize: b.numRecords,
    schedulingDelay: b.schedulingDelay,
    processingTime: b.processingDelay,
    totalDelay: b.totalDelay,
    numActiveOutputOps: ops.filter((o) => o.startTime !== undefined && o.endTime === undefined).length,
    numCompletedOutputOps: ops.filter((o) => o.endTime !== undefined && o.failureReason === undefined).length,
    numFailedOutputOps: ops.filter((o) => o.failureReason !== undefined).length,
    numTotalOutputOps: ops.length,
    // chispa: a batch can also fail outside its outputs (a transform while generating it, a state
    // commit); then its first error is the reason, so the batch does not look clean.
    firstFailureReason: ops.find((o) => o.failureReason !== undefined)?.failureReason ?? firstError(b),
  };
}

function firstError(b: BatchInfo): string | undefined {
  const e = b.failures[0];
  return e && (e.stack ?? `${e.name}: ${e.message}`);
}

/** `batches?status=…`: newest first, as Spark sorts them. */
export function batches(p: StreamingProgress, statuses: readonly BatchStatus[] = BATCH_STATUSES) {
  const by: [BatchStatus, Iterable<BatchInfo>][] = [
    ['COMPLETED', p.completed],
    ['QUEUED', p.waiting.values()],
    ['PROCESSING', p.running.values()],
  ];
  return by
    .filter(([s]) => statuses.includes(s))
    .flatMap(([s, list]) => [...list].map((b) => batchView(p, b, s)))
    .sort((a, b) => b.batchId - a.batchId);
}

/** Spark's OutputOperationInfo (API view) of one batch, by id. */
export function operations(b: BatchInfo) {
  return [...b.outputOperationInfos.values()]
    .sort((x, y) => x.id - y.id)
    .map((o) => ({
      outputOpId: o.id,
      name: o.name,
      description: o.description,
      startTime: o.startTime === undefined ? undefined : sparkDate(o.startTime),
      endTime: o.endTime === undefined ? undefined : sparkDate(o.endTime),
      duration: o.duration,
      failureReason: o.failureReason,
      jobIds: [] as number[],
    }));
}

import { closeSync, openSync, writeSync } from 'node:fs';
import type { BatchInfo, StreamingListener } from '../streaming/listener.js';

/** One line of `--events`: a completed batch as the job's own StreamingListener saw it. */
export interface BatchEvent {
  batchTime: number;
  numRecords: number;
  schedulingDelay: number;
  processingDelay: number;
  totalDelay: number;
  /** Output operations of the batch that succeeded, and how many it has. */
  outputOps: { succeeded: number; total: number };
}

/** The event line for `info` (its delays are defined once the batch completed). */
export function batchEvent(info: BatchInfo): BatchEvent {
  const ops = [...info.outputOperationInfos.values()];
  return {
    batchTime: info.batchTime,
    numRecords: info.numRecords,
    schedulingDelay: info.schedulingDelay ?? 0,
    processingDelay: info.processingDelay ?? 0,
    totalDelay: info.totalDelay ?? 0,
    outputOps: { succeeded: ops.filter((o) => o.endTime !== undefined && o.failureReason === undefined).length, total: ops.length },
  };
}

/**
 * `--events FILE|-`: a StreamingListener that writes one JSON line per completed batch to FILE
 * (truncated first) or, for `-`, to stdout. Writes are synchronous, so every batch reported
 * completed is on disk before the job says it stopped: a reader compares exactly, not eventually.
 */
export function openEventLog(target: string): { listener: StreamingListener; close(): void } {
  if (target === '-') {
    return { listener: { onBatchCompleted: (info) => void process.stdout.write(JSON.stringify(batchEvent(info)) + '\n') }, close: () => {} };
  }
  let fd: number | undefined = openSync(target, 'w');
  return {
    // A batch left running past a graceful stop's timeout may still complete after close: it is
    // not in the log (the job already reported how many batches it saw), and never written to a
    // closed (or reused) file descriptor.
    listener: { onBatchCompleted: (info) => void (fd !== undefined && writeSync(fd, JSON.stringify(batchEvent(info)) + '\n')) },
    close: () => {
      if (fd !== undefined) closeSync(fd);
      fd = undefined;
    },
  };
}

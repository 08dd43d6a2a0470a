import { threadId } from 'node:worker_threads';
import type { Task, TaskResult } from '../plan/task.js';
import { reportError } from '../errors.js';
import { executeTask } from './executor.js';

/**
 * Runs a task whose source may have to be fetched first (a Kafka offset range), then runs it as
 * `executeTask` does. Never throws: a fetch that fails comes back as a failed result with the
 * `KafkaError`'s code, as a failing user function does.
 */
export async function runTaskAsync(task: Task): Promise<TaskResult> {
  if (task.source.kind !== 'kafka') return executeTask(task);
  let fetched: Task;
  try {
    // Loaded on first use: workers of programs without Kafka never load its client.
    const { withFetchedSource } = await import('./kafka-fetch.js');
    fetched = await withFetchedSource(task);
  } catch (e) {
    // A KafkaError names its step (`fetch`, `decode`); it comes back to the driver as itself.
    const op = (e as { operator?: unknown }).operator;
    return { ok: false, threadId, error: reportError(typeof op === 'string' ? op : 'fetch', e) };
  }
  return executeTask(fetched);
}

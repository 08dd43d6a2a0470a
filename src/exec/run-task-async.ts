import { threadId } from 'node:worker_threads';
import type { Task, TaskResult } from '../plan/task.js';
import { runTask } from './executor.js';

/**
 * Runs a task whose source may have to be fetched first (a Kafka offset range), then runs it as
 * `runTask` does. Never throws: a fetch that fails comes back as a failed result with the
 * `KafkaError`'s code, as a failing user function does.
 */
export async function runTaskAsync(task: Task): Promise<TaskResult> {
  if (task.source.kind !== 'kafka') return runTask(task);
  let fetched: Task;
  try {
    // Loaded on first use: workers of programs without Kafka never load its client.
    const { withFetchedSource } = await import('./kafka-fetch.js');
    fetched = await withFetchedSource(task);
  } catch (e) {
    const err = e instanceof Error ? e : new Error(String(e));
    const code = (err as { code?: unknown }).code;
    return { ok: false, threadId, error: { op: 'kafka', name: err.name, message: err.message, stack: err.stack, ...(typeof code === 'string' ? { code } : {}) } };
  }
  return runTask(fetched);
}

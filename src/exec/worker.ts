/**
 * The Piscina worker entry. It imports only the executor: a task arrives as plain data with
 * shared-memory handles, user functions arrive as source and are compiled (and cached) here,
 * after the modules they import are loaded on this thread. Piscina loads this module when the
 * worker starts, so the fast path is warmed up then, not in the first batch, unless the pool was
 * made for a context whose fast path is off (`workerData.warmUp === false`): then nothing would use
 * it. Tasks over a Kafka range fetch it first.
 */
import { workerData } from 'node:worker_threads';
import type { Task, TaskResult } from '../plan/task.js';
import { runTaskAsync } from './run-task-async.js';
import { loadTaskModules } from './task-modules.js';
import { warmUp } from './warm-up.js';

if ((workerData as { warmUp?: boolean } | null)?.warmUp !== false) warmUp();

export default async function runWorkerTask(task: Task): Promise<TaskResult> {
  return (await loadTaskModules(task)) ?? runTaskAsync(task);
}

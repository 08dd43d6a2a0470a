/**
 * The Piscina worker entry. It imports only the executor: a task arrives as plain data with
 * shared-memory handles, user functions arrive as source and are compiled (and cached) here.
 * Piscina loads this module when the worker starts, so the fast path is warmed up then, not in
 * the first batch. Tasks over a Kafka range fetch it first, so the entry may return a promise.
 */
import type { Task, TaskResult } from '../plan/task.js';
import { executeTask } from './executor.js';
import { runTaskAsync } from './run-task-async.js';
import { warmUp } from './warm-up.js';

warmUp();

export default function run(task: Task): TaskResult | Promise<TaskResult> {
  return task.source.kind === 'kafka' ? runTaskAsync(task) : executeTask(task);
}

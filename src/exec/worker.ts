/**
 * The Piscina worker entry. It imports only the executor: a task arrives as plain data with
 * shared-memory handles, user functions arrive as source and are compiled (and cached) here.
 * Tasks over a Kafka range fetch it first, so the entry may return a promise.
 */
import { runTask } from './executor.js';
import { runTaskAsync } from './run-task-async.js';
import type { Task, TaskResult } from '../plan/task.js';

export default function run(task: Task): TaskResult | Promise<TaskResult> {
  return task.source.kind === 'kafka' ? runTaskAsync(task) : runTask(task);
}

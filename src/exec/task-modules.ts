import { threadId } from 'node:worker_threads';
import { importedValue, loadModules } from '../plan/module-registry.js';
import type { ResolvedImport } from '../plan/imports.js';
import type { Task, TaskResult } from '../plan/task.js';

/**
 * Imports the modules a task's functions use (`imports`, `fromModule`) on this thread before the
 * task runs, since compiling a function is synchronous and importing is not. Resolves undefined
 * when all are loaded, or a failed result naming the operator whose module did not load.
 */
export async function loadTaskModules(task: Task): Promise<TaskResult | undefined> {
  const needs = new Map<ResolvedImport, string>();
  collect(task.ops, 'task', needs);
  collect(task.sink, 'task', needs);
  if (task.source.kind === 'shuffle') collect(task.source.agg, 'task', needs);
  for (const [ref, op] of needs) {
    try {
      await loadModules([ref.url]);
      importedValue(ref.url, ref.name); // throws, naming it, when the export is missing
    } catch (e) {
      const err = e as Error & { code?: string };
      return { ok: false, threadId, error: { op, name: err.name, message: err.message, stack: err.stack, ...(err.code ? { code: err.code } : {}) } };
    }
  }
  return undefined;
}

/** The imports of the shipped functions in `node`, each with the operator it serves. */
function collect(node: unknown, op: string, out: Map<ResolvedImport, string>): void {
  if (node === null || typeof node !== 'object' || ArrayBuffer.isView(node) || node instanceof SharedArrayBuffer) return;
  if (Array.isArray(node)) {
    for (const item of node) collect(item, op, out);
    return;
  }
  const obj = node as Record<string, unknown>;
  const here = typeof obj.op === 'string' ? obj.op : op;
  if (typeof obj.url === 'string' && typeof obj.source !== 'string') {
    // A context entry `{ import: { url, name } }` of a shipped function.
    if (!out.has(obj as unknown as ResolvedImport)) out.set(obj as unknown as ResolvedImport, here);
    return;
  }
  if (typeof obj.source === 'string' && obj.modules === undefined) return; // a shipped function without imports

  for (const [key, value] of Object.entries(obj)) if (key !== 'bounds') collect(value, here, out);
}

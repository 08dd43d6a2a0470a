import { Piscina } from 'piscina';
import { TaskCancelledError, TaskTimeoutError, WorkerError, WorkerMemoryError } from '../errors.js';
import { taskOperatorChain, type Task, type TaskResult } from '../plan/task.js';
import { executeTask } from './executor.js';
import { runTaskAsync } from './run-task-async.js';
import { loadTaskModules } from './task-modules.js';

/** Where tasks run: in this thread (master `local`) or on a pool of worker threads. */
export interface TaskRunner {
  /** How many tasks can run at once; the default number of partitions. */
  readonly parallelism: number;
  /**
   * Runs `task`. A user function that throws comes back as a failed {@link TaskResult}; a worker
   * that dies under the task (crash, `process.exit`, timeout, memory cap, cancellation) rejects
   * with a {@link WorkerError} naming the task's operators.
   */
  run(task: Task): Promise<TaskResult>;
  /** Stops every running task now (their workers are terminated and replaced); each rejects with TaskCancelledError. */
  cancelAll(): void;
  destroy(): Promise<void>;
  /** Share of the pool's capacity used since it started (0..1); undefined without a pool. */
  readonly utilization?: number;
}

/** Limits of a pool's tasks and workers (see `SparkConf`). */
export interface PoolLimits {
  /** A task running longer than this fails and its worker is terminated; undefined: no limit. */
  readonly taskTimeoutMs?: number;
  /** Each worker's V8 old-generation heap cap (piscina `resourceLimits`); undefined: Node's default. */
  readonly workerMemoryLimitMB?: number;
}

/**
 * Master `local`: tasks run on the calling thread, so user functions are the closures themselves.
 * Each task yields to the event loop first so that receivers and timers keep running between tasks.
 * A function that never returns blocks this thread: timeouts and memory caps need a pool.
 */
export class InProcessRunner implements TaskRunner {
  readonly parallelism = 1;

  async run(task: Task): Promise<TaskResult> {
    await new Promise<void>((resolve) => setImmediate(resolve));
    return (await loadTaskModules(task)) ?? runTaskAsync(task);
  }

  cancelAll(): void {}

  async destroy(): Promise<void> {}
}

/**
 * Master `local[N]`: one Piscina pool of N threads. Run from TypeScript sources (tests, `tsx`),
 * the worker registers tsx first (see worker-from-source.mjs); from the build, the compiled `.js`.
 *
 * Every task carries an AbortSignal: a timeout or a cancellation aborts it, and piscina then
 * terminates the worker it runs on and starts a fresh one. The timeout counts from when a worker
 * picked the task up (it writes the time into the task's `startedAt` cell), not from when it was
 * queued behind the stage's other tasks.
 */
export class PoolRunner implements TaskRunner {
  readonly parallelism: number;
  readonly #pool: Piscina<Task, TaskResult>;
  readonly #limits: PoolLimits;
  readonly #running = new Set<AbortController>();
  #destroyed = false;

  /** `warmUp`: whether workers warm the fast path up when they start (worker.ts); off when nothing would use it. */
  constructor(threads: number, limits: PoolLimits = {}, warmUp = true) {
    this.parallelism = threads;
    this.#limits = limits;
    const fromSource = import.meta.url.endsWith('.ts');
    this.#pool = new Piscina<Task, TaskResult>({
      filename: new URL(fromSource ? './worker-from-source.mjs' : './worker.js', import.meta.url).href,
      minThreads: threads,
      maxThreads: threads,
      idleTimeout: Number.POSITIVE_INFINITY,
      workerData: { warmUp },
      ...(limits.workerMemoryLimitMB !== undefined ? { resourceLimits: { maxOldGenerationSizeMb: limits.workerMemoryLimitMB } } : {}),
    });
  }

  async run(task: Task): Promise<TaskResult> {
    // A job still planning when its context stopped reaches here after the pool is gone.
    if (this.#destroyed) throw new TaskCancelledError(taskOperatorChain(task));
    const ctl = new AbortController();
    const startedAt = new SharedArrayBuffer(8);
    this.#running.add(ctl);
    const timer = this.#limits.taskTimeoutMs !== undefined ? new Deadline(this.#limits.taskTimeoutMs, startedAt, () => ctl.abort(TIMEOUT)) : undefined;
    try {
      return await this.#pool.run({ ...task, startedAt }, { signal: ctl.signal });
    } catch (e) {
      throw this.#failure(e, task, ctl.signal);
    } finally {
      timer?.clear();
      this.#running.delete(ctl);
    }
  }

  cancelAll(): void {
    for (const ctl of this.#running) ctl.abort(CANCEL);
  }

  get utilization(): number {
    return this.#pool.utilization;
  }

  async destroy(): Promise<void> {
    // piscina's destroy() leaves tasks that are running on its workers unsettled: abort them first.
    this.#destroyed = true;
    this.cancelAll();
    await this.#pool.destroy();
  }

  #failure(e: unknown, task: Task, signal: AbortSignal): unknown {
    const operator = taskOperatorChain(task);
    if (signal.aborted && signal.reason === TIMEOUT) return new TaskTimeoutError(operator, this.#limits.taskTimeoutMs! / 1000);
    if (signal.aborted) return new TaskCancelledError(operator);
    // A worker that dies rejects with an Error; a result that cannot be cloned back rejects with a
    // bare object. That one is the task's own doing, the same on every attempt: not retried.
    if (!(e instanceof Error)) return e;
    if ((e as { code?: unknown })?.code === 'ERR_WORKER_OUT_OF_MEMORY') return new WorkerMemoryError(operator, this.#limits.workerMemoryLimitMB ?? 0, { cause: e });
    return new WorkerError(operator, `the worker running the task died (${e instanceof Error ? e.message : String(e)})`, { cause: e });
  }
}

const TIMEOUT = 'chispa: task timeout';
const CANCEL = 'chispa: cancelled';

/**
 * Fires `onExpired` once the task has run `ms` since a worker started it. Until a worker has, it
 * checks back every `ms`: a queued task is not late.
 */
class Deadline {
  readonly #started: Float64Array;
  #timer: NodeJS.Timeout;

  constructor(
    readonly ms: number,
    startedAt: SharedArrayBuffer,
    readonly onExpired: () => void,
  ) {
    this.#started = new Float64Array(startedAt);
    this.#timer = setTimeout(() => this.#check(), ms);
  }

  #check(): void {
    const started = this.#started[0];
    const left = started === 0 ? this.ms : started + this.ms - Date.now();
    if (started !== 0 && left <= 0) this.onExpired();
    else this.#timer = setTimeout(() => this.#check(), left);
  }

  clear(): void {
    clearTimeout(this.#timer);
  }
}

import { Piscina } from 'piscina';
import type { Task, TaskResult } from '../plan/task.js';
import { runTaskAsync } from './run-task-async.js';

/** Where tasks run: in this thread (master `local`) or on a pool of worker threads. */
export interface TaskRunner {
  /** How many tasks can run at once; the default number of partitions. */
  readonly parallelism: number;
  run(task: Task): Promise<TaskResult>;
  destroy(): Promise<void>;
  /** Share of the pool's capacity used since it started (0..1); undefined without a pool. */
  readonly utilization?: number;
}

/**
 * Master `local`: tasks run on the calling thread, so user functions are the closures themselves.
 * Each task yields to the event loop first so that receivers and timers keep running between tasks.
 */
export class InProcessRunner implements TaskRunner {
  readonly parallelism = 1;

  async run(task: Task): Promise<TaskResult> {
    await new Promise<void>((resolve) => setImmediate(resolve));
    return runTaskAsync(task);
  }

  async destroy(): Promise<void> {}
}

/**
 * Master `local[N]`: one Piscina pool of N threads. Run from TypeScript sources (tests, `tsx`),
 * the worker registers tsx first (see worker-from-source.mjs); from the build, the compiled `.js`.
 */
export class PoolRunner implements TaskRunner {
  readonly parallelism: number;
  readonly #pool: Piscina<Task, TaskResult>;

  constructor(threads: number) {
    this.parallelism = threads;
    const fromSource = import.meta.url.endsWith('.ts');
    this.#pool = new Piscina<Task, TaskResult>({
      filename: new URL(fromSource ? './worker-from-source.mjs' : './worker.js', import.meta.url).href,
      minThreads: threads,
      maxThreads: threads,
      idleTimeout: Number.POSITIVE_INFINITY,
    });
  }

  run(task: Task): Promise<TaskResult> {
    return this.#pool.run(task);
  }

  get utilization(): number {
    return this.#pool.utilization;
  }

  async destroy(): Promise<void> {
    await this.#pool.destroy();
  }
}

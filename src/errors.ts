/**
 * Typed errors with stable codes, in undici's style: match on `err.code`, never on the message.
 * Every error chispa raises on purpose is one of these.
 */

export class ChispaError extends Error {
  readonly code: string = 'CHISPA_ERR';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ChispaError';
  }
}

/** A user function uses a variable from its enclosing scope and would run on a worker thread. */
export class ClosureCaptureError extends ChispaError {
  override readonly code = 'CHISPA_ERR_CLOSURE_CAPTURE';
  /** The operator the function was given to (`map`, `reduceByKey`, …). */
  readonly operator: string;
  /** The free variables, in order of first use. */
  readonly variables: readonly string[];
  constructor(operator: string, variables: readonly string[]) {
    const list = variables.map((v) => `'${v}'`).join(', ');
    const ctx = variables.join(', ');
    super(
      `${operator}: the function uses ${variables.length > 1 ? 'variables' : 'variable'} ${list} from its ` +
        `enclosing scope, but it runs on a worker thread where only its source travels. ` +
        `Pass ${variables.length > 1 ? 'them' : 'it'} explicitly: .${operator.split(' ')[0]}(fn, { context: { ${ctx} } }), ` +
        `or run with master 'local', where functions run in-process and closures work.`,
    );
    this.name = 'ClosureCaptureError';
    this.operator = operator;
    this.variables = variables;
  }
}

/** A function whose source cannot be shipped (native code, a bound function, unparsable text). */
export class FunctionSourceError extends ChispaError {
  override readonly code = 'CHISPA_ERR_FUNCTION_SOURCE';
  readonly operator: string;
  constructor(operator: string, reason: string) {
    super(`${operator}: cannot ship this function to a worker thread: ${reason}`);
    this.name = 'FunctionSourceError';
    this.operator = operator;
  }
}

/** A user function threw while a batch was processed. `cause` is the original error. */
export class UserFunctionError extends ChispaError {
  override readonly code = 'CHISPA_ERR_USER_FUNCTION';
  readonly operator: string;
  constructor(operator: string, message: string, options?: { cause?: unknown }) {
    super(`${operator}: ${message}`, options);
    this.name = 'UserFunctionError';
    this.operator = operator;
  }
}

/** An operation was called in a state that does not allow it (Spark's IllegalStateException). */
export class IllegalStateError extends ChispaError {
  override readonly code = 'CHISPA_ERR_ILLEGAL_STATE';
  constructor(message: string) {
    super(message);
    this.name = 'IllegalStateError';
  }
}

/** An argument is out of its domain (Spark's IllegalArgumentException). */
export class IllegalArgumentError extends ChispaError {
  override readonly code = 'CHISPA_ERR_ILLEGAL_ARGUMENT';
  constructor(message: string) {
    super(message);
    this.name = 'IllegalArgumentError';
  }
}

/** A record a pair operation needs to be `[key, value]` is not a 2-element array. */
export class NotAPairError extends ChispaError {
  override readonly code = 'CHISPA_ERR_NOT_A_PAIR';
  readonly operator: string;
  constructor(operator: string, record: unknown) {
    let shown: string;
    try {
      shown = JSON.stringify(record) ?? String(record);
    } catch {
      shown = String(record);
    }
    if (shown.length > 80) shown = shown.slice(0, 77) + '...';
    super(`${operator}: expected a [key, value] pair, got ${shown}`);
    this.name = 'NotAPairError';
    this.operator = operator;
  }
}

// ---- Task and worker failures (issue 11). Spark retries these: they are not the user function's
// deterministic verdict on its input, but the worker's fate (a crash, a timeout, a memory cap). ----

/** A worker thread died under a task: it crashed, called `process.exit()`, or was terminated. */
export class WorkerError extends ChispaError {
  override readonly code: string = 'CHISPA_ERR_WORKER';
  /** The operator(s) the task ran, as written (`map`, `flatMap → map → reduceByKey`). */
  readonly operator: string;
  /** Attempts made before giving up (`SparkConf.taskMaxFailures`). */
  attempts: number;
  constructor(operator: string, message: string, options?: { cause?: unknown }) {
    super(`${operator}: ${message}`, options);
    this.name = 'WorkerError';
    this.operator = operator;
    this.attempts = 1;
  }

  /** @internal The scheduler gave up after `n` attempts. */
  noteAttempts(n: number): void {
    this.attempts = n;
    if (n > 1) this.message += ` (failed ${n} times; taskMaxFailures reached)`;
  }
}

/** A task ran longer than `SparkConf.taskTimeout`; its worker was terminated and replaced. */
export class TaskTimeoutError extends WorkerError {
  override readonly code = 'CHISPA_ERR_TASK_TIMEOUT';
  /** The limit, in seconds. */
  readonly timeout: number;
  constructor(operator: string, timeout: number) {
    super(operator, `task did not finish within taskTimeout (${timeout} s); its worker was terminated`);
    this.name = 'TaskTimeoutError';
    this.timeout = timeout;
  }
}

/** A worker went over `SparkConf.workerMemoryLimitMB` while running a task and was stopped. */
export class WorkerMemoryError extends WorkerError {
  override readonly code = 'CHISPA_ERR_WORKER_MEMORY';
  readonly limitMB: number;
  constructor(operator: string, limitMB: number, options?: { cause?: unknown }) {
    super(operator, `the worker ran out of memory (workerMemoryLimitMB ${limitMB})`, options);
    this.name = 'WorkerMemoryError';
    this.limitMB = limitMB;
  }
}

/** A task was cancelled because its context stopped while it ran; never retried. */
export class TaskCancelledError extends WorkerError {
  override readonly code = 'CHISPA_ERR_TASK_CANCELLED';
  constructor(operator: string) {
    super(operator, 'task cancelled: the context stopped while it ran; its worker was terminated');
    this.name = 'TaskCancelledError';
  }
}

/**
 * A checkpoint or write-ahead log cannot be read or written: `path` names it, `errno` carries the
 * file system's code when it refused (`EROFS`, `ENOSPC`, `EACCES`), `cause` its error.
 */
export class CheckpointError extends ChispaError {
  override readonly code = 'CHISPA_ERR_CHECKPOINT';
  readonly path: string;
  readonly errno?: string;
  constructor(path: string, reason: string, options?: { cause?: unknown; errno?: string }) {
    super(`checkpoint ${path}: ${reason}`, options);
    this.name = 'CheckpointError';
    this.path = path;
    if (options?.errno) this.errno = options.errno;
  }
}

/**
 * Bytes that claim to be chispa's (a checkpoint file, a write-ahead log record, a block, an
 * encoded value) are not: a count or a length goes past the end, a tag is unknown. Raised before
 * anything is allocated on the bytes' word.
 */
export class CorruptDataError extends ChispaError {
  override readonly code = 'CHISPA_ERR_CORRUPT_DATA';
  constructor(message: string) {
    super(message);
    this.name = 'CorruptDataError';
  }
}

/**
 * Typed errors with stable codes, in undici's style: match on `err.code`, never on the message.
 * Everything chispa throws or rejects with is a {@link ChispaError}; where an operator failed,
 * `operator` names it (`map`, `reduceByKey`, `pprint`, …). The README's "Errors" section lists
 * every code with what raises it, and test/errors.test.ts triggers each one.
 */

/** What every error class gives its constructor besides the message. */
export interface ChispaErrorOptions {
  cause?: unknown;
  /** The operator that failed, where one did. */
  operator?: string;
}

export class ChispaError extends Error {
  /** The class's code; an instance reads it as `err.code`. */
  static readonly code: string = 'CHISPA_ERR';
  /** Stable code: match on it, never on the message. */
  readonly code: string;
  /** The operator that failed (`map`, `reduceByKey`, `pprint`, …), where one did. */
  readonly operator?: string;
  constructor(message: string, options?: ChispaErrorOptions) {
    const op = options?.operator;
    // The message starts with the operator, as Spark's do, whether or not the caller wrote it.
    super(op === undefined || message.startsWith(`${op}: `) ? message : `${op}: ${message}`, options?.cause === undefined ? undefined : { cause: options.cause });
    // From the class actually constructed, so a subclass needs no constructor to get its code,
    // and an error revived from a worker's report (see `reviveError`) gets the right one.
    const cls = new.target as typeof ChispaError;
    this.code = cls.code;
    this.name = cls.name;
    if (options?.operator !== undefined) this.operator = options.operator;
  }
}

/** Every error class by code, so an error reported by a worker comes back as its own class. */
type ErrorClass = abstract new (...args: never[]) => ChispaError;
const classes = new Map<string, ErrorClass>();
function coded(cls: ErrorClass & { readonly code: string }): void {
  classes.set(cls.code, cls);
}

/** A user function uses a variable from its enclosing scope and would run on a worker thread. */
export class ClosureCaptureError extends ChispaError {
  static override readonly code = 'CHISPA_ERR_CLOSURE_CAPTURE';
  declare readonly code: 'CHISPA_ERR_CLOSURE_CAPTURE';
  declare readonly operator: string;
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
      { operator },
    );
    this.variables = variables;
  }
}
coded(ClosureCaptureError);

/** A function whose source cannot be shipped (native code, a bound function, unparsable text). */
export class FunctionSourceError extends ChispaError {
  static override readonly code = 'CHISPA_ERR_FUNCTION_SOURCE';
  declare readonly code: 'CHISPA_ERR_FUNCTION_SOURCE';
  declare readonly operator: string;
  constructor(operator: string, reason: string) {
    super(`${operator}: cannot ship this function to a worker thread: ${reason}`, { operator });
  }
}
coded(FunctionSourceError);

/** A user function threw (or its Promise rejected) while a batch was processed. `cause` is the original. */
export class UserFunctionError extends ChispaError {
  static override readonly code = 'CHISPA_ERR_USER_FUNCTION';
  declare readonly code: 'CHISPA_ERR_USER_FUNCTION';
  declare readonly operator: string;
  constructor(operator: string, message: string, options?: { cause?: unknown }) {
    super(`${operator}: ${message}`, { cause: options?.cause, operator });
  }
}
coded(UserFunctionError);

/**
 * An `async` function (or one that returned a Promise) was given to an operator that calls it
 * synchronously, record by record. Thrown when the operator is defined for an `async` function,
 * and fails the batch when a plain function returns a Promise at run time.
 */
export class AsyncFunctionError extends ChispaError {
  static override readonly code = 'CHISPA_ERR_ASYNC_FUNCTION';
  declare readonly code: 'CHISPA_ERR_ASYNC_FUNCTION';
  declare readonly operator: string;
  constructor(operator: string, what = 'is async') {
    super(`${operator}: the function ${what}, but ${operator} calls it synchronously and would keep Promises as values; ${asyncAdvice(operator)}`, { operator });
  }
}
coded(AsyncFunctionError);

/** Which operator to use instead of `operator` for an async function. */
function asyncAdvice(operator: string): string {
  const base = operator.split(' ')[0];
  if (base === 'map' || base === 'flatMap') return `use ${base}Async(fn, { concurrency }), which awaits it.`;
  if (base === 'mapValues') return `use mapAsync(async ([k, v]) => [k, await fn(v)], { concurrency }).`;
  if (base === 'flatMapValues') return `use flatMapAsync(async ([k, v]) => (await fn(v)).map((w) => [k, w]), { concurrency }).`;
  return `await in mapAsync(fn, { concurrency }) first, then give ${base} a synchronous function.`;
}

/** An operation was called in a state that does not allow it (Spark's IllegalStateException). */
export class IllegalStateError extends ChispaError {
  static override readonly code = 'CHISPA_ERR_ILLEGAL_STATE';
  declare readonly code: 'CHISPA_ERR_ILLEGAL_STATE';
}
coded(IllegalStateError);

/** An argument is out of its domain (Spark's IllegalArgumentException). */
export class IllegalArgumentError extends ChispaError {
  static override readonly code = 'CHISPA_ERR_ILLEGAL_ARGUMENT';
  declare readonly code: 'CHISPA_ERR_ILLEGAL_ARGUMENT';
}
coded(IllegalArgumentError);

/** A record a pair operation needs to be `[key, value]` is not a 2-element array. */
export class NotAPairError extends ChispaError {
  static override readonly code = 'CHISPA_ERR_NOT_A_PAIR';
  declare readonly code: 'CHISPA_ERR_NOT_A_PAIR';
  declare readonly operator: string;
  constructor(operator: string, record: unknown) {
    super(`${operator}: expected a [key, value] pair, got ${shortDescription(record)}`, { operator });
  }
}
coded(NotAPairError);

// ---- Task and worker failures. Spark retries these: they are not the user function's
// deterministic verdict on its input, but the worker's fate (a crash, a timeout, a memory cap). ----

/**
 * A task failed on a worker for a reason that is not a user function's throw: the worker could
 * not send its result back (a value that cannot be structured-cloned), or the worker died under
 * it (a crash, `process.exit()`, terminated).
 */
export class WorkerError extends ChispaError {
  static override readonly code: string = 'CHISPA_ERR_WORKER';
  declare readonly code: 'CHISPA_ERR_WORKER' | 'CHISPA_ERR_TASK_TIMEOUT' | 'CHISPA_ERR_WORKER_MEMORY' | 'CHISPA_ERR_TASK_CANCELLED';
  /** The operator(s) the task ran, as written (`map`, `flatMap → map → reduceByKey`). */
  declare readonly operator: string;
  /** Attempts made before giving up (`SparkConf.taskMaxFailures`). */
  attempts = 1;
  constructor(operator: string, message: string, options?: { cause?: unknown }) {
    super(`${operator}: ${message}`, { cause: options?.cause, operator });
  }

  /** @internal The scheduler gave up after `n` attempts. */
  noteAttempts(n: number): void {
    this.attempts = n;
    if (n > 1) this.message += ` (failed ${n} times; taskMaxFailures reached)`;
  }
}
coded(WorkerError);

/** A task ran longer than `SparkConf.taskTimeout`; its worker was terminated and replaced. */
export class TaskTimeoutError extends WorkerError {
  static override readonly code = 'CHISPA_ERR_TASK_TIMEOUT';
  declare readonly code: 'CHISPA_ERR_TASK_TIMEOUT';
  /** The limit, in seconds. */
  readonly timeout: number;
  constructor(operator: string, timeout: number) {
    super(operator, `task did not finish within taskTimeout (${timeout} s); its worker was terminated`);
    this.timeout = timeout;
  }
}
coded(TaskTimeoutError);

/** A worker went over `SparkConf.workerMemoryLimitMB` while running a task and was stopped. */
export class WorkerMemoryError extends WorkerError {
  static override readonly code = 'CHISPA_ERR_WORKER_MEMORY';
  declare readonly code: 'CHISPA_ERR_WORKER_MEMORY';
  readonly limitMB: number;
  constructor(operator: string, limitMB: number, options?: { cause?: unknown }) {
    super(operator, `the worker ran out of memory (workerMemoryLimitMB ${limitMB})`, options);
    this.limitMB = limitMB;
  }
}
coded(WorkerMemoryError);

/** A task was cancelled because its context stopped while it ran; never retried. */
export class TaskCancelledError extends WorkerError {
  static override readonly code = 'CHISPA_ERR_TASK_CANCELLED';
  declare readonly code: 'CHISPA_ERR_TASK_CANCELLED';
  constructor(operator: string) {
    super(operator, 'task cancelled: the context stopped while it ran; its worker was terminated');
  }
}
coded(TaskCancelledError);

/** An output operation could not write its files (`saveAsTextFile`): `path` is where, `cause` the file system's error. */
export class OutputError extends ChispaError {
  static override readonly code = 'CHISPA_ERR_OUTPUT';
  declare readonly code: 'CHISPA_ERR_OUTPUT';
  declare readonly operator: string;
  /** The file or directory that could not be written. */
  readonly path: string;
  constructor(operator: string, path: string, cause: unknown) {
    super(`${operator}: cannot write ${path}: ${cause instanceof Error ? cause.message : String(cause)}`, { operator, cause });
    this.path = path;
  }
}
coded(OutputError);

/**
 * A checkpoint or write-ahead log cannot be read or written: `path` names it, `errno` carries the
 * file system's code when it refused (`EROFS`, `ENOSPC`, `EACCES`), `cause` its error.
 */
export class CheckpointError extends ChispaError {
  static override readonly code = 'CHISPA_ERR_CHECKPOINT';
  declare readonly code: 'CHISPA_ERR_CHECKPOINT';
  /** The checkpoint file or directory that could not be read or written. */
  readonly path: string;
  readonly errno?: string;
  constructor(path: string, reason: string, options?: { cause?: unknown; errno?: string }) {
    super(`checkpoint ${path}: ${reason}`, { cause: options?.cause });
    this.path = path;
    if (options?.errno) this.errno = options.errno;
  }
}
coded(CheckpointError);

/**
 * Bytes that claim to be chispa's (a checkpoint file, a write-ahead log record, a shared-memory
 * block, an encoded value) are not: bad magic or version, a count or a length past the end, an
 * unknown tag. Raised before anything is allocated on the bytes' word.
 */
export class CorruptDataError extends ChispaError {
  static override readonly code = 'CHISPA_ERR_CORRUPT_DATA';
  declare readonly code: 'CHISPA_ERR_CORRUPT_DATA';
}
coded(CorruptDataError);

/** A value as a short string for a message: JSON where it has one, else `String`. */
export function shortDescription(value: unknown): string {
  let shown: string;
  try {
    shown = typeof value === 'string' ? `'${value}'` : (JSON.stringify(value) ?? String(value));
  } catch {
    shown = String(value);
  }
  if (typeof value === 'object' && value !== null && shown === '{}') {
    const ctor = (value as object).constructor?.name;
    if (ctor && ctor !== 'Object') shown = `${ctor} {}`;
  }
  return shown.length > 80 ? shown.slice(0, 77) + '...' : shown;
}

/** How a task reports an error across a worker boundary (plain data, structured-cloneable). */
export interface ErrorReport {
  /** The operator that was running. */
  readonly op: string;
  readonly name: string;
  readonly message: string;
  readonly stack?: string;
  /** The thrown value's own `code`, if it had a string one (a ChispaError's, or Node's `ENOENT`). */
  readonly code?: string;
  /** Whether the thrown value was not an Error at all (`throw 'x'`, a rejection with `{}`). */
  readonly notAnError?: boolean;
  /** The thrown value's own string `path` (an OutputError's, or Node's file system errors'). */
  readonly path?: string;
}

/** `thrown` (anything a user function threw or rejected with) as an {@link ErrorReport}. */
export function reportError(op: string, thrown: unknown): ErrorReport {
  if (thrown instanceof Error) {
    const { code, path } = thrown as { code?: unknown; path?: unknown };
    return {
      op,
      name: thrown.name,
      message: thrown.message,
      stack: thrown.stack,
      ...(typeof code === 'string' ? { code } : {}),
      ...(typeof path === 'string' ? { path } : {}),
    };
  }
  return { op, name: 'Error', message: `threw or rejected with a value that is not an Error: ${shortDescription(thrown)}`, notAnError: true };
}

/**
 * The error the driver raises for a task's report: chispa's own errors raised inside the task (a
 * record that is not a pair, a Promise where a value belongs) come back as their own class and
 * code at top level; anything a user function threw becomes a {@link UserFunctionError} whose
 * `cause` carries the original's name, message, stack and code.
 */
export function reviveError(r: ErrorReport): ChispaError {
  const cls = r.code === undefined || r.code === UserFunctionError.code ? undefined : classes.get(r.code);
  if (cls) {
    // Built without the class's own constructor (its arguments stayed on the worker): the code
    // and name come from the class, the fields that travel (`path`) are set here.
    const err = Reflect.construct(ChispaError, [r.message, { operator: r.op }], cls) as ChispaError;
    if (r.stack) err.stack = r.stack;
    if (r.path !== undefined) Object.assign(err, { path: r.path });
    return err;
  }
  const cause = Object.assign(new Error(r.message), { name: r.name, stack: r.stack, ...(r.code ? { code: r.code } : {}), ...(r.path ? { path: r.path } : {}) });
  // Errors chispa raised inside the task already name the operator.
  const prefix = `${r.op}: `;
  return new UserFunctionError(r.op, r.message.startsWith(prefix) ? r.message.slice(prefix.length) : r.message, { cause });
}

/**
 * What an operator that ran `body` on the driver (an output operation, `transform`) fails with:
 * a ChispaError as it is (it already names its operator), anything else as a
 * {@link UserFunctionError} of `operator`.
 */
export function asOperatorError(operator: string, e: unknown): ChispaError {
  if (e instanceof ChispaError) return e;
  if (e instanceof Error) return new UserFunctionError(operator, e.message, { cause: e });
  return new UserFunctionError(operator, `threw or rejected with a value that is not an Error: ${shortDescription(e)}`, { cause: e });
}

/**
 * Kafka could not be reached or refused a request (metadata, offsets, a fetch, a commit), or a
 * record could not be decoded. `operator` says which step failed (`fetch`, `latestOffsets`,
 * `commit`, `decode`, …).
 */
export class KafkaError extends ChispaError {
  static override readonly code = 'CHISPA_ERR_KAFKA';
  declare readonly code: 'CHISPA_ERR_KAFKA';
  declare readonly operator: string;
  constructor(operator: string, message: string, options?: { cause?: unknown }) {
    super(`${operator}: Kafka: ${message}`, { cause: options?.cause, operator });
  }
}
coded(KafkaError);

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

/**
 * Kafka could not be reached or refused a request (metadata, offsets, a fetch, a commit).
 * `operator` says which step failed (`fetch`, `latestOffsets`, `commit`, …).
 */
export class KafkaError extends ChispaError {
  override readonly code = 'CHISPA_ERR_KAFKA';
  readonly operator: string;
  constructor(operator: string, message: string, options?: { cause?: unknown }) {
    super(`kafka ${operator}: ${message}`, options);
    this.name = 'KafkaError';
    this.operator = operator;
  }
}

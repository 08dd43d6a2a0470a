import { AsyncFunctionError } from '../errors.js';
import type { NarrowOp } from '../plan/task.js';

/** The element-wise operations a stage fuses into one function. */
export type ElementOp = Extract<NarrowOp, { kind: 'map' | 'flatMap' | 'filter' | 'mapValues' | 'flatMapValues' | 'keyBy' }>;

export const isElementOp = (op: NarrowOp): op is ElementOp =>
  op.kind === 'map' || op.kind === 'flatMap' || op.kind === 'filter' || op.kind === 'mapValues' || op.kind === 'flatMapValues' || op.kind === 'keyBy';

type Push = (x: unknown) => void;
type Factory = (
  fns: readonly ((...args: any[]) => any)[],
  names: readonly string[],
  next: Push,
  tagged: (op: string, e: unknown) => unknown,
  asPair: (op: string, x: unknown) => [unknown, unknown],
  promised: (op: string) => unknown,
) => Push;

/** Generated factories by operation shape (`map,flatMap,…`): each shape is compiled once a thread. */
const factories = new Map<string, Factory>();

/**
 * Whole-stage fusion: a run of element-wise operations becomes one generated function, a loop
 * nest with each user function called in place (`for (const x1 of f0(x0)) { const x2 = f1(x1);
 * … next(xn) }`), so a record passes the whole run without a call per operation between them.
 * `at` names the operator running, so a failure is still reported under the operator that threw.
 */
export function fuse(ops: readonly ElementOp[], fns: readonly ((...args: any[]) => any)[], next: Push,
  tagged: (op: string, e: unknown) => unknown, asPair: (op: string, x: unknown) => [unknown, unknown]): Push {
  const shape = ops.map((o) => o.kind).join(',');
  let factory = factories.get(shape);
  if (!factory) {
    factory = compile(ops);
    factories.set(shape, factory);
  }
  return factory(fns, ops.map((o) => o.op), next, tagged, asPair, promised);
}

function compile(ops: readonly ElementOp[]): Factory {
  let body = `next(x${ops.length});`;
  for (let i = ops.length - 1; i >= 0; i--) {
    const x = `x${i}`;
    const y = `x${i + 1}`;
    // Each result is checked for a Promise (a plain function that returned one): kept as a
    // value it would be a silent bug under `local` and an uncloneable result on a worker.
    const call = (arg: string) => `(at = ${i}, awaited(f${i}(${arg}), ${i}))`;
    switch (ops[i].kind) {
      case 'map':
        body = `const ${y} = ${call(x)};\n${body}`;
        break;
      case 'keyBy':
        body = `const ${y} = [${call(x)}, ${x}];\n${body}`;
        break;
      case 'filter':
        body = `if (${call(x)}) { const ${y} = ${x};\n${body} }`;
        break;
      case 'flatMap':
        body = `for (const ${y} of ${call(x)}) {\n${body} }`;
        break;
      case 'mapValues':
        body = `const p${i} = asPair(names[${i}], ${x});\nconst ${y} = [p${i}[0], ${call(`p${i}[1]`)}];\n${body}`;
        break;
      case 'flatMapValues':
        body = `const p${i} = asPair(names[${i}], ${x});\nfor (const v${i} of ${call(`p${i}[1]`)}) { const ${y} = [p${i}[0], v${i}];\n${body} }`;
        break;
    }
  }
  const bind = ops.map((_, i) => `const f${i} = fns[${i}];`).join('\n');
  const awaited = `function awaited(y, i) {\nif (typeof y === 'object' && y !== null && typeof y.then === 'function') throw promised(names[i]);\nreturn y;\n}`;
  const source = `${bind}\n${awaited}\nreturn function fused(x0) {\nlet at = 0;\ntry {\n${body}\n} catch (e) { throw tagged(names[at], e); }\n};`;
  return new Function('fns', 'names', 'next', 'tagged', 'asPair', 'promised', source) as Factory;
}

/** What a synchronous operator whose function returned a Promise fails with. */
export function promised(op: string): AsyncFunctionError {
  return new AsyncFunctionError(op, 'returned a Promise');
}

/** `y`, unless it is a Promise (or any thenable): then {@link promised}. */
export function notAPromise<T>(op: string, y: T): T {
  if (typeof y === 'object' && y !== null && typeof (y as { then?: unknown }).then === 'function') throw promised(op);
  return y;
}

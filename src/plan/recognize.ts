import { parseExpressionAt, type Node } from 'acorn';
import type { ArrowFunctionExpression, Expression, FunctionExpression, Pattern } from 'estree';
import type { FnRef, Kernel, NarrowOp, Aggregator } from './task.js';

/**
 * Recognises the seed's WordCount in a map stage, from the functions' parsed source (never by
 * matching text: tsx, tsc and vite print the same lambda differently):
 *
 *   flatMap((line) => line.split(' ')) → map((word) => [word, 1]) → reduceByKey((a, b) => a + b)
 *
 * When every piece is certain, the stage runs as a byte-level kernel on the shared-memory batch
 * (`src/exec/split-count.ts`). Anything else, or anything unsure, takes the generic path:
 * a separator that is not plain ASCII, a constant that is not a safe integer (repeated float
 * addition would not equal count × value), a function with a context (which may rebind names).
 */
export function recognizeSplitCount(ops: readonly NarrowOp[], agg: Aggregator): Kernel | undefined {
  if (ops.length !== 2 || ops[0].kind !== 'flatMap' || ops[1].kind !== 'map') return undefined;
  if (agg.kind !== 'combine' || agg.create !== undefined || !isAddition(agg.merge) || !isAddition(agg.mergeCombiners)) return undefined;
  const separator = splitSeparator(ops[0].fn);
  const value = pairConstant(ops[1].fn);
  if (separator === undefined || value === undefined) return undefined;
  return { kind: 'splitCount', separator, value };
}

interface Facts {
  separator?: string;
  value?: number;
  addition?: boolean;
  sumUpdate?: boolean;
}

const cache = new WeakMap<object, Facts>();

function facts(ref: FnRef): Facts {
  let f = cache.get(ref);
  if (!f) {
    const fn = parseFunction(ref);
    f = fn ? { separator: separatorOf(fn), value: constantOf(fn), addition: additionOf(fn), sumUpdate: sumUpdateOf(fn) } : {};
    cache.set(ref, f);
  }
  return f;
}

/**
 * The seed's update function, `(vs, last) => vs.reduce((a, b) => a + b, 0) + (last ?? 0)` (or
 * `|| 0`, either order): it depends on its values only through their sum, so they may be summed
 * before it sees them.
 */
export function isSumUpdate(ref: FnRef): boolean {
  return facts(ref).sumUpdate === true;
}

/** `(line) => line.split(SEP)` with SEP a non-empty ASCII string literal: SEP. */
export function splitSeparator(ref: FnRef): string | undefined {
  return facts(ref).separator;
}

/** `(w) => [w, N]` with N a safe integer literal: N. */
export function pairConstant(ref: FnRef): number | undefined {
  return facts(ref).value;
}

/** `(a, b) => a + b` (or `b + a`, or a function returning it): true. */
export function isAddition(ref: FnRef): boolean {
  return facts(ref).addition === true;
}

type Fn = ArrowFunctionExpression | FunctionExpression;

function parseFunction(ref: FnRef): Fn | undefined {
  let source: string;
  if (typeof ref === 'function') source = ref.toString();
  else if (ref.context && Object.keys(ref.context).length > 0) return undefined;
  else source = ref.source;
  try {
    const node = parseExpressionAt(`(${source})`, 0, { ecmaVersion: 'latest' }) as Node as unknown as Expression;
    return node.type === 'ArrowFunctionExpression' || node.type === 'FunctionExpression' ? node : undefined;
  } catch {
    return undefined; // method shorthand and the like: not the seed's shapes
  }
}

/** The single expression a function returns, if that is all it does. */
function returned(fn: Fn): Expression | undefined {
  if (fn.async || fn.generator) return undefined;
  if (fn.body.type !== 'BlockStatement') return fn.body;
  const [only, ...rest] = fn.body.body;
  return rest.length === 0 && only?.type === 'ReturnStatement' && only.argument ? only.argument : undefined;
}

function params(fn: Fn, n: number): string[] | undefined {
  if (fn.params.length !== n || !fn.params.every((p: Pattern) => p.type === 'Identifier')) return undefined;
  const names = fn.params.map((p) => (p as { name: string }).name);
  return new Set(names).size === n ? names : undefined;
}

function separatorOf(fn: Fn): string | undefined {
  const [line] = params(fn, 1) ?? [];
  const body = returned(fn);
  if (!line || body?.type !== 'CallExpression' || body.arguments.length !== 1) return undefined;
  const { callee } = body;
  const [arg] = body.arguments;
  if (callee.type !== 'MemberExpression' || callee.object.type !== 'Identifier' || callee.object.name !== line) return undefined;
  const method = callee.computed
    ? callee.property.type === 'Literal' && callee.property.value
    : callee.property.type === 'Identifier' && callee.property.name;
  if (method !== 'split' || arg.type !== 'Literal' || typeof arg.value !== 'string') return undefined;
  return arg.value.length > 0 && /^[\x00-\x7f]+$/.test(arg.value) ? arg.value : undefined;
}

function constantOf(fn: Fn): number | undefined {
  const [word] = params(fn, 1) ?? [];
  const body = returned(fn);
  if (!word || body?.type !== 'ArrayExpression' || body.elements.length !== 2) return undefined;
  const [k, v] = body.elements;
  if (k?.type !== 'Identifier' || k.name !== word || v?.type !== 'Literal' || typeof v.value !== 'number') return undefined;
  return Number.isSafeInteger(v.value) ? v.value : undefined;
}

function sumUpdateOf(fn: Fn): boolean {
  const [values, last] = params(fn, 2) ?? [];
  const body = returned(fn);
  if (!values || body?.type !== 'BinaryExpression' || body.operator !== '+') return false;
  const isSum = (e: Expression): boolean => {
    if (e.type !== 'CallExpression' || e.arguments.length !== 2) return false;
    const { callee } = e;
    const [reducer, init] = e.arguments;
    return (
      callee.type === 'MemberExpression' && !callee.computed && callee.object.type === 'Identifier' && callee.object.name === values &&
      callee.property.type === 'Identifier' && callee.property.name === 'reduce' &&
      (reducer.type === 'ArrowFunctionExpression' || reducer.type === 'FunctionExpression') && additionOf(reducer) &&
      init.type === 'Literal' && init.value === 0
    );
  };
  const isLastOrZero = (e: Expression): boolean =>
    e.type === 'LogicalExpression' && (e.operator === '??' || e.operator === '||') &&
    e.left.type === 'Identifier' && e.left.name === last && e.right.type === 'Literal' && e.right.value === 0;
  const [l, r] = [body.left as Expression, body.right];
  return (isSum(l) && isLastOrZero(r)) || (isSum(r) && isLastOrZero(l));
}

function additionOf(fn: Fn): boolean {
  const names = params(fn, 2);
  const body = returned(fn);
  if (!names || body?.type !== 'BinaryExpression' || body.operator !== '+') return false;
  const { left, right } = body;
  if (left.type !== 'Identifier' || right.type !== 'Identifier') return false;
  return new Set([left.name, right.name]).size === 2 && names.includes(left.name) && names.includes(right.name);
}

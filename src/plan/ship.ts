/**
 * User functions cross to worker threads as source text: `fn.toString()` at definition time,
 * recompiled in the worker. Only the text travels, so a function that reads a variable of its
 * enclosing scope would find it missing on the worker; we refuse such functions up front, with
 * the names of the variables, instead of failing later with a ReferenceError on some thread.
 */
import vm from 'node:vm';
import { parse } from 'acorn';
import type * as ESTree from 'estree';
import { analyze } from 'periscopic';
import { ClosureCaptureError, FunctionSourceError } from '../errors.js';
import { resolveImport, type ResolvedImport } from './imports.js';
import { importedValue } from './module-registry.js';

/** A function made ready to cross to a worker: its source, plus an explicit context. */
export interface ShippedFunction {
  /** Unique per {@link shipFunction} call in this process; workers cache compiled functions by it. */
  readonly id: number;
  /** JS text that, as an expression, evaluates to the function. */
  readonly source: string;
  /** Names the source may use besides globals: shipped functions, or structured-cloneable values. */
  readonly context?: Readonly<Record<string, ShippedContextValue>>;
  /** Module URLs the function and its context functions import: loaded before it compiles. */
  readonly modules?: readonly string[];
}

/**
 * One context entry: a function (shipped in turn), a structured-cloneable value, or an export of
 * a module the thread imports (`imports`).
 */
export type ShippedContextValue = { readonly fn: ShippedFunction } | { readonly value: unknown } | { readonly import: ResolvedImport };

/** Modules a function uses on the workers, bound as its free variables (see `FnOptions.imports`). */
export interface ImportOptions {
  /** Variable name → `'specifier'` (the namespace) or `'specifier#export'`. */
  readonly imports?: Readonly<Record<string, string>>;
  /** Where relative and bare specifiers resolve from: the caller's `import.meta.url` (default: the working directory). */
  readonly importsFrom?: string | URL;
}

const MODULE_EXPORT = Symbol('chispa.moduleExport');

/**
 * A function exported by a module, to give to an operator: the worker threads import the module
 * and call its export, so a service's own code (and what it imports) runs there as it is. Under
 * master `local` the main thread imports it the same way. TypeScript modules load when the
 * program runs under tsx.
 *
 * The returned function can be called directly once the module was imported on this thread (a
 * job used it under `local`); before that it throws.
 *
 * @param module the module: a `file:` URL (`new URL('./ops.js', import.meta.url)`), a path, or a package name.
 * @param exportName the export to call; default `default`.
 * @example
 * ```ts
 * const events = lines.map(fromModule(new URL('./ops.js', import.meta.url), 'parseEvent'));
 * ```
 */
export function fromModule<F extends (...args: any[]) => any = (...args: any[]) => any>(module: string | URL, exportName = 'default'): F {
  const resolved = resolveImport(`${String(module)}#${exportName}`, undefined, 'fromModule');
  const fn = (...args: unknown[]): unknown => {
    const found = importedValue(resolved.url, resolved.name);
    if (!found || typeof found.value !== 'function') {
      throw new FunctionSourceError('fromModule', `${resolved.url}#${exportName} is not imported on this thread yet`);
    }
    return (found.value as (...a: unknown[]) => unknown)(...args);
  };
  Object.defineProperty(fn, MODULE_EXPORT, { value: resolved });
  Object.defineProperty(fn, 'name', { value: exportName });
  return fn as F;
}

/** The module export a {@link fromModule} function stands for, if it is one. */
export function moduleExportOf(fn: unknown): ResolvedImport | undefined {
  return typeof fn === 'function' ? (fn as { [MODULE_EXPORT]?: ResolvedImport })[MODULE_EXPORT] : undefined;
}

/** Whether shipping `fn` involves modules, so it must be shipped even under master `local`. */
export function usesModules(fn: unknown, opts?: ImportOptions): boolean {
  return moduleExportOf(fn) !== undefined || (opts?.imports !== undefined && Object.keys(opts.imports).length > 0);
}

/**
 * Bundler helpers that transpilers inject into function bodies and that we therefore provide in
 * the compiled scope. tsx (esbuild with keepNames) rewrites nested named functions as
 * `function inner(){…}__name(inner,"inner")` so that `.name` survives minification; the helper
 * itself lives at the top of the transformed module, i.e. outside the function's text. Vitest 4
 * on Vite 8 transforms with oxc, which (without keepNames) injects nothing: `toString()` there is
 * the plain, reformatted source. tsc at es2022 injects nothing for these shapes either.
 */
const HELPERS: Readonly<Record<string, unknown>> = {
  __name: (target: object, value: string) => Object.defineProperty(target, 'name', { value, configurable: true }),
};

/**
 * Globals that exist in a Node worker thread but not in a bare vm context. Module-scoped names
 * (require, module, exports, __dirname, __filename) are deliberately absent: they are not globals,
 * and a recompiled function cannot see them.
 */
const NODE_GLOBALS = [
  'global', 'globalThis', 'process', 'Buffer', 'console', 'WebAssembly',
  'setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'setImmediate', 'clearImmediate',
  'queueMicrotask', 'structuredClone', 'atob', 'btoa', 'performance', 'crypto', 'fetch',
  'TextEncoder', 'TextDecoder', 'TextEncoderStream', 'TextDecoderStream', 'URL', 'URLSearchParams',
  'AbortController', 'AbortSignal', 'Event', 'EventTarget', 'CustomEvent', 'DOMException',
  'Blob', 'File', 'FormData', 'Headers', 'Request', 'Response',
  'BroadcastChannel', 'MessageChannel', 'MessagePort', 'MessageEvent',
  'ReadableStream', 'WritableStream', 'TransformStream', 'CompressionStream', 'DecompressionStream',
  'ByteLengthQueuingStrategy', 'CountQueuingStrategy',
];

let allowList: ReadonlySet<string> | undefined;

/**
 * JS built-ins come from a fresh vm context, not from this thread's globalThis: test runners and
 * the application itself add globals that a worker thread will not have.
 */
function globalNames(): ReadonlySet<string> {
  if (!allowList) {
    const builtins = vm.runInContext('Object.getOwnPropertyNames(globalThis)', vm.createContext()) as string[];
    allowList = new Set([...builtins, ...NODE_GLOBALS, ...Object.keys(HELPERS)]);
  }
  return allowList;
}

let nextId = 1;

/**
 * Whether `fn` is an `async` function or async generator, from the engine's own tag for its kind:
 * what the function's parsed AST would say (`async: true`), without parsing, so it holds under
 * `local`, where functions are not shipped, and for what tsx or tsc emitted alike.
 */
export function isAsyncFunction(fn: Function): boolean {
  const tag = Object.prototype.toString.call(fn);
  return tag === '[object AsyncFunction]' || tag === '[object AsyncGeneratorFunction]';
}

/**
 * Prepares `fn` to run on a worker thread (definition time, main thread).
 *
 * @param fn the user function; its `toString()` must be complete, self-contained source.
 * @param operator the operator it is given to (`map`, `reduceByKey`, …), named in errors.
 * @param context values and functions the source may use by name; functions are shipped in turn,
 *   other values must survive `structuredClone` and are snapshotted now.
 * @throws ClosureCaptureError if the source uses variables of its enclosing scope.
 * @throws FunctionSourceError if the source cannot be shipped (native, bound, class, bad context).
 */
export function shipFunction(fn: Function, operator: string, context?: Record<string, unknown>, importOpts?: ImportOptions): ShippedFunction {
  if (typeof fn !== 'function') throw new FunctionSourceError(operator, `expected a function, got ${typeof fn}`);
  const exported = moduleExportOf(fn);
  if (exported) {
    return { id: nextId++, source: 'exported', context: { exported: { import: exported } }, modules: [exported.url] };
  }
  const imports = importOpts?.imports ?? {};
  const { source, root } = toExpression(String(fn), operator);

  // Every non-arrow function has an implicit `arguments` binding; declaring it as a parameter
  // lets the scope analysis report only an `arguments` that an arrow borrows from outside.
  eachNode(root, (node) => {
    if (node.type === 'FunctionExpression' || node.type === 'FunctionDeclaration') {
      node.params.push({ type: 'Identifier', name: 'arguments' });
    }
  });
  const allowed = globalNames();
  const captured = [...analyze(root).globals]
    .filter(([name]) => !allowed.has(name) && !(context && Object.hasOwn(context, name)) && !Object.hasOwn(imports, name))
    // periscopic keeps the first reference of each name; order by where it appears.
    .sort(([, a], [, b]) => position(a) - position(b))
    .map(([name]) => name);
  if (captured.length > 0) throw new ClosureCaptureError(operator, captured);

  const id = nextId++;
  if (!context && Object.keys(imports).length === 0) return { id, source };
  const shipped: Record<string, ShippedContextValue> = {};
  const modules = new Set<string>();
  for (const [key, spec] of Object.entries(imports)) {
    if (!isParameterName(key) || Object.hasOwn(HELPERS, key)) {
      throw new FunctionSourceError(operator, `import name '${key}' is not usable as a variable name`);
    }
    if (typeof spec !== 'string') throw new FunctionSourceError(operator, `import '${key}' must be a module specifier string`);
    const resolved = resolveImport(spec, importOpts?.importsFrom, operator);
    shipped[key] = { import: resolved };
    modules.add(resolved.url);
  }
  for (const [key, value] of Object.entries(context ?? {})) {
    if (!isParameterName(key) || Object.hasOwn(HELPERS, key)) {
      throw new FunctionSourceError(operator, `context key '${key}' is not usable as a variable name`);
    }
    if (Object.hasOwn(imports, key)) throw new FunctionSourceError(operator, `'${key}' is both imported and in the context`);
    if (typeof value === 'function') {
      // A helper may be async (mapAsync awaits what it returns); a sync operator that gets a
      // Promise from it fails the batch with AsyncFunctionError at run time.
      const inner = shipFunction(value, `${operator} context '${key}'`);
      shipped[key] = { fn: inner };
      for (const m of inner.modules ?? []) modules.add(m);
      continue;
    }
    try {
      // Snapshot now, so the main thread (master 'local') and workers see the same value.
      shipped[key] = { value: structuredClone(value) };
    } catch (err) {
      const why = err instanceof Error ? err.message : String(err);
      throw new FunctionSourceError(operator, `context value '${key}' cannot be sent to a worker thread (${why})`);
    }
  }
  return modules.size > 0 ? { id, source, context: shipped, modules: [...modules] } : { id, source, context: shipped };
}

/** Turns `fn.toString()` into an expression source, and the function node to analyse. */
function toExpression(text: string, operator: string): { source: string; root: ESTree.Node } {
  const first = parseExpression(`(${text})`);
  if (first.expression) {
    const node = first.expression;
    if (node.type === 'ArrowFunctionExpression' || node.type === 'FunctionExpression') return { source: text, root: node };
    if (node.type === 'ClassExpression') {
      throw new FunctionSourceError(operator, 'it is a class; pass a function (which may construct the class)');
    }
  }
  // Method shorthand (`foo(x) {…}`, `async *gen() {…}`) is not an expression on its own, but is
  // a valid member of an object literal: ship `({ foo(x) {…} }).foo`.
  const obj = parseExpression(`({${text}})`).expression;
  const member = obj?.type === 'ObjectExpression' && obj.properties.length === 1 ? obj.properties[0] : undefined;
  if (member?.type === 'Property' && member.value.type === 'FunctionExpression') {
    if (member.computed) throw new FunctionSourceError(operator, `a method with a computed name cannot be shipped; use a function`);
    if (member.kind !== 'init') throw new FunctionSourceError(operator, `it is a ${member.kind}ter; use a function`);
    const key = member.key;
    const access = key.type === 'Identifier' ? `.${key.name}` : `[${JSON.stringify(String((key as ESTree.Literal).value))}]`;
    return { source: `({${text}})${access}`, root: member.value };
  }
  if (text.includes('[native code]')) {
    throw new FunctionSourceError(operator, 'it is native code or a bound function; wrap it: (x) => Math.max(...x)');
  }
  throw new FunctionSourceError(operator, `its source is not a function expression (${first.error ?? 'unexpected shape'})`);
}

function parseExpression(text: string): { expression?: ESTree.Expression; error?: string } {
  let program: ESTree.Program;
  try {
    program = parse(text, { ecmaVersion: 'latest' }) as unknown as ESTree.Program;
  } catch (err) {
    return { error: err instanceof Error ? err.message : String(err) };
  }
  const statement = program.body.length === 1 ? program.body[0] : undefined;
  return statement?.type === 'ExpressionStatement' ? { expression: statement.expression } : {};
}

/** Whether `key` can be a parameter of the strict-mode function compileFunction builds. */
function isParameterName(key: string): boolean {
  const { expression } = parseExpression(`(${key}) => { "use strict"; }`);
  if (expression?.type !== 'ArrowFunctionExpression') return false;
  const [param, ...rest] = expression.params;
  return rest.length === 0 && param?.type === 'Identifier' && param.name === key;
}

function eachNode(node: ESTree.Node, visit: (node: ESTree.Node) => void): void {
  visit(node);
  for (const value of Object.values(node)) {
    for (const child of Array.isArray(value) ? value : [value]) {
      if (child !== null && typeof child === 'object' && typeof (child as { type?: unknown }).type === 'string') {
        eachNode(child as ESTree.Node, visit);
      }
    }
  }
}

function position(node: ESTree.Node): number {
  return (node as ESTree.Node & { start?: number }).start ?? 0;
}

function imported(ref: ResolvedImport): unknown {
  const found = importedValue(ref.url, ref.name);
  if (!found) throw new FunctionSourceError(`import '${ref.url}'`, 'the module was not loaded on this thread before the task ran');
  return found.value;
}

const MAX_CACHED = 10_000;
const compiled = new Map<number, (...args: any[]) => any>();

/**
 * Recompiles a shipped function (worker side; also usable on the main thread), binding its
 * context names and the bundler helpers. Cached by `id`.
 *
 * @throws FunctionSourceError if the source does not compile to a function.
 */
export function compileFunction(shipped: ShippedFunction): (...args: any[]) => any {
  const cached = compiled.get(shipped.id);
  if (cached) return cached;
  const entries = Object.entries(shipped.context ?? {});
  const names = [...Object.keys(HELPERS), ...entries.map(([key]) => key)];
  const values = [
    ...Object.values(HELPERS),
    ...entries.map(([, entry]) => ('fn' in entry ? compileFunction(entry.fn) : 'import' in entry ? imported(entry.import) : entry.value)),
  ];
  let fn: unknown;
  try {
    fn = new Function(...names, `"use strict"; return (${shipped.source});`)(...values);
  } catch (err) {
    const why = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
    throw new FunctionSourceError(`function #${shipped.id}`, `its source does not compile (${why})`);
  }
  if (typeof fn !== 'function') throw new FunctionSourceError(`function #${shipped.id}`, 'its source is not a function');
  // Workers live long and see many jobs; a bound cache is enough, the ids are never reused.
  if (compiled.size >= MAX_CACHED) compiled.clear();
  compiled.set(shipped.id, fn as (...args: any[]) => any);
  return fn as (...args: any[]) => any;
}

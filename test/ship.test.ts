import { describe, it, expect } from 'vitest';
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Worker } from 'node:worker_threads';
import { fileURLToPath } from 'node:url';
import { ClosureCaptureError, FunctionSourceError } from '../src/errors.js';
import { compileFunction, shipFunction, type ShippedFunction } from '../src/plan/ship.js';
import { SparkContext } from '../src/rdd/spark-context.js';

const run = promisify(execFile);
const root = fileURLToPath(new URL('..', import.meta.url));
const fixture = (name: string) => fileURLToPath(new URL(`./fixtures/ship/${name}`, import.meta.url));

/** A function whose `toString()` is exactly `text` (test transforms would reformat literals). */
const fromSource = (text: string): Function => new Function(`return (${text});`)();
/** A function declared by `text` (so `toString()` is the declaration), named `name`. */
const declared = (text: string, name: string): Function => new Function(`${text}\nreturn ${name};`)();

const roundTrip = (fn: Function, context?: Record<string, unknown>) => compileFunction(shipFunction(fn, 'map', context));

function thrown(f: () => unknown): unknown {
  try {
    f();
  } catch (err) {
    return err;
  }
  throw new Error('expected an error');
}

function captureOf(fn: Function, context?: Record<string, unknown>, operator = 'map'): ClosureCaptureError {
  const err = thrown(() => shipFunction(fn, operator, context));
  expect(err).toBeInstanceOf(ClosureCaptureError);
  return err as ClosureCaptureError;
}

function sourceErrorOf(fn: Function, context?: Record<string, unknown>): FunctionSourceError {
  const err = thrown(() => shipFunction(fn, 'map', context));
  expect(err).toBeInstanceOf(FunctionSourceError);
  expect((err as FunctionSourceError).code).toBe('CHISPA_ERR_FUNCTION_SOURCE');
  return err as FunctionSourceError;
}

describe('shipFunction / compileFunction: source shapes', () => {
  it('arrow functions, with and without parens, expression and block bodies', () => {
    expect(roundTrip(fromSource('x => x * 2'))(21)).toBe(42);
    expect(roundTrip(fromSource('(a, b) => { return a + b; }'))(1, 2)).toBe(3);
    expect(roundTrip((line: string) => line.split(' '))('a b')).toEqual(['a', 'b']);
  });

  it('async arrows and async functions', async () => {
    expect(await roundTrip(fromSource('async x => x + 1'))(1)).toBe(2);
    expect(await roundTrip(async function (x: number) { await null; return x * 3; })(2)).toBe(6);
  });

  it('function expressions and named declarations (the name stays usable for recursion)', () => {
    expect(roundTrip(function (x: number) { return -x; })(5)).toBe(-5);
    const fact = declared('function fact(n) { return n <= 1 ? 1 : n * fact(n - 1); }', 'fact');
    expect(String(fact)).toMatch(/^function fact/);
    const compiled = roundTrip(fact);
    expect(compiled(5)).toBe(120);
    expect(compiled.name).toBe('fact');
  });

  it('generators and async generators', async () => {
    const gen = roundTrip(function* (n: number) { for (let i = 0; i < n; i++) yield i; });
    expect([...gen(3)]).toEqual([0, 1, 2]);
    const agen = roundTrip(fromSource('async function* (n) { yield n; yield n + 1; }'));
    const seen: number[] = [];
    for await (const v of agen(7)) seen.push(v);
    expect(seen).toEqual([7, 8]);
  });

  it('method shorthand: plain, async, generator, string-keyed, and static class methods', async () => {
    const obj = {
      twice(x: number) { return x * 2; },
      async later(x: number) { return x + 1; },
      *pair(x: number) { yield x; yield x; },
      'with space'(x: number) { return `<${x}>`; },
    };
    class Parser { static parse(text: string) { return JSON.parse(text); } }
    expect(String(obj.twice)).toMatch(/^twice\(/);
    const twice = shipFunction(obj.twice, 'map');
    expect(twice.source).toMatch(/^\(\{twice\(/);
    expect(compileFunction(twice)(4)).toBe(8);
    expect(await roundTrip(obj.later)(1)).toBe(2);
    expect([...roundTrip(obj.pair)(9)]).toEqual([9, 9]);
    expect(roundTrip(obj['with space'])(1)).toBe('<1>');
    expect(roundTrip(Parser.parse)('[1]')).toEqual([1]);
  });

  it('a method does not see its own name: using it is a capture', () => {
    const obj = { again(n: number): number { return n; } };
    const m = fromSource('({ again(n) { return n > 0 ? again(n - 1) : 0; } }).again');
    expect(roundTrip(obj.again)(1)).toBe(1);
    expect(captureOf(m).variables).toEqual(['again']);
  });

  it('nested named functions compile and keep their names (esbuild __name wrapper included)', () => {
    function outer() {
      function inner() { return 1; }
      const arrow = () => 2;
      return [inner.name, arrow.name, inner() + arrow()];
    }
    expect(roundTrip(outer)()).toEqual(['inner', 'arrow', 3]);
    // What tsx (esbuild, keepNames) emits for the same function: __name comes from the module
    // prelude, outside the function's text, so compileFunction must supply it.
    const esbuilt = fromSource(
      'function outer(){function inner(){return 1}__name(inner,"inner");const arrow=__name(()=>2,"renamed");return[inner.name,arrow.name,inner()+arrow()]}',
    );
    expect(roundTrip(esbuilt)()).toEqual(['inner', 'renamed', 3]);
  });

  it('native and bound functions are refused with a hint', () => {
    for (const fn of [Math.max, parseInt, ((x: number) => x).bind(null), Array.prototype.map]) {
      const err = sourceErrorOf(fn);
      expect(err.operator).toBe('map');
      expect(err.message).toContain('native code or a bound function');
      expect(err.message).toContain('wrap it');
    }
  });

  it('classes, accessors, computed method names and non-functions are refused', () => {
    expect(sourceErrorOf(class A {}).message).toContain('class');
    const getter = Object.getOwnPropertyDescriptor({ get size() { return 1; } }, 'size')!.get!;
    expect(sourceErrorOf(getter).message).toContain('getter');
    const iter = ({ [Symbol.iterator]() { return [][Symbol.iterator](); } })[Symbol.iterator];
    expect(sourceErrorOf(iter).message).toContain('computed');
    sourceErrorOf(42 as unknown as Function);
  });
});

describe('shipFunction: free-variable analysis', () => {
  it('a captured variable is a ClosureCaptureError naming the operator, the variable and the fix', () => {
    const factor = 3;
    const err = captureOf((x: number) => x * factor, undefined, 'reduceByKey');
    expect(err.code).toBe('CHISPA_ERR_CLOSURE_CAPTURE');
    expect(err.operator).toBe('reduceByKey');
    expect(err.variables).toEqual(['factor']);
    expect(err.message).toContain('reduceByKey');
    expect(err.message).toContain("'factor'");
    expect(err.message).toContain('context');
    expect(err.message).toContain("'local'");
  });

  it('lists every captured variable once, in order of first appearance', () => {
    const err = captureOf(fromSource('x => zeta(x) + alpha + zeta(1) + x.beta + mid'));
    expect(err.variables).toEqual(['zeta', 'alpha', 'mid']);
  });

  it('allows JavaScript and Node globals', () => {
    const fn = (s: string) => {
      const m = new Map<string, number>([[s, parseInt('7', 10)]]);
      console.debug(typeof Buffer.from(s), typeof process.pid, typeof setTimeout, typeof URL, typeof structuredClone);
      return [Math.max(1, m.get(s)!), JSON.stringify({ s }), undefined, NaN, Infinity, new TextEncoder().encode(s).length];
    };
    expect(roundTrip(fn)('ab')).toEqual([7, '{"s":"ab"}', undefined, NaN, Infinity, 2]);
    expect(() => shipFunction(fromSource('() => [globalThis, WebAssembly, queueMicrotask, crypto, fetch, Intl, Symbol]'), 'map')).not.toThrow();
  });

  it("refuses names that are globals only on this thread, and module-scoped names", () => {
    (globalThis as Record<string, unknown>).chispaShipTestGlobal = 1;
    try {
      const err = captureOf(fromSource('() => chispaShipTestGlobal + require("x") + __dirname'));
      expect(err.variables).toEqual(['chispaShipTestGlobal', 'require', '__dirname']);
    } finally {
      delete (globalThis as Record<string, unknown>).chispaShipTestGlobal;
    }
  });

  it('does not report declared or shadowed names', () => {
    const fn = fromSource(`({ a, b: [c] }, d = a, ...rest) => {
      let total = a + c + d + rest.length;
      const k = 2;
      var v = 1;
      function helper(n) { return n * k; }
      class Box { constructor(x) { this.x = x; } }
      for (const item of [1, 2]) total += helper(item);
      for (let i = 0; i < 1; i++) total += i;
      for (const key in { q: 1 }) total += key.length;
      try { throw new Error('x'); } catch (e) { total += e.message.length; }
      try { JSON.parse('{'); } catch { total += 1; }
      outer: for (;;) { break outer; }
      const o = { total: 1, nested: { v } };
      return total + o.total + o.nested.v + new Box(1).x + (function named() { return typeof named; })().length;
    }`);
    // a+c+d+rest, helper(1)+helper(2), i, 'q', 'x', bare catch, o.total+o.nested.v+Box, 'function'
    expect(roundTrip(fn)({ a: 3, b: [2] })).toBe(3 + 2 + 3 + 0 + 2 + 4 + 0 + 1 + 1 + 1 + 1 + 1 + 1 + 8);
  });

  it('`arguments` of a function is its own; an arrow borrowing it from outside is a capture', () => {
    expect(roundTrip(function () { return arguments.length; })(1, 2, 3)).toBe(3);
    expect(roundTrip(fromSource('() => (function () { return arguments.length; })(1, 2)'))()).toBe(2);
    expect(captureOf(fromSource('() => arguments[0]')).variables).toEqual(['arguments']);
  });
});

describe('shipFunction: context', () => {
  it('binds numbers, objects and functions by name', () => {
    const fn = fromSource('x => helper(x) * factor + table.offset');
    const compiled = roundTrip(fn, { factor: 3, table: { offset: 1 }, helper: (v: number) => v * 2 });
    expect(compiled(5)).toBe(31);
  });

  it('ships function values recursively; each must be self-contained', () => {
    const shipped = shipFunction(fromSource('x => inc(x) * step'), 'map', { inc: fromSource('x => x + 1'), step: 2 });
    expect(shipped.context!.inc).toHaveProperty('fn');
    expect(shipped.context!.step).toEqual({ value: 2 });
    expect(compileFunction(shipped)(1)).toBe(4);
    // A context function gets no context of its own: a sibling key is a capture, reported under
    // the key's name.
    const err = captureOf(fromSource('x => inc(x)'), { inc: fromSource('x => x + step'), step: 1 });
    expect(err.variables).toEqual(['step']);
    expect(err.operator).toBe("map context 'inc'");
    expect(err.message).toContain("map context 'inc'");
  });

  it('snapshots values at definition time, as a worker would receive them', () => {
    const table = { offset: 1 };
    const shipped = shipFunction(fromSource('() => table.offset'), 'map', { table });
    table.offset = 100;
    expect(compileFunction(shipped)()).toBe(1);
  });

  it('refuses values that cannot be structured-cloned, naming the key', () => {
    const err = sourceErrorOf(fromSource('() => bad'), { bad: { f: () => 1 } });
    expect(err.message).toContain("'bad'");
  });

  it('refuses keys that are not identifiers', () => {
    for (const key of ['class', 'a-b', '1x', 'eval', '__name', 'a = 1']) {
      expect(sourceErrorOf(fromSource('() => 1'), { [key]: 1 }).message).toContain(`'${key}'`);
    }
  });
});

describe('compileFunction', () => {
  it('gives each shipped function its own id and caches compiled functions by it', () => {
    const fn = (x: number) => x;
    const a = shipFunction(fn, 'map');
    const b = shipFunction(fn, 'map');
    expect(a.id).not.toBe(b.id);
    expect(compileFunction(a)).toBe(compileFunction(a));
    expect(compileFunction(a)).not.toBe(compileFunction(b));
  });

  it('survives structuredClone, as when posted to a worker', () => {
    const shipped = shipFunction(fromSource('x => h(x) + k'), 'map', { h: (x: number) => x * 10, k: 1 });
    const copy = structuredClone(shipped) as ShippedFunction;
    expect(compileFunction({ ...copy, id: -1 })(2)).toBe(21);
  });

  it('turns sources that do not compile into FunctionSourceError', () => {
    const err = thrown(() => compileFunction({ id: -2, source: 'x =>' }));
    expect(err).toBeInstanceOf(FunctionSourceError);
    expect((err as FunctionSourceError).message).toContain('SyntaxError');
    expect(thrown(() => compileFunction({ id: -3, source: '42' }))).toBeInstanceOf(FunctionSourceError);
  });

  it('runs on a worker thread', async () => {
    const file = new URL('./fixtures/ship/worker.ts', import.meta.url).href;
    // tsx registered inside the worker: --import in a worker's execArgv does not apply to its entry on Node 20.
    const worker = new Worker(
      `import('tsx/esm/api').then((api) => { api.register(); return import(${JSON.stringify(file)}); })`,
      { eval: true },
    );
    try {
      const shipped = shipFunction(fromSource('line => line.split(" ").map((w) => twice(w) + suffix)'), 'flatMap', {
        twice: (w: string) => w.repeat(2),
        suffix: '!',
      });
      const reply = await new Promise((resolve, reject) => {
        worker.once('message', resolve);
        worker.once('error', reject);
        worker.postMessage({ shipped, args: ['a b'] });
      });
      expect(reply).toEqual({ ok: true, value: ['aa!', 'bb!'] });
    } finally {
      await worker.terminate();
    }
  });
});

describe('user programs run through tsx or compiled by tsc', () => {
  it('tsx: esbuild-transformed functions ship and run', async () => {
    const { stdout } = await run(process.execPath, ['--import', 'tsx', fixture('tsx-program.ts')], { cwd: root });
    const out = JSON.parse(stdout);
    expect(out.split).toEqual(['a', 'b', 'c']);
    // esbuild's keepNames wrapper is really there, and handled.
    expect(out.nestedSource).toContain('__name(inner,"inner")');
    expect(out.nested).toEqual(['inner', 'arrow', 10]);
    expect(out.scaled).toBe(20);
    expect(out.captureError).toEqual({ code: 'CHISPA_ERR_CLOSURE_CAPTURE', variables: ['factor'] });
  });

  it('tsc: functions as tsc emits them (es2022) ship and run', async () => {
    const outDir = await mkdtemp(join(tmpdir(), 'chispa-ship-'));
    try {
      const tsc = join(root, 'node_modules/.bin/tsc');
      // --ignoreConfig: with files on the command line, tsc 7 refuses to run beside a tsconfig.json.
      const flags = ['--ignoreConfig', '--target', 'es2022', '--module', 'nodenext', '--outDir', outDir];
      await run(process.execPath, [tsc, fixture('tsc-program.ts'), ...flags], { cwd: root });
      await writeFile(join(outDir, 'package.json'), '{"type":"module"}');
      const { stdout } = await run(process.execPath, [join(outDir, 'tsc-program.js')]);
      const sources = JSON.parse(stdout) as Record<string, string>;
      const load = (name: string) => roundTrip(fromSource(sources[name]!));
      const loadMethod = (name: string) => roundTrip(fromSource(`({ ${sources[name]} }).${name}`));

      expect(load('split')('x y')).toEqual(['x', 'y']);
      expect(load('add')(2, 3)).toBe(5);
      expect(load('withNested')(4)).toEqual(['inner', 8]);
      expect(await load('later')(1)).toBe(2);
      expect([...load('upTo')(3)]).toEqual([0, 1, 2]);
      expect(load('optional')({ a: { b: 5 } })).toBe(5);
      expect(load('optional')(undefined)).toBe(-1);
      expect(sources.twice).toMatch(/^twice\(/);
      expect(loadMethod('twice')(4)).toBe(8);
      expect(loadMethod('parse')('{"a":1}')).toEqual({ a: 1 });
    } finally {
      await rm(outDir, { recursive: true, force: true });
    }
  });
});

describe('SparkContext.prepareFunction on a worker pool', () => {
  it('ships a closure made again with the same source (a lambda inside foreachRDD) once, under one id', async () => {
    const sc = new SparkContext({ master: 'local[2]' });
    try {
      const perBatch = () => (x: number) => x + 1;
      const a = sc.prepareFunction(perBatch(), 'map') as ShippedFunction;
      const b = sc.prepareFunction(perBatch(), 'mapPartitions') as ShippedFunction;
      expect(b).toBe(a);
      expect(sc.prepareFunction((x: number) => x + 2, 'map')).not.toBe(a);
      // A context travels with its function: the same source with a context is shipped apart.
      const withK = fromSource('x => x + k') as (x: number) => number;
      const one = sc.prepareFunction(withK, 'map', { k: 1 }) as ShippedFunction;
      expect((sc.prepareFunction(withK, 'map', { k: 2 }) as ShippedFunction).id).not.toBe(one.id);
    } finally {
      await sc.stop();
    }
  });
});

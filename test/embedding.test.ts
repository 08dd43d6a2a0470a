import { createHash as mainThreadHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ClosureCaptureError, FunctionSourceError, fromModule, SparkContext } from '../src/index.js';

// Functions that use modules on the workers: named imports bound as free variables, and
// functions exported from the program's own (TypeScript) modules.

// Declared, not imported: under vitest an imported name is rewritten into a module object in the
// function's source; a program run by node or tsx imports it as usual (see examples/).
declare const createHash: typeof import('node:crypto').createHash;
declare const periscopic: typeof import('periscopic');
declare const acorn: typeof import('acorn');

const sha1 = (s: string) => mainThreadHash('sha1').update(s).digest('hex');

describe.each(['local', 'local[2]'] as const)('functions that import modules on %s', (master) => {
  let sc: SparkContext;
  beforeAll(() => {
    sc = new SparkContext({ master, appName: 'embedding' });
  });
  afterAll(() => sc.stop());

  it('binds a named export of a Node built-in as a free variable', async () => {
    const words = ['alpha', 'beta', 'gamma', 'delta'];
    const out = await sc
      .parallelize(words, 2)
      .map((w: string) => createHash('sha1').update(w).digest('hex'), { imports: { createHash: 'node:crypto#createHash' } })
      .collect();
    expect(out).toEqual(words.map(sha1));
  });

  it('binds npm packages (an ESM-only one as its namespace) resolved from the caller', async () => {
    const out = await sc
      .parallelize(['(x) => x + y', 'a + b * c'], 2)
      .map(
        (src: string) => [...periscopic.analyze(acorn.parse(src, { ecmaVersion: 'latest' }) as never).globals.keys()].sort(),
        { imports: { periscopic: 'periscopic', acorn: 'acorn' }, importsFrom: import.meta.url },
      )
      .collect();
    expect(out).toEqual([['y'], ['a', 'b', 'c']]);
  });

  it('runs a function exported by the program’s own TypeScript module, with its own imports', async () => {
    const parseEvent = fromModule<(line: string) => { route: string; ms: number; digest: string }>(
      new URL('./fixtures/embedding/ops.ts', import.meta.url),
      'parseEvent',
    );
    const lines = ['GET /a/12 30', 'GET /a/7 10', 'POST /b 5'];
    const perRoute = await sc
      .parallelize(lines, 2)
      .map(parseEvent)
      .map((e) => [e.route, e.ms] as [string, number])
      .reduceByKey((a, b) => a + b)
      .collect();
    expect(perRoute.sort()).toEqual([['GET /a/:id', 40], ['POST /b', 5]]);
    const digests = await sc.parallelize(lines, 2).map(parseEvent).map((e) => e.digest).collect();
    expect(digests).toEqual(lines.map((l) => sha1(l).slice(0, 8)));
  });

  it('a missing export fails the job with FunctionSourceError naming the operator', async () => {
    const missing = fromModule(new URL('./fixtures/embedding/ops.ts', import.meta.url), 'noSuchExport');
    const err = await sc.parallelize([1, 2], 2).map(missing).collect().catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'CHISPA_ERR_FUNCTION_SOURCE', operator: 'map' });
    expect(String((err as Error).message)).toContain('noSuchExport');
  });
});

describe('the closure check with imports', () => {
  it('accepts what is imported and keeps naming what is not', () => {
    const sc = new SparkContext({ master: 'local[1]', appName: 'closure-imports' });
    try {
      const salt = 'x';
      const rdd = sc.parallelize(['a']);
      let err: unknown;
      try {
        rdd.map((w: string) => createHash('sha1').update(w + salt).digest('hex'), { imports: { createHash: 'node:crypto#createHash' } });
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(ClosureCaptureError);
      expect((err as ClosureCaptureError).variables).toEqual(['salt']);
    } finally {
      void sc.stop();
    }
  });

  it('refuses an import that does not resolve, at definition', () => {
    const sc = new SparkContext({ master: 'local[1]', appName: 'closure-imports' });
    try {
      const rdd = sc.parallelize(['a']);
      expect(() => rdd.map((w: string) => w, { imports: { nope: 'no-such-package-xyz' } })).toThrow(FunctionSourceError);
      expect(() => fromModule(new URL('./fixtures/embedding/missing.ts', import.meta.url), 'f')).toThrow(/cannot resolve import/);
    } finally {
      void sc.stop();
    }
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SparkContext, type RDD } from '../src/index.js';
import { rejection } from './helpers/errors.js';
import { MASTERS } from './helpers/streaming.js';

// Whole-stage fusion: a run of element-wise operations runs as one generated function; results and
// the operator named by a failure are as if each operation ran alone.

describe.each(MASTERS)('fused stages under %s', (master) => {
  let sc: SparkContext;
  beforeAll(() => {
    sc = new SparkContext({ master });
  });
  afterAll(() => sc.stop());

  it('gives the results of the operations one by one', async () => {
    const got = await sc
      .parallelize(['a b', 'c', '', 'd e f'], 2)
      .map((l) => l.toUpperCase())
      .filter((l) => l !== '')
      .flatMap((l) => l.split(' '))
      .keyBy((w) => w.charCodeAt(0) % 2)
      .mapValues((w) => w + '!')
      .flatMapValues((w) => [w, w.length])
      .collect();
    expect(got).toEqual([
      [1, 'A!'], [1, 2], [0, 'B!'], [0, 2], [1, 'C!'], [1, 2],
      [0, 'D!'], [0, 2], [1, 'E!'], [1, 2], [0, 'F!'], [0, 2],
    ]);
  });

  it('names the operator that threw, wherever it is in the fused run', async () => {
    const base = () => sc.parallelize(['a b', 'c'], 1).map((l) => l + ' x');
    const cases: [() => Promise<unknown>, string][] = [
      [() => base().flatMap((l) => { if (l.startsWith('c')) throw new Error('flat'); return l.split(' '); }).map((w) => w).collect(), 'flatMap'],
      [() => base().flatMap((l) => l.split(' ')).map((w) => { if (w === 'x') throw new Error('mapped'); return w; }).collect(), 'map'],
      [() => base().filter((l) => { throw new Error(`no ${l.length}`); }).collect(), 'filter'],
      // Not a pair: the type system says so too, hence the cast to reach the run-time check.
      [() => (base() as unknown as RDD<[string, string]>).mapValues((v) => v).collect(), 'mapValues'],
    ];
    for (const [run, op] of cases) {
      const err = await rejection(run());
      expect(err.code).toBe(op === 'mapValues' ? 'CHISPA_ERR_NOT_A_PAIR' : 'CHISPA_ERR_USER_FUNCTION');
      expect(err.operator).toBe(op);
    }
  });
});

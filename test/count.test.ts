import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { add, RDD, SparkContext } from '../src/index.js';
import { sourceCount } from '../src/exec/read-source.js';
import { LineBatchBuilder } from '../src/memory/line-batch.js';
import { SegmentPool } from '../src/memory/segment-pool.js';
import { readStateBlock, StateBlockWriter } from '../src/memory/state-block.js';
import { LineSplitter } from '../src/sources/line-splitter.js';
import { splitLines } from '../src/rdd/line-rdd.js';

// count() straight on a source reads only its size; it must be what collecting gives.

describe.each(['local', 'local[2]'])('count() on sources under %s', (master) => {
  let sc: SparkContext;
  beforeAll(() => {
    sc = new SparkContext({ master });
  });
  afterAll(async () => {
    await sc.stop();
  });

  it('equals the number of records collected, for every kind of source', async () => {
    const builder = new LineBatchBuilder(new SegmentPool({ byteCapacity: 64, lineCapacity: 4 }));
    const splitter = new LineSplitter(builder);
    splitter.write(new TextEncoder().encode('a b\n\nc\r\nd e f\ng h i j k l m n o p\nq\n'));
    splitter.end();
    const batch = builder.cut();
    const lines = new RDD<string>(sc, { kind: 'source', partitions: splitLines(batch, 2).map((ranges) => ({ kind: 'lines' as const, ranges })) });
    const data = sc.parallelize([3, 1, 2, 5, 4, 1, 1], 3);
    const rdds: RDD<unknown>[] = [
      lines,
      data,
      sc.emptyRDD(),
      data.repartition(2),
      data.sortBy((x) => x),
      data.map((x) => [x, 1]).reduceByKey(add),
      lines.flatMap((l) => l.split(' ')),
    ];
    for (const rdd of rdds) expect(await rdd.count()).toBe((await rdd.collect()).length);
    expect(batch.segments.every((s) => s.reads > 0)).toBe(true);
  });
});

it('a state block counts its pairs', () => {
  const w = new StateBlockWriter();
  for (const k of ['a', 'b', 'c']) w.add(k, k.length);
  const sab = w.seal();
  expect(sourceCount({ kind: 'state', part: sab })).toBe([...readStateBlock(sab)].length);
});

import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { add, ManualClock, SparkContext, StreamingContext, type BatchInfo, type TaskEndInfo } from '../src/index.js';
import { MASTERS, sorted, waitFor } from './helpers/streaming.js';

// saveAsTextFile / saveAsTextFiles against real directories: part files as Hadoop names them,
// records as PySpark's str() writes them, _SUCCESS, and an atomic, replacing commit.

const roots: string[] = [];
function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'chispa-save-'));
  roots.push(d);
  return d;
}

/** The part files of an output directory, in order. */
function parts(dir: string): string[] {
  return readdirSync(dir).filter((n) => n.startsWith('part-')).sort();
}

/** Every line of every part file, in part order. */
function savedLines(dir: string): string[] {
  return parts(dir).flatMap((p) => {
    const text = readFileSync(join(dir, p), 'utf8');
    return text === '' ? [] : text.replace(/\n$/, '').split('\n');
  });
}

afterAll(() => {
  for (const d of roots) rmSync(d, { recursive: true, force: true });
});

describe.each(MASTERS)('saveAsTextFile under %s', (master) => {
  let sc: SparkContext;
  beforeAll(() => {
    sc = new SparkContext({ master, appName: 'save' });
  });
  afterAll(() => sc.stop());

  it('writes one part file per partition, records as str(), and _SUCCESS, with no temporary directory left', async () => {
    const root = tempDir();
    const out = join(root, 'out');
    const records: unknown[] = ['plain string', "it's", ['a', 1], ['b', [1, 2, 3]], 42, null, true, { k: 'v' }, ''];
    await sc.parallelize(records, 3).saveAsTextFile(out);
    expect(parts(out)).toEqual(['part-00000', 'part-00001', 'part-00002']);
    expect(existsSync(join(out, '_SUCCESS'))).toBe(true);
    expect(readFileSync(join(out, '_SUCCESS'), 'utf8')).toBe('');
    expect(savedLines(out)).toEqual([
      'plain string',
      "it's",
      "('a', 1)",
      "('b', [1, 2, 3])",
      '42',
      'None',
      'True',
      "{'k': 'v'}",
      '',
    ]);
    for (const p of parts(out)) expect(readFileSync(join(out, p), 'utf8')).toMatch(/\n$/);
    expect(readdirSync(root)).toEqual(['out']);
  });

  it('writes the WordCount pairs as PySpark does', async () => {
    const out = join(tempDir(), 'counts');
    const rdd = sc.parallelize(['a b', 'b c c'], 2).flatMap((l) => l.split(' ')).map((w) => [w, 1]).reduceByKey(add);
    await rdd.saveAsTextFile(out);
    expect(parts(out)).toHaveLength(await rdd.getNumPartitions());
    expect(savedLines(out).sort()).toEqual(["('a', 1)", "('b', 2)", "('c', 2)"]);
  });

  it('writes an empty part file for an empty partition', async () => {
    const out = join(tempDir(), 'sparse');
    await sc.parallelize(['only'], 3).saveAsTextFile(out);
    expect(parts(out)).toEqual(['part-00000', 'part-00001', 'part-00002']);
    expect(parts(out).map((p) => readFileSync(join(out, p), 'utf8')).sort()).toEqual(['', '', 'only\n']);
  });

  it('saving again to the same path replaces the previous output whole', async () => {
    const root = tempDir();
    const out = join(root, 'again');
    await sc.parallelize(['old 1', 'old 2', 'old 3', 'old 4'], 4).saveAsTextFile(out);
    expect(parts(out)).toHaveLength(4);
    writeFileSync(join(out, 'stray'), 'left by someone');
    await sc.parallelize(['new 1', 'new 2'], 2).saveAsTextFile(out);
    expect(readdirSync(out).sort()).toEqual(['_SUCCESS', 'part-00000', 'part-00001']);
    expect(savedLines(out)).toEqual(['new 1', 'new 2']);
    expect(readdirSync(root)).toEqual(['again']);
  });

  it('a failing task leaves neither the output nor a temporary directory', async () => {
    const root = tempDir();
    const out = join(root, 'failed');
    const rdd = sc.parallelize([1, 2, 3], 3).map((x) => {
      if (x === 2) throw new Error('boom');
      return x;
    });
    await expect(rdd.saveAsTextFile(out)).rejects.toThrow('boom');
    expect(readdirSync(root)).toEqual([]);
  });

  it('creates missing parent directories', async () => {
    const out = join(tempDir(), 'a', 'b', 'c');
    await sc.parallelize(['x'], 1).saveAsTextFile(out);
    expect(savedLines(out)).toEqual(['x']);
  });

  it('saveAsTextFiles writes prefix-<time>.<suffix> for every batch', async () => {
    const root = tempDir();
    const prefix = join(root, 'batch');
    const clock = new ManualClock(0);
    const ssc = new StreamingContext(sc, 1, { clock });
    const infos: BatchInfo[] = [];
    ssc.addStreamingListener({ onBatchCompleted: (i) => void infos.push(i) });
    const words = ssc.queueStream([['a b a'], ['c']]).flatMap((l) => l.split(' ')).map((w) => [w, 1]).reduceByKey(add);
    words.saveAsTextFiles(prefix, 'txt');
    ssc.queueStream([['bare']]).saveAsTextFiles(join(root, 'plain'));
    ssc.start();
    try {
      for (let i = 1; i <= 3; i++) {
        clock.advance(1000);
        await waitFor(() => infos.length >= i, `batch ${i}`);
        expect(infos[i - 1].failures).toEqual([]);
      }
    } finally {
      await ssc.stop(false);
    }
    expect(readdirSync(root).sort()).toEqual([
      'batch-1000.txt',
      'batch-2000.txt',
      'batch-3000.txt',
      'plain-1000',
      'plain-2000',
      'plain-3000',
    ]);
    expect(sorted(savedLines(join(root, 'batch-1000.txt')))).toEqual(["('a', 2)", "('b', 1)"]);
    expect(savedLines(join(root, 'batch-2000.txt'))).toEqual(["('c', 1)"]);
    // An empty batch still gets its directory: the shuffle's one (empty) part, or with no
    // partitions at all (the drained queue's empty RDD) only _SUCCESS.
    expect(readdirSync(join(root, 'batch-3000.txt')).sort()).toEqual(['_SUCCESS', 'part-00000']);
    expect(savedLines(join(root, 'batch-3000.txt'))).toEqual([]);
    expect(savedLines(join(root, 'plain-1000'))).toEqual(['bare']);
    expect(readdirSync(join(root, 'plain-2000'))).toEqual(['_SUCCESS']);
  });
});

describe('saveAsTextFile on worker threads', () => {
  let sc: SparkContext;
  beforeAll(() => {
    sc = new SparkContext({ master: 'local[2]', appName: 'save-workers' });
  });
  afterAll(() => sc.stop());

  it('each part file is written by its task on a worker', async () => {
    const out = join(tempDir(), 'workers');
    const ends: TaskEndInfo[] = [];
    const listener = { onTaskEnd: (i: TaskEndInfo) => void ends.push(i) };
    sc.addSparkListener(listener);
    try {
      await sc.parallelize(['a', 'b', 'c', 'd'], 4).saveAsTextFile(out);
    } finally {
      sc.removeSparkListener(listener);
    }
    expect(ends.map((e) => e.partition).sort()).toEqual([0, 1, 2, 3]);
    expect(ends.every((e) => e.ok && e.threadId !== 0)).toBe(true);
    expect(savedLines(out)).toEqual(['a', 'b', 'c', 'd']);
  });
});

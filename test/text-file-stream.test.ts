import { appendFileSync, mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  add,
  IllegalArgumentError,
  IllegalStateError,
  ManualClock,
  SparkContext,
  StreamingContext,
  type BatchInfo,
  type DStream,
  type FileInputDStream,
  type TextFileStreamOptions,
} from '../src/index.js';
import { thrown } from './helpers/errors.js';
import { captureLog } from './helpers/log.js';
import { MASTERS, sorted, waitFor } from './helpers/streaming.js';

// textFileStream against real files in a temporary directory, driven by a manual clock: each test
// moves files in between batches and checks each batch's lines exactly.

const roots: string[] = [];
function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'chispa-tfs-'));
  roots.push(d);
  return d;
}

/** Writes `name` atomically, as users must: to a dot-file first, then renamed into place. */
function drop(dir: string, name: string, content: string | Uint8Array): void {
  const tmp = join(dir, `.${name}.tmp`);
  writeFileSync(tmp, content);
  renameSync(tmp, join(dir, name));
}

function oracle(lines: readonly string[]): [string, number][] {
  const counts = new Map<string, number>();
  for (const line of lines) for (const w of line.split(' ')) counts.set(w, (counts.get(w) ?? 0) + 1);
  return [...counts];
}

/** A started context on a manual clock reading `dir`; `step()` runs one batch and returns its lines. */
function harness<T = string>(
  sc: SparkContext,
  dir: string,
  opts?: TextFileStreamOptions,
  build: (lines: DStream<string>) => DStream<T> = (l) => l as unknown as DStream<T>,
  before?: (input: FileInputDStream) => void,
) {
  const clock = new ManualClock(0);
  const ssc = new StreamingContext(sc, 1, { clock });
  const input = ssc.textFileStream(dir, opts);
  before?.(input);
  const outputs: T[][] = [];
  const infos: BatchInfo[] = [];
  build(input).foreachRDD(async (rdd) => void outputs.push(await rdd.collect()));
  ssc.addStreamingListener({ onBatchCompleted: (i) => void infos.push(i) });
  ssc.start();
  return {
    ssc,
    input,
    infos,
    async step(): Promise<T[]> {
      const n = infos.length + 1;
      clock.advance(1000);
      await waitFor(() => infos.length >= n, `batch ${n}`);
      expect(infos[n - 1].failures).toEqual([]);
      return outputs[n - 1];
    },
    stop: () => ssc.stop(false),
  };
}

afterEach(() => {
  vi.restoreAllMocks();
});

afterAll(() => {
  for (const d of roots) rmSync(d, { recursive: true, force: true });
});

describe.each(MASTERS)('textFileStream under %s', (master) => {
  let sc: SparkContext;
  beforeAll(() => {
    sc = new SparkContext({ master, appName: 'textFileStream' });
  });
  afterAll(() => sc.stop());

  it("gives each batch exactly the lines of the files moved in since the last one, in name order", async () => {
    const dir = tempDir();
    const h = harness(sc, dir);
    try {
      drop(dir, 'b.txt', 'b1\nb2\n');
      drop(dir, 'a.txt', 'a1\na2\na3\n');
      expect(await h.step()).toEqual(['a1', 'a2', 'a3', 'b1', 'b2']);
      drop(dir, 'c.txt', 'c1\n');
      expect(await h.step()).toEqual(['c1']);
      expect(await h.step()).toEqual([]);
      expect(h.infos.map((i) => i.numRecords)).toEqual([5, 1, 0]);
    } finally {
      await h.stop();
    }
  });

  it('WordCount over the files matches a single-thread oracle, batch by batch', async () => {
    const dir = tempDir();
    const text = Array.from({ length: 3000 }, (_, i) => `w${i % 97} el niño ${i % 5 === 0 ? 'ñandú 🎉' : 'x'} w${i % 13}`);
    const batches = [text.slice(0, 1000), text.slice(1000, 1200), [], text.slice(1200)];
    const h = harness<[string, number]>(sc, dir, undefined, (lines) =>
      lines.flatMap((l) => l.split(' ')).map((w) => [w, 1]).reduceByKey(add),
    );
    try {
      for (const [i, batch] of batches.entries()) {
        // Each batch's lines spread over a few files.
        for (let f = 0; f * 300 < batch.length; f++) drop(dir, `part-${i}-${f}.txt`, batch.slice(f * 300, f * 300 + 300).join('\n') + '\n');
        expect(sorted(await h.step())).toEqual(sorted(oracle(batch)));
      }
    } finally {
      await h.stop();
    }
  });

  it('ignores names starting with . or _ and subdirectories', async () => {
    const dir = tempDir();
    const h = harness(sc, dir);
    try {
      writeFileSync(join(dir, '.hidden'), 'hidden\n');
      writeFileSync(join(dir, '_SUCCESS'), '');
      writeFileSync(join(dir, '_temporary'), 'temp\n');
      writeFileSync(join(dir, '.copying.txt.tmp'), 'in progress\n');
      mkdirSync(join(dir, 'sub'));
      writeFileSync(join(dir, 'sub', 'inner.txt'), 'inner\n');
      drop(dir, 'real.txt', 'real\n');
      expect(await h.step()).toEqual(['real']);
      expect(await h.step()).toEqual([]);
    } finally {
      await h.stop();
    }
  });

  it('reads a file once, even when it stays, grows or is replaced under the same name', async () => {
    const dir = tempDir();
    const h = harness(sc, dir);
    try {
      drop(dir, 'one.txt', 'first\n');
      expect(await h.step()).toEqual(['first']);
      expect(await h.step()).toEqual([]);
      appendFileSync(join(dir, 'one.txt'), 'appended\n');
      drop(dir, 'two.txt', 'second\n');
      expect(await h.step()).toEqual(['second']);
      drop(dir, 'one.txt', 'replaced\n');
      expect(await h.step()).toEqual([]);
      expect(h.input.checkpointState()).toEqual({ processed: ['one.txt', 'two.txt'] });
    } finally {
      await h.stop();
    }
  });

  it('an empty directory gives empty batches', async () => {
    const dir = tempDir();
    const h = harness(sc, dir);
    try {
      for (let i = 0; i < 3; i++) expect(await h.step()).toEqual([]);
      expect(h.infos.map((i) => i.numRecords)).toEqual([0, 0, 0]);
    } finally {
      await h.stop();
    }
  });

  it('a missing directory warns once, gives empty batches, and is read once it appears', async () => {
    const dir = join(tempDir(), 'later');
    const log = captureLog();
    const h = harness(sc, dir);
    try {
      expect(await h.step()).toEqual([]);
      expect(await h.step()).toEqual([]);
      expect(log.messages('WARN').filter((m) => m.includes(dir))).toHaveLength(1);
      expect(log.messages()).toHaveLength(1);
      mkdirSync(dir);
      drop(dir, 'late.txt', 'here now\n');
      expect(await h.step()).toEqual(['here now']);
    } finally {
      log.restore();
      await h.stop();
    }
  });

  it('splits on \\n, \\r\\n and \\r, keeping empty lines and a final unterminated line', async () => {
    const dir = tempDir();
    const h = harness(sc, dir);
    try {
      drop(dir, 'a.txt', 'crlf\r\ncr\rlf\n\n\r\nlast without end');
      drop(dir, 'b.txt', 'ends in cr\r');
      drop(dir, 'c.txt', '\nstarts with lf');
      drop(dir, 'd.txt', '');
      expect(await h.step()).toEqual(['crlf', 'cr', 'lf', '', '', 'last without end', 'ends in cr', '', 'starts with lf']);
    } finally {
      await h.stop();
    }
  });

  it('decodes invalid UTF-8 to U+FFFD and keeps valid multi-byte text', async () => {
    const dir = tempDir();
    const h = harness(sc, dir);
    try {
      const bytes = Buffer.concat([Buffer.from('ok ñ 🎉\nbad '), Buffer.from([0xff, 0xc3]), Buffer.from('\nend')]);
      drop(dir, 'bin.txt', bytes);
      expect(await h.step()).toEqual(['ok ñ 🎉', 'bad \uFFFD\uFFFD', 'end']);
    } finally {
      await h.stop();
    }
  });

  it('skips files present at start, as Spark (newFilesOnly), unless newFilesOnly is false', async () => {
    const dir = tempDir();
    drop(dir, 'old.txt', 'old\n');
    const h = harness(sc, dir);
    try {
      drop(dir, 'new.txt', 'new\n');
      expect(await h.step()).toEqual(['new']);
    } finally {
      await h.stop();
    }
    const all = harness(sc, dir, { newFilesOnly: false });
    try {
      expect(await all.step()).toEqual(['new', 'old']);
    } finally {
      await all.stop();
    }
  });

  it('a context restored with checkpointState skips the files processed before and reads the new ones', async () => {
    const dir = tempDir();
    const first = harness(sc, dir);
    let state;
    try {
      drop(dir, 'a.txt', 'a\n');
      expect(await first.step()).toEqual(['a']);
      drop(dir, 'b.txt', 'b\n');
      expect(await first.step()).toEqual(['b']);
      state = first.input.checkpointState();
      // With a batch time: only the files of batches up to it.
      expect(first.input.checkpointState(1000)).toEqual({ processed: ['a.txt'] });
    } finally {
      await first.stop();
    }
    expect(state).toEqual({ processed: ['a.txt', 'b.txt'] });
    // A file arrives while no context runs: the restored one reads it, whatever newFilesOnly says.
    drop(dir, 'c.txt', 'c\n');
    const restored = harness(sc, dir, undefined, undefined, (input) => input.restoreState(JSON.parse(JSON.stringify(state))));
    try {
      expect(await restored.step()).toEqual(['c']);
      drop(dir, 'd.txt', 'd\n');
      expect(await restored.step()).toEqual(['d']);
      expect(restored.input.checkpointState()).toEqual({ processed: ['a.txt', 'b.txt', 'c.txt', 'd.txt'] });
      expect(thrown(() => restored.input.restoreState({ processed: [] }))).toBeInstanceOf(IllegalStateError);
    } finally {
      await restored.stop();
    }
  });

  it('rejects a malformed state', () => {
    const ssc = new StreamingContext(sc, 1, { clock: new ManualClock(0) });
    const input = ssc.textFileStream(tempDir());
    expect(thrown(() => input.restoreState({ processed: [1] } as never))).toBeInstanceOf(IllegalArgumentError);
    expect(thrown(() => input.restoreState(null as never))).toBeInstanceOf(IllegalArgumentError);
  });
});

import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync, mkdirSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as flatbuffers from 'flatbuffers';
import { afterAll, describe, expect } from 'vitest';
import { frame } from '../../src/checkpoint/frame.js';
import { readCheckpoint, readLatestCheckpoint } from '../../src/checkpoint/checkpoint-store.js';
import { Manifest, OperatorState } from '../../src/layouts/generated/checkpoint_generated.js';
import { ManualClock, SparkContext, StreamingContext, type BatchInfo } from '../../src/index.js';
import { rejection, thrown } from '../helpers/errors.js';
import { sorted, waitFor } from '../helpers/streaming.js';
import { faultCase } from './fault-case.js';
import { tmpfs, unwritable } from './file-systems.js';
import { captureLogs } from './log-capture.js';

const logs = captureLogs();
const cleanups: (() => void)[] = [];
afterAll(() => cleanups.forEach((c) => c()));
const tmp = () => {
  const d = mkdtempSync(join(tmpdir(), 'chispa-cp-faults-'));
  cleanups.push(() => rmSync(d, { recursive: true, force: true }));
  return d;
};

const sum = (vs: number[], s: number | null) => vs.reduce((a, b) => a + b, 0) + (s ?? 0);

/**
 * A stateful word count over `batches` on a manual clock from `startMs` (a recovered program's
 * checkpoint time), checkpointing every batch into `dir`.
 */
function wordCount(dir: string, batches: string[][], opts: { startFresh?: boolean } = {}, startMs = 0) {
  const sc = new SparkContext({ master: 'local' });
  const clock = new ManualClock(startMs);
  const infos: BatchInfo[] = [];
  const states: [string, number][][] = [];
  const ssc = StreamingContext.getOrCreate(
    dir,
    () => {
      const ssc = new StreamingContext(sc, 1, { clock });
      ssc.checkpoint(dir);
      ssc
        .queueStream(batches)
        .map((w: string) => [w, 1] as [string, number])
        .updateStateByKey(sum)
        .checkpoint(1)
        .foreachRDD(async (rdd) => void states.push(sorted(await rdd.collect())));
      return ssc;
    },
    opts,
  );
  ssc.addStreamingListener({ onBatchCompleted: (i) => void infos.push(i) });
  return {
    ssc,
    infos,
    states,
    async next(): Promise<BatchInfo> {
      const n = infos.length + 1;
      clock.advance(1000);
      await waitFor(() => infos.length >= n, `batch ${n}`, 60_000);
      return infos[n - 1];
    },
  };
}

/** Every file under `dir` with its size: what "nothing was deleted" is checked against. */
function listing(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => `${join(e.parentPath, e.name).slice(dir.length)} ${statSync(join(e.parentPath, e.name)).size}`)
    .sort();
}

describe('checkpoints that cannot be read', () => {
  faultCase(
    { fault: 'every checkpoint in the directory damaged (a truncated manifest, a flipped state byte)', survives: 'the checkpoints, as evidence: getOrCreate refuses, deleting nothing', oracle: 'the directory listing before and after; CHISPA_ERR_CHECKPOINT naming each' },
    async () => {
      const dir = tmp();
      const first = wordCount(dir, [['a'], ['a', 'b']]);
      first.ssc.start();
      await first.next();
      await first.next();
      await first.ssc.stop();
      truncateSync(join(dir, 'checkpoint-2000', 'manifest.chk'), 10);
      const part = join(dir, 'checkpoint-1000', 'op-0-part-0.chk');
      const bytes = readFileSync(part);
      bytes[bytes.length - 3] ^= 0xff;
      writeFileSync(part, bytes);
      const before = listing(dir);

      const err = thrown(() => wordCount(dir, [['c']]));
      expect(err.code).toBe('CHISPA_ERR_CHECKPOINT');
      expect(err.message).toContain(`${join(dir, 'checkpoint-2000')}: manifest.chk: truncated`);
      expect(err.message).toContain(`${join(dir, 'checkpoint-1000')}: op-0-part-0.chk: checksum mismatch`);
      expect(err.message).toContain('startFresh');
      expect(listing(dir)).toEqual(before);

      // Starting fresh is explicit; the damaged checkpoints are kept aside, not deleted.
      const fresh = wordCount(dir, [['c']], { startFresh: true });
      expect(logs.lines.filter((l) => / WARN chispa: starting fresh, as asked: no checkpoint in /.test(l))).toHaveLength(1);
      expect(readdirSync(dir).sort()).toEqual(['damaged-checkpoint-1000', 'damaged-checkpoint-2000']);
      fresh.ssc.start();
      await fresh.next();
      await fresh.ssc.stop();
      expect(fresh.states).toEqual([[['c', 1]]]);
    },
    60_000,
  );

  faultCase(
    { fault: 'a crafted ~300-byte manifest with a valid checksum declaring 2^31−1 and 10^8 partitions', survives: 'the process (no out-of-memory abort, no stall)', oracle: 'CHISPA_ERR_CHECKPOINT naming the count at once' },
    async () => {
      for (const partitions of [2 ** 31 - 1, 1e8]) {
        const dir = tmp();
        mkdirSync(join(dir, 'checkpoint-1000'));
        const b = new flatbuffers.Builder(256);
        const op = OperatorState.createOperatorState(b, b.createString('updateStateByKey#0'), b.createString('updateStateByKey'), partitions, OperatorState.createPaneTimesVector(b, []), -1n, 0n, 0n, 0, 0);
        b.finish(Manifest.createManifest(b, 1, 1000n, 1000n, Manifest.createOperatorsVector(b, [op]), Manifest.createSourcesVector(b, []), Manifest.createFilesVector(b, []), null));
        const manifest = frame(b.asUint8Array());
        expect(manifest.length).toBeLessThan(300);
        writeFileSync(join(dir, 'checkpoint-1000', 'manifest.chk'), manifest);
        expect(thrown(() => readCheckpoint(join(dir, 'checkpoint-1000'))).code).toBe('CHISPA_ERR_CORRUPT_DATA');
        const err = thrown(() => wordCount(dir, [['a']]));
        expect(err.code).toBe('CHISPA_ERR_CHECKPOINT');
        expect(err.message).toContain(`operator 0 declares ${partitions} partitions but the manifest lists 0 files`);
      }
    },
    60_000,
  );

  faultCase(
    { fault: 'three damaged checkpoints newer than the one recovered from', survives: 'every checkpoint written since: pruning never removes the last good one', oracle: 'the checkpoints on disk after each write' },
    async () => {
      const dir = tmp();
      const first = wordCount(dir, [['a']]);
      first.ssc.start();
      await first.next();
      await first.ssc.stop();
      for (const t of [7000, 8000, 9000]) {
        mkdirSync(join(dir, `checkpoint-${t}`));
        writeFileSync(join(dir, `checkpoint-${t}`, 'manifest.chk'), 'not a checkpoint');
      }
      const again = wordCount(dir, [['a'], ['b'], ['c']], {}, 1000);
      expect(logs.lines.filter((l) => /WARN chispa: checkpoint .*checkpoint-\d000 is damaged/.test(l))).toHaveLength(3);
      again.ssc.start();
      await again.next(); // batch 2000
      expect(readdirSync(dir).sort()).toEqual(['checkpoint-1000', 'checkpoint-2000', 'checkpoint-7000', 'checkpoint-8000', 'checkpoint-9000']);
      await again.next(); // batch 3000
      await again.next(); // batch 4000: three good ones are kept, the damaged newer ones not counted
      await again.ssc.stop();
      expect(readdirSync(dir).sort()).toEqual(['checkpoint-2000', 'checkpoint-3000', 'checkpoint-4000', 'checkpoint-7000', 'checkpoint-8000', 'checkpoint-9000']);
      expect(readCheckpoint(join(dir, 'checkpoint-4000')).batchTime).toBe(4000);
      expect(again.states).toEqual([[['a', 2]], [['a', 2], ['b', 1]], [['a', 2], ['b', 1], ['c', 1]]]);
    },
    60_000,
  );
});

describe('checkpoints that cannot be written', () => {
  faultCase(
    { fault: 'the checkpoint directory remounted read-only under a running program', survives: 'the previous checkpoint, the state, and the batches after the mount is writable again', oracle: 'BatchInfo failures and awaitTermination carry CHISPA_ERR_CHECKPOINT with errno EROFS; running counts' },
    async (ctx) => {
      const m = unwritable();
      if (!m) return ctx.skip('root without mount: no way to make a directory unwritable here');
      cleanups.push(() => m.dispose());
      const run = wordCount(m.dir, [['a'], ['a', 'b'], ['b']]);
      run.ssc.start();
      try {
        expect((await run.next()).failures).toEqual([]);
        m.remount(true);
        const terminated = rejection(run.ssc.awaitTermination());
        const info = await run.next();
        expect(info.failures).toHaveLength(1);
        const err = info.failures[0] as any;
        expect(err.code).toBe('CHISPA_ERR_CHECKPOINT');
        expect(err.errno).toBe(m.errno);
        expect(err.message).toContain(m.errno);
        expect(await terminated).toBe(err);
        expect(readdirSync(m.dir)).toEqual(['checkpoint-1000']);
        m.remount(false);
        expect((await run.next()).failures).toEqual([]);
      } finally {
        await run.ssc.stop();
      }
      expect(readdirSync(m.dir).sort()).toEqual(['checkpoint-1000', 'checkpoint-3000']);
      expect(run.states).toEqual([[['a', 1]], [['a', 2], ['b', 1]], [['a', 2], ['b', 2]]]);
      return { expected: 4, got: run.states[2].reduce((n, [, c]) => n + c, 0) };
    },
    60_000,
  );

  faultCase(
    { fault: 'a full file system (a 64 KiB tmpfs) under a growing state', survives: 'the last checkpoint that fit, readable; no half-written one left', oracle: 'CHISPA_ERR_CHECKPOINT with errno ENOSPC; readCheckpoint of the earlier one' },
    async (ctx) => {
      const m = tmpfs(64);
      if (!m) return ctx.skip('mounting a size-limited tmpfs is not possible on this machine');
      cleanups.push(() => m.dispose());
      const big = Array.from({ length: 4000 }, (_, i) => `word-${i}-${'x'.repeat(40)}`);
      const run = wordCount(m.dir, [['a'], big]);
      run.ssc.start();
      try {
        expect((await run.next()).failures).toEqual([]);
        const err = (await run.next()).failures[0] as any;
        expect(err.code).toBe('CHISPA_ERR_CHECKPOINT');
        expect(err.errno).toBe('ENOSPC');
      } finally {
        const stopped = run.ssc.stop();
        await stopped;
      }
      expect(readdirSync(m.dir)).toEqual(['checkpoint-1000']);
      expect(readCheckpoint(join(m.dir, 'checkpoint-1000')).batchTime).toBe(1000);
      expect(logs.lines.filter((l) => /ERROR chispa: batch failed: .*ENOSPC/.test(l))).toHaveLength(1);
    },
    60_000,
  );

  faultCase(
    { fault: 'start() with the write-ahead log on a read-only checkpoint directory', survives: 'the context as it was: INITIALIZED, not active, startable once writable', oracle: 'getState(), getActive(); CHISPA_ERR_CHECKPOINT with the errno' },
    async (ctx) => {
      const m = unwritable();
      if (!m) return ctx.skip('root without mount: no way to make a directory unwritable here');
      cleanups.push(() => m.dispose());
      const server = net.createServer((s) => s.end('hello\n'));
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      cleanups.push(() => server.close());
      const sc = new SparkContext({ master: 'local' });
      const ssc = new StreamingContext(sc, 1, { clock: new ManualClock(0), writeAheadLog: true });
      ssc.checkpoint(m.dir);
      ssc.socketTextStream('127.0.0.1', (server.address() as net.AddressInfo).port).foreachRDD(async (rdd) => void (await rdd.count()));
      m.remount(true);
      const err = thrown(() => ssc.start());
      expect(err.code).toBe('CHISPA_ERR_CHECKPOINT');
      expect(err.errno).toBe(m.errno);
      expect(ssc.getState()).toBe('INITIALIZED');
      expect(StreamingContext.getActive()).toBeNull();
      m.remount(false);
      ssc.start();
      expect(ssc.getState()).toBe('ACTIVE');
      await ssc.stop();
    },
    60_000,
  );
});

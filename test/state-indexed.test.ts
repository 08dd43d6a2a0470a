import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { add, ManualClock, SparkContext, StreamingContext, type BatchInfo } from '../src/index.js';
import { stateUpdater, type StateResult } from '../src/exec/state-update.js';
import { OperatorFailure } from '../src/exec/pipeline.js';
import { readStatePart, statePartBlock, statePartCount, type StatePart } from '../src/memory/state-part.js';
import { readStateBlock } from '../src/memory/state-block.js';
import { MASTERS, sorted, waitFor } from './helpers/streaming.js';

// The recognised sum merges a batch into an indexed state (memory/indexed-state.ts) touching only
// the batch's keys. Whatever the batches (keys new, present, removed by the update, re-added) and
// wherever the log runs out of room and is compacted, the state must be the one the full pass
// (every key read and written) gives, and every earlier batch's state must still read as it was.

/** Sums, and removes a key whose new values sum to 0 (a tombstone in the indexed state). */
const sumOrRemove = (vs: number[], s: number | null): number | null => {
  const t = vs.reduce((a, b) => a + b, 0);
  return vs.length > 0 && t === 0 ? null : t + (s ?? 0);
};

type Batch = [string | number, number][];

/** One merge of partition state `prev` with `batch`: on the indexed path (values summed first, as map-side) or the full pass. */
function merge(prev: StatePart | null, batch: Batch, indexed: boolean, fn: typeof sumOrRemove = sumOrRemove): StateResult {
  const u = stateUpdater({ kind: 'updateState', prev, op: 'updateStateByKey', update: { kind: 'update', fn, combineWith: indexed ? add : undefined } });
  const grouped = new Map<string | number, number[]>();
  for (const [k, v] of batch) grouped.set(k, [...(grouped.get(k) ?? []), v]);
  for (const [k, vs] of grouped) u.push([k, indexed ? vs.reduce((a, b) => a + b, 0) : vs]);
  u.end();
  return u.result();
}

const keyArb = fc.oneof(fc.integer({ min: 0, max: 400 }).map((i) => `w${i}`), fc.integer({ min: -5, max: 5 }));
const batchArb = fc.array(fc.tuple(keyArb, fc.integer({ min: -2, max: 3 })), { maxLength: 300 });

describe('indexed state merge (the recognised sum)', () => {
  it('equals the full pass after every batch, and earlier batches still read as they were', () => {
    let compactions = 0;
    fc.assert(
      fc.property(fc.array(batchArb, { minLength: 1, maxLength: 40 }), (batches) => {
        let indexed: StatePart | null = null;
        let full: StatePart | null = null;
        const seen: { part: StatePart; pairs: [unknown, unknown][] }[] = [];
        for (const batch of batches) {
          const before: StatePart | null = indexed;
          indexed = merge(indexed, batch, true).state;
          full = merge(full, batch, false).state;
          if (before && !(before instanceof SharedArrayBuffer) && !(indexed instanceof SharedArrayBuffer) && before.sab !== indexed.sab) compactions++;
          const pairs = sorted([...readStatePart(indexed)]);
          expect(pairs).toEqual(sorted([...readStatePart(full)]));
          expect(statePartCount(indexed)).toBe(pairs.length);
          seen.push({ part: indexed, pairs });
        }
        for (const { part, pairs } of seen) expect(sorted([...readStatePart(part)])).toEqual(pairs);
        expect(sorted([...readStateBlock(statePartBlock(indexed!))])).toEqual(seen[seen.length - 1].pairs);
      }),
      { numRuns: 200 },
    );
    // The runs are long enough that logs fill up and get compacted, not once but many times.
    expect(compactions).toBeGreaterThan(10);
  });

  it('a batch failing mid-merge leaves the previous state, and the next batch merges as if it never ran', () => {
    fc.assert(
      fc.property(fc.array(batchArb, { minLength: 3, maxLength: 12 }), fc.nat(), (batches, pick) => {
        const failing = pick % batches.length;
        let indexed: StatePart | null = null;
        let full: StatePart | null = null;
        for (let b = 0; b < batches.length; b++) {
          if (b === failing && batches[b].length > 1) {
            // The update throws on the batch's last key, after the others were appended to the log.
            const before = indexed ? sorted([...readStatePart(indexed)]) : [];
            const grouped = new Map<string | number, number>();
            for (const [k, v] of batches[b]) grouped.set(k, (grouped.get(k) ?? 0) + v);
            let calls = 0;
            const throwingLast = (vs: number[], s: number | null) => {
              if (++calls === grouped.size) throw new Error('boom');
              return sumOrRemove(vs, s);
            };
            const v = stateUpdater({ kind: 'updateState', prev: indexed, op: 'updateStateByKey', update: { kind: 'update', fn: throwingLast, combineWith: add } });
            for (const [k, val] of grouped) v.push([k, val]);
            v.end();
            expect(() => v.result()).toThrow(OperatorFailure);
            expect(indexed ? sorted([...readStatePart(indexed)]) : []).toEqual(before);
            continue;
          }
          indexed = merge(indexed, batches[b], true).state;
          full = merge(full, batches[b], false).state;
          expect(sorted([...readStatePart(indexed)])).toEqual(sorted([...readStatePart(full!)]));
        }
      }),
      { numRuns: 60 },
    );
  });

  it('falls back to the full pass when a state is not a number the sum keeps, with the same states', () => {
    const odd = (vs: number[], s: number | null) => (vs.includes(99) ? NaN : vs.reduce((a, b) => a + b, 0) + (s ?? 0));
    const batches: Batch[] = [[['a', 1], ['b', 2]], [['a', 99]], [['b', 1], ['c', 1]], [['a', 1]]];
    let indexed: StatePart | null = null;
    let full: StatePart | null = null;
    for (const batch of batches) {
      indexed = merge(indexed, batch, true, odd).state;
      full = merge(full, batch, false, odd).state;
      expect(sorted([...readStatePart(indexed)])).toEqual(sorted([...readStatePart(full)]));
    }
  });

  it('updates only the batch keys: keys updated is the batch distinct keys however large the state', () => {
    let state: StatePart | null = null;
    for (let b = 0; b < 30; b++) {
      const batch: Batch = [];
      for (let i = 0; i < 1000; i++) batch.push([`k${b * 1000 + i}`, 1]);
      for (let i = 0; i < 50; i++) batch.push([`k${i}`, 1]);
      const r = merge(state, batch, true);
      expect(r.updated).toBe(b === 0 ? 1000 : 1050);
      state = r.state;
    }
    expect(state).not.toBeInstanceOf(SharedArrayBuffer);
    expect(statePartCount(state!)).toBe(30_000);
  });
});

describe.each(MASTERS)('stateful WordCount on an indexed state under %s', (master) => {
  let sc: SparkContext;
  let dir: string;
  beforeAll(() => {
    sc = new SparkContext({ master });
    dir = mkdtempSync(join(tmpdir(), 'chispa-indexed-'));
  });
  afterAll(async () => {
    await sc.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const sum = (vs: number[], s: number | null) => vs.reduce((a, b) => a + b, 0) + (s ?? 0);
  /** Batch b's lines: words w0…w(60b+59), a few hot ones repeated. */
  const linesOf = (b: number) => [Array.from({ length: 60 }, (_, i) => `w${60 * b + i}`).join(' '), 'w0 w1 w1', ''];

  /** Runs batches [from, to) through getOrCreate on `dir`, checkpointing every batch. */
  async function run(from: number, to: number, startMs: number) {
    const clock = new ManualClock(startMs);
    const outputs: [string, number][][] = [];
    const infos: BatchInfo[] = [];
    const ssc = StreamingContext.getOrCreate(dir, () => {
      const ssc = new StreamingContext(sc, 1, { clock });
      ssc.checkpoint(dir);
      const batches = Array.from({ length: to - from }, (_, i) => linesOf(from + i));
      ssc.queueStream(batches).flatMap((l) => l.split(' ')).filter((w) => w.length > 0).map((w) => [w, 1])
        .updateStateByKey(sum).checkpoint(1)
        .foreachRDD(async (rdd) => void outputs.push(await rdd.collect()));
      return ssc;
    });
    ssc.addStreamingListener({ onBatchCompleted: (i) => void infos.push(i) });
    ssc.start();
    try {
      for (let i = 1; i <= to - from; i++) {
        clock.advance(1000);
        await waitFor(() => infos.length >= i, `batch ${i}`);
      }
    } finally {
      await ssc.stop(false);
    }
    return { outputs, infos };
  }

  const oracle = (upTo: number) => {
    const m = new Map<string, number>();
    for (let b = 0; b < upTo; b++) for (const l of linesOf(b)) for (const w of l.split(' ')) if (w) m.set(w, (m.get(w) ?? 0) + 1);
    return sorted([...m]);
  };

  it('keeps the counts batch by batch, updating only the keys each batch touched, and restarts from its checkpoint', async () => {
    rmSync(dir, { recursive: true, force: true });
    const first = await run(0, 6, 0);
    first.outputs.forEach((rows, b) => expect(sorted(rows)).toEqual(oracle(b + 1)));
    // Each batch calls the update for its own 60 words (w0 and w1 among them only in batch 0) plus w0, w1.
    expect(first.infos.map((i) => i.stateOperators![0].numRowsUpdated)).toEqual([60, 62, 62, 62, 62, 62]);
    expect(first.infos.map((i) => i.stateOperators![0].numRowsTotal)).toEqual([60, 120, 180, 240, 300, 360]);
    // Restart from the checkpoint of batch 6 (6 s): the state carries on from there.
    const second = await run(6, 9, 6000);
    second.outputs.forEach((rows, i) => expect(sorted(rows)).toEqual(oracle(7 + i)));
  });
});

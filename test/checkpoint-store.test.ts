import { mkdtempSync, readdirSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readLatestCheckpoint, writeCheckpoint, type Checkpoint } from '../src/checkpoint/checkpoint-store.js';
import { readStateBlock, StateBlockWriter } from '../src/memory/state-block.js';
import { captureLog } from './helpers/log.js';

// Checkpoint files: FlatBuffers in checksummed frames, written atomically, the newest sound one read.

function block(pairs: [unknown, unknown][]): SharedArrayBuffer {
  const w = new StateBlockWriter();
  for (const [k, s] of pairs) w.add(k, s);
  return w.seal();
}

function checkpoint(batchTime: number, n: number): Checkpoint {
  return {
    batchTime,
    batchDurationMs: 1000,
    operators: [
      { id: 'updateStateByKey#0', kind: 'updateStateByKey', blocks: [block([['a', n], ['ñandú', 2]]), block([[['t', 1], 3]])] },
      { id: 'counts', kind: 'mapWithState', blocks: [block([['x', [{ v: 1 }, 1000]]])] },
    ],
    sources: [{ id: 'textFileStream#0', kind: 'textFileStream', state: { processed: ['a.txt', 'b.txt'] } }],
  };
}

describe('checkpoint store', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'chispa-cp-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('round-trips batch time, operators with their state blocks, and source positions', () => {
    writeCheckpoint(dir, checkpoint(5000, 1));
    const cp = readLatestCheckpoint(dir)!;
    expect(cp.batchTime).toBe(5000);
    expect(cp.batchDurationMs).toBe(1000);
    expect(cp.operators.map((o) => [o.id, o.kind, o.blocks.length])).toEqual([
      ['updateStateByKey#0', 'updateStateByKey', 2],
      ['counts', 'mapWithState', 1],
    ]);
    expect([...readStateBlock(cp.operators[0].blocks[0])]).toEqual([['a', 1], ['ñandú', 2]]);
    expect([...readStateBlock(cp.operators[0].blocks[1])]).toEqual([[['t', 1], 3]]);
    expect([...readStateBlock(cp.operators[1].blocks[0])]).toEqual([['x', [{ v: 1 }, 1000]]]);
    expect(cp.sources).toEqual([{ id: 'textFileStream#0', kind: 'textFileStream', state: { processed: ['a.txt', 'b.txt'] } }]);
  });

  it('keeps the newest three and reads the newest', () => {
    for (let t = 1; t <= 5; t++) writeCheckpoint(dir, checkpoint(t * 1000, t));
    expect(readdirSync(dir).sort()).toEqual(['checkpoint-3000', 'checkpoint-4000', 'checkpoint-5000']);
    expect(readLatestCheckpoint(dir)!.batchTime).toBe(5000);
  });

  it.each([
    ['a truncated state file', (p: string) => truncateSync(join(p, 'op-0-part-1.chk'), 30)],
    ['a flipped byte in a state file', (p: string) => flip(join(p, 'op-1-part-0.chk'))],
    ['a truncated manifest', (p: string) => truncateSync(join(p, 'manifest.chk'), 10)],
    ['a flipped byte in the manifest', (p: string) => flip(join(p, 'manifest.chk'))],
  ])('detects %s and falls back to the previous checkpoint', (_what, damage) => {
    writeCheckpoint(dir, checkpoint(1000, 1));
    writeCheckpoint(dir, checkpoint(2000, 2));
    damage(join(dir, 'checkpoint-2000'));
    const log = captureLog();
    const cp = readLatestCheckpoint(dir)!;
    log.restore();
    expect(log.messages('WARN')).toEqual([expect.stringMatching(/^checkpoint .*checkpoint-2000 is damaged \(.*\); recovered from .*checkpoint-1000, the one before it$/)]);
    expect(cp.batchTime).toBe(1000);
    expect([...readStateBlock(cp.operators[0].blocks[0])][0]).toEqual(['a', 1]);
  });

  it('ignores the temporary directory of an interrupted write, and an empty directory has no checkpoint', () => {
    expect(readLatestCheckpoint(dir)).toBeUndefined();
    writeCheckpoint(dir, checkpoint(1000, 1));
    const tmp = join(dir, '.checkpoint-2000.tmp-1-x');
    rmSync(tmp, { force: true, recursive: true });
    writeFileSync(join(dir, 'checkpoint-notanumber'), '');
    expect(readLatestCheckpoint(dir)!.batchTime).toBe(1000);
  });
});

function flip(path: string): void {
  const bytes = readFileSync(path);
  bytes[bytes.length - 5] ^= 0xff;
  writeFileSync(path, bytes);
}

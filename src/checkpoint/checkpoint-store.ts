import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import * as flatbuffers from 'flatbuffers';
import { Manifest, OperatorState, PartFile, SourceState } from '../layouts/generated/checkpoint_generated.js';
import { StatePartition } from '../layouts/generated/chispa/checkpoint/state-partition.js';
import { CheckpointError } from '../errors.js';
import { log } from '../log.js';
import { fsyncDir, writeDurably } from './durable-write.js';
import { frame, frameChecksum, unframe } from './frame.js';

/**
 * Checkpoints on disk: `<dir>/checkpoint-<batchTimeMs>/` with a manifest and one file per state
 * partition, all FlatBuffers in checksummed frames (schemas in `native-layouts/checkpoint.fbs`).
 * A checkpoint is written into a hidden temporary directory, every file fsynced, then renamed into
 * place, so a crash mid-write leaves either the whole checkpoint or none of it; the last few are
 * kept so a damaged one can fall back to its predecessor.
 */

const FORMAT_VERSION = 1;
const PREFIX = 'checkpoint-';

export interface OperatorCheckpoint {
  readonly id: string;
  readonly kind: string;
  /** One state block per partition. */
  readonly blocks: readonly SharedArrayBuffer[];
  /** An incremental window's panes: each batch's reduced values, one block per partition. */
  readonly panes?: readonly Pane[];
  /** An incremental window: the slide its blocks are the window of; panes after it are not in them yet. */
  readonly windowTime?: number;
  /** An incremental window's length and slide, in ms. */
  readonly window?: { readonly windowMs: number; readonly slideMs: number };
}

/** One batch's values reduced per key, partitioned like the window they enter and leave (as many blocks). */
export interface Pane {
  readonly time: number;
  readonly blocks: readonly SharedArrayBuffer[];
}

export interface SourceCheckpoint {
  readonly id: string;
  readonly kind: string;
  readonly state: unknown;
}

export interface Checkpoint {
  readonly batchTime: number;
  readonly batchDurationMs: number;
  /** Spark's zero time, slides and windows are counted from; absent in checkpoints written before it was kept. */
  readonly zeroTime?: number;
  readonly operators: readonly OperatorCheckpoint[];
  readonly sources: readonly SourceCheckpoint[];
}

/** A checkpoint read back, and where from. */
export interface LoadedCheckpoint extends Checkpoint {
  readonly path: string;
}

const partName = (op: number, r: number) => `op-${op}-part-${r}.chk`;
const paneName = (op: number, pane: number, r: number) => `op-${op}-pane-${pane}-part-${r}.chk`;

/** Writes `cp` atomically under `dir`, keeping the newest `keep` checkpoints. */
export function writeCheckpoint(dir: string, cp: Checkpoint, keep = 3): string {
  const final = join(dir, `${PREFIX}${cp.batchTime}`);
  const tmp = join(dir, `.${PREFIX}${cp.batchTime}.tmp-${process.pid}-${Math.random().toString(36).slice(2)}`);
  mkdirSync(tmp, { recursive: true });
  const files: { name: string; bytes: number; checksum: number }[] = [];
  const write = (name: string, id: string, r: number, sab: SharedArrayBuffer) => {
    const framed = frame(statePartition(id, r, new Uint8Array(sab)));
    writeDurably(join(tmp, name), framed);
    files.push({ name, bytes: framed.length, checksum: frameChecksum(framed) });
  };
  cp.operators.forEach((op, i) => {
    op.blocks.forEach((sab, r) => write(partName(i, r), op.id, r, sab));
    op.panes?.forEach((pane, j) => pane.blocks.forEach((sab, r) => write(paneName(i, j, r), op.id, r, sab)));
  });
  writeDurably(join(tmp, 'manifest.chk'), frame(manifest(cp, files)));
  fsyncDir(tmp);
  if (existsSync(final)) rmSync(final, { recursive: true, force: true }); // a batch re-run after a restart
  renameSync(tmp, final);
  fsyncDir(dir);
  prune(dir, keep);
  return final;
}

/**
 * The newest sound checkpoint under `dir`, or undefined when there is none. A damaged or
 * truncated one is reported and skipped for the one before it.
 *
 * @throws CheckpointError when there are checkpoints but none can be read (as Spark's
 *   CheckpointReader fails rather than silently starting over without the state).
 */
export function readLatestCheckpoint(dir: string): LoadedCheckpoint | undefined {
  const names = listCheckpoints(dir);
  let last: unknown;
  for (const name of names) {
    const path = join(dir, name);
    try {
      return readCheckpoint(path);
    } catch (e) {
      last = e;
      log.warn(`checkpoint ${path} is damaged (${e instanceof Error ? e.message : String(e)}); trying the previous one`);
    }
  }
  if (names.length > 0) {
    const why = last instanceof Error ? last.message : String(last);
    throw new CheckpointError(dir, `none of its ${names.length} checkpoints can be read (the oldest: ${why})`, { cause: last });
  }
  return undefined;
}

function readCheckpoint(path: string): LoadedCheckpoint {
  const m = Manifest.getRootAsManifest(new flatbuffers.ByteBuffer(readFramed(join(path, 'manifest.chk'))));
  if (m.formatVersion() !== FORMAT_VERSION) throw new CheckpointError(path, `unknown checkpoint format ${m.formatVersion()}`);
  const checks = new Map<string, { bytes: number; checksum: number }>();
  for (let i = 0; i < m.filesLength(); i++) {
    const f = m.files(i)!;
    checks.set(f.name()!, { bytes: Number(f.bytes()), checksum: f.checksum() });
  }
  const readPart = (name: string): SharedArrayBuffer => {
    const file = readFileSync(join(path, name));
    const check = checks.get(name);
    // The frame's own checksum (verified with the payload below) must be the one the manifest
    // recorded: a file swapped in from another checkpoint is caught too.
    if (!check || check.bytes !== file.length || check.checksum !== frameChecksum(file)) throw new CheckpointError(join(path, name), 'does not match the manifest');
    const part = StatePartition.getRootAsStatePartition(new flatbuffers.ByteBuffer(payloadOf(join(path, name), file)));
    const data = part.dataArray()!;
    const sab = new SharedArrayBuffer(data.length);
    new Uint8Array(sab).set(data);
    return sab;
  };
  const operators: OperatorCheckpoint[] = [];
  for (let i = 0; i < m.operatorsLength(); i++) {
    const op = m.operators(i)!;
    const partitions = Array.from({ length: op.partitions() }, (_, r) => r);
    const blocks = partitions.map((r) => readPart(partName(i, r)));
    const panes = Array.from({ length: op.paneTimesLength() }, (_, j) => ({
      time: Number(op.paneTimes(j)),
      blocks: partitions.map((r) => readPart(paneName(i, j, r))),
    }));
    const windowTime = Number(op.windowTimeMs());
    const windowMs = Number(op.windowMs());
    operators.push({
      id: op.id()!,
      kind: op.kind()!,
      blocks,
      ...(panes.length > 0 ? { panes } : {}),
      ...(windowTime >= 0 ? { windowTime } : {}),
      ...(windowMs > 0 ? { window: { windowMs, slideMs: Number(op.slideMs()) } } : {}),
    });
  }
  const sources: SourceCheckpoint[] = [];
  for (let i = 0; i < m.sourcesLength(); i++) {
    const s = m.sources(i)!;
    sources.push({ id: s.id()!, kind: s.kind()!, state: JSON.parse(s.stateJson()!) });
  }
  const zeroTime = m.zeroTimeMs();
  return {
    path,
    batchTime: Number(m.batchTimeMs()),
    batchDurationMs: Number(m.batchDurationMs()),
    ...(zeroTime === null ? {} : { zeroTime: Number(zeroTime) }),
    operators,
    sources,
  };
}

function statePartition(id: string, partition: number, data: Uint8Array): Uint8Array {
  const b = new flatbuffers.Builder(data.length + 256);
  const idOffset = b.createString(id);
  // createByteVector copies in one go; the generated createDataVector adds byte by byte.
  const dataOffset = b.createByteVector(data);
  b.finish(StatePartition.createStatePartition(b, idOffset, partition, dataOffset));
  return b.asUint8Array();
}

function manifest(cp: Checkpoint, files: readonly { name: string; bytes: number; checksum: number }[]): Uint8Array {
  const b = new flatbuffers.Builder(4096);
  const ops = cp.operators.map((op) =>
    OperatorState.createOperatorState(
      b,
      b.createString(op.id),
      b.createString(op.kind),
      op.blocks.length,
      OperatorState.createPaneTimesVector(b, (op.panes ?? []).map((p) => BigInt(p.time))),
      BigInt(op.windowTime ?? -1),
      BigInt(op.window?.windowMs ?? 0),
      BigInt(op.window?.slideMs ?? 0),
    ),
  );
  const srcs = cp.sources.map((s) =>
    SourceState.createSourceState(b, b.createString(s.id), b.createString(s.kind), b.createString(JSON.stringify(s.state))),
  );
  const fs = files.map((f) => PartFile.createPartFile(b, b.createString(f.name), BigInt(f.bytes), f.checksum));
  // The zero time is an optional field whose absence means "written before zero times": a zero
  // time of 0 (a manual clock started at 0) must still be written, so defaults are written too.
  b.forceDefaults(true);
  b.finish(
    Manifest.createManifest(
      b,
      FORMAT_VERSION,
      BigInt(cp.batchTime),
      BigInt(cp.batchDurationMs),
      Manifest.createOperatorsVector(b, ops),
      Manifest.createSourcesVector(b, srcs),
      Manifest.createFilesVector(b, fs),
      cp.zeroTime === undefined ? null : BigInt(cp.zeroTime),
    ),
  );
  return b.asUint8Array();
}

/** Checkpoint directory names under `dir`, newest first. */
function listCheckpoints(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((n) => n.startsWith(PREFIX) && /^\d+$/.test(n.slice(PREFIX.length)))
    .sort((a, b) => Number(b.slice(PREFIX.length)) - Number(a.slice(PREFIX.length)));
}

function prune(dir: string, keep: number): void {
  for (const name of listCheckpoints(dir).slice(keep)) rmSync(join(dir, name), { recursive: true, force: true });
  // Temporary directories of writes that a crash interrupted.
  for (const name of readdirSync(dir)) {
    if (name.startsWith(`.${PREFIX}`) && !name.includes(`.tmp-${process.pid}-`)) rmSync(join(dir, name), { recursive: true, force: true });
  }
}

function readFramed(path: string): Uint8Array {
  return payloadOf(path, readFileSync(path));
}

function payloadOf(path: string, file: Buffer): Uint8Array {
  const r = unframe(file);
  if ('damaged' in r) throw new CheckpointError(path, r.damaged);
  return r.payload;
}


import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { basename, join } from 'node:path';
import * as flatbuffers from 'flatbuffers';
import { Manifest, OperatorState, PartFile, SourceState } from '../layouts/generated/checkpoint_generated.js';
import { StatePartition } from '../layouts/generated/chispa/checkpoint/state-partition.js';
import { CheckpointError, CorruptDataError } from '../errors.js';
import { log } from '../log.js';
import { fsyncDir, writeDurably } from './durable-write.js';
import { errnoOf, makeDir } from './make-dir.js';
import { frame, frameChecksum, unframe } from './frame.js';

/**
 * Checkpoints on disk: `<dir>/checkpoint-<batchTimeMs>/` with a manifest and one file per state
 * partition (and per partition of each batch a window still needs), all FlatBuffers in checksummed frames (schemas in `native-layouts/checkpoint.fbs`).
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
  /**
   * A window without an inverse: its parent's batches that later windows still need, as Spark's
   * remembered RDDs, each with its own partition count (`blocks` is then empty).
   */
  readonly batches?: readonly RememberedBatch[];
}

/** One computed batch of a window's parent: a block of encoded records per partition (a persisted RDD's). */
export interface RememberedBatch {
  readonly time: number;
  readonly blocks: readonly SharedArrayBuffer[];
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
const batchName = (op: number, batch: number, r: number) => `op-${op}-batch-${batch}-part-${r}.chk`;

/**
 * Writes `cp` atomically under `dir`, then prunes older checkpoints down to `keep` in all. A
 * failure is a {@link CheckpointError} carrying the file system's errno (`EROFS`, `ENOSPC`); the
 * checkpoints already there are untouched.
 */
export function writeCheckpoint(dir: string, cp: Checkpoint, keep = 3): string {
  const final = join(dir, `${PREFIX}${cp.batchTime}`);
  const tmp = join(dir, `.${PREFIX}${cp.batchTime}.tmp-${process.pid}-${Math.random().toString(36).slice(2)}`);
  try {
    makeDir(dir);
    mkdirSync(tmp);
    const files: { name: string; bytes: number; checksum: number }[] = [];
    const write = (name: string, id: string, r: number, sab: SharedArrayBuffer) => {
      const framed = frame(statePartition(id, r, new Uint8Array(sab)));
      writeDurably(join(tmp, name), framed);
      files.push({ name, bytes: framed.length, checksum: frameChecksum(framed) });
    };
    cp.operators.forEach((op, i) => {
      op.blocks.forEach((sab, r) => write(partName(i, r), op.id, r, sab));
      op.panes?.forEach((pane, j) => pane.blocks.forEach((sab, r) => write(paneName(i, j, r), op.id, r, sab)));
      op.batches?.forEach((batch, j) => batch.blocks.forEach((sab, r) => write(batchName(i, j, r), op.id, r, sab)));
    });
    writeDurably(join(tmp, 'manifest.chk'), frame(manifest(cp, files)));
    fsyncDir(tmp);
    if (existsSync(final)) rmSync(final, { recursive: true, force: true }); // a batch re-run after a restart
    renameSync(tmp, final);
    fsyncDir(dir);
  } catch (e) {
    try {
      rmSync(tmp, { recursive: true, force: true });
    } catch {
      // The file system that refused the write may refuse the clean-up too; the next prune retries.
    }
    const errno = errnoOf(e);
    throw new CheckpointError(final, `the checkpoint of batch ${cp.batchTime} could not be written: ${e instanceof Error ? e.message : String(e)}`, {
      cause: e,
      ...(errno ? { errno } : {}),
    });
  }
  try {
    prune(dir, cp.batchTime, keep);
  } catch (e) {
    // The checkpoint is written; an older one left behind is only disk space.
    log.warn(`checkpoints older than ${final} could not be pruned: ${e instanceof Error ? e.message : String(e)}`);
  }
  return final;
}

/** A checkpoint that could not be read, and why. */
export interface DamagedCheckpoint {
  readonly path: string;
  readonly reason: string;
}

/** Options of {@link readLatestCheckpoint}. */
export interface ReadCheckpointOptions {
  /**
   * When checkpoints exist but none can be read: start without one instead of failing. The
   * damaged ones are renamed `damaged-checkpoint-<time>`, kept as evidence and out of the way.
   */
  readonly startFresh?: boolean;
}

/**
 * The newest sound checkpoint under `dir`, or undefined when there is none at all. A damaged or
 * truncated one is reported and skipped for the one before it. When every one is damaged this is
 * a {@link CheckpointError} naming each and why (unless `startFresh`); nothing is deleted.
 */
export function readLatestCheckpoint(dir: string, opts: ReadCheckpointOptions = {}): LoadedCheckpoint | undefined {
  const damaged: DamagedCheckpoint[] = [];
  for (const name of listCheckpoints(dir)) {
    const path = join(dir, name);
    try {
      const cp = readCheckpoint(path);
      for (const d of damaged) log.warn(`checkpoint ${d.path} is damaged (${d.reason}); recovered from ${path}, the one before it`);
      return cp;
    } catch (e) {
      damaged.push({ path, reason: e instanceof Error ? e.message : String(e) });
    }
  }
  if (damaged.length === 0) return undefined;
  const list = damaged.map((d) => `${d.path}: ${d.reason}`).join('; ');
  if (!opts.startFresh) {
    throw new CheckpointError(
      dir,
      `no checkpoint in the directory can be read (${list}). Nothing was deleted. To start from empty state ` +
        'and keep the damaged checkpoints aside, pass { startFresh: true } to StreamingContext.getOrCreate.',
    );
  }
  for (const d of damaged) renameSync(d.path, join(dir, `damaged-${basename(d.path)}`));
  log.warn(`starting fresh, as asked: no checkpoint in ${dir} can be read (${list}); they were renamed damaged-checkpoint-*`);
  return undefined;
}

/** The checkpoint in directory `path`, verified against its manifest; throws why it is not sound. */
export function readCheckpoint(path: string): LoadedCheckpoint {
  const m = decodeManifest(payloadOf('manifest.chk', readFileSync(join(path, 'manifest.chk'))));
  const readPart = (name: string): SharedArrayBuffer => {
    const file = readFileSync(join(path, name));
    const check = m.files.get(name);
    // The frame's own checksum (verified with the payload below) must be the one the manifest
    // recorded: a file swapped in from another checkpoint is caught too.
    if (!check || check.bytes !== file.length || check.checksum !== frameChecksum(file)) throw new CorruptDataError(`${name} does not match the manifest`);
    const data = decodeStatePartition(payloadOf(name, file));
    const sab = new SharedArrayBuffer(data.length);
    new Uint8Array(sab).set(data);
    return sab;
  };
  const operators: OperatorCheckpoint[] = m.operators.map((op, i) => {
    const partitions = Array.from({ length: op.partitions }, (_, r) => r);
    const blocks = partitions.map((r) => readPart(partName(i, r)));
    const panes = op.paneTimes.map((time, j) => ({ time, blocks: partitions.map((r) => readPart(paneName(i, j, r))) }));
    const batches = op.batches.map(({ time, partitions: n }, j) => ({ time, blocks: Array.from({ length: n }, (_, r) => readPart(batchName(i, j, r))) }));
    return {
      id: op.id,
      kind: op.kind,
      blocks,
      ...(panes.length > 0 ? { panes } : {}),
      ...(op.windowTime >= 0 ? { windowTime: op.windowTime } : {}),
      ...(op.windowMs > 0 ? { window: { windowMs: op.windowMs, slideMs: op.slideMs } } : {}),
      ...(batches.length > 0 ? { batches } : {}),
    };
  });
  return {
    path,
    batchTime: m.batchTime,
    batchDurationMs: m.batchDurationMs,
    ...(m.zeroTime === undefined ? {} : { zeroTime: m.zeroTime }),
    operators,
    sources: m.sources,
  };
}

/** A manifest's content, every count checked against the bytes it came in. */
export interface ManifestContent {
  readonly batchTime: number;
  readonly batchDurationMs: number;
  /** Spark's zero time of the run that wrote it; absent in checkpoints written before it was kept. */
  readonly zeroTime?: number;
  readonly operators: readonly {
    id: string;
    kind: string;
    partitions: number;
    paneTimes: number[];
    windowTime: number;
    windowMs: number;
    slideMs: number;
    /** A window without an inverse: its remembered batches and their partition counts. */
    batches: { time: number; partitions: number }[];
  }[];
  readonly sources: SourceCheckpoint[];
  readonly files: ReadonlyMap<string, { bytes: number; checksum: number }>;
}

/**
 * Decodes a manifest payload. FlatBuffers' JavaScript runtime has no verifier, and a checksum
 * only proves the bytes are the ones written, not that a writer was honest: every vector length
 * and count is checked against the payload's size before anything is allocated for it, so a
 * 300-byte manifest that declares 2^31 − 1 partitions is a {@link CorruptDataError}, not an
 * out-of-memory abort.
 */
export function decodeManifest(payload: Uint8Array): ManifestContent {
  return decoding('manifest', () => {
    const m = Manifest.getRootAsManifest(new flatbuffers.ByteBuffer(payload));
    if (m.formatVersion() !== FORMAT_VERSION) throw new CorruptDataError(`unknown checkpoint format ${m.formatVersion()}`);
    // A vector of tables holds a 4-byte offset per entry, a vector of int64 8 bytes.
    const files = new Map<string, { bytes: number; checksum: number }>();
    for (let i = 0, n = bounded('files', m.filesLength(), 4, payload); i < n; i++) {
      const f = m.files(i)!;
      files.set(present('file name', f.name()), { bytes: Number(f.bytes()), checksum: f.checksum() });
    }
    const operators = [];
    for (let i = 0, n = bounded('operators', m.operatorsLength(), 4, payload); i < n; i++) {
      const op = m.operators(i)!;
      const paneTimes = Array.from({ length: bounded('pane times', op.paneTimesLength(), 8, payload) }, (_, j) => Number(op.paneTimes(j)));
      const partitions = op.partitions();
      // Checkpoints written before windows kept their batches have none: the vectors are absent.
      const batchCount = bounded('batch times', op.batchTimesLength(), 8, payload);
      if (op.batchPartitionsLength() !== batchCount) throw new CorruptDataError(`operator ${i} has ${batchCount} batch times but ${op.batchPartitionsLength()} partition counts`);
      const batches = Array.from({ length: batchCount }, (_, j) => ({ time: Number(op.batchTimes(j)), partitions: op.batchPartitions(j) ?? 0 }));
      const batchFiles = batches.reduce((n, b) => n + b.partitions, 0);
      // Every partition of the operator, of each pane and of each batch is a file the manifest lists.
      if (!Number.isInteger(partitions) || partitions < 0 || partitions * (1 + paneTimes.length) + batchFiles > files.size) {
        throw new CorruptDataError(`operator ${i} declares ${partitions} partitions${batchFiles > 0 ? ` and ${batchFiles} batch partitions` : ''} but the manifest lists ${files.size} files`);
      }
      operators.push({
        id: present('operator id', op.id()),
        kind: present('operator kind', op.kind()),
        partitions,
        paneTimes,
        windowTime: Number(op.windowTimeMs()),
        windowMs: Number(op.windowMs()),
        slideMs: Number(op.slideMs()),
        batches,
      });
    }
    const sources: SourceCheckpoint[] = [];
    for (let i = 0, n = bounded('sources', m.sourcesLength(), 4, payload); i < n; i++) {
      const s = m.sources(i)!;
      sources.push({ id: present('source id', s.id()), kind: present('source kind', s.kind()), state: JSON.parse(present('source state', s.stateJson())) });
    }
    const zeroTime = m.zeroTimeMs();
    return {
      batchTime: Number(m.batchTimeMs()),
      batchDurationMs: Number(m.batchDurationMs()),
      ...(zeroTime === null ? {} : { zeroTime: Number(zeroTime) }),
      operators,
      sources,
      files,
    };
  });
}

/** A state partition file's payload: the state block's bytes (a view into `payload`). */
export function decodeStatePartition(payload: Uint8Array): Uint8Array {
  return decoding('state partition', () => {
    const part = StatePartition.getRootAsStatePartition(new flatbuffers.ByteBuffer(payload));
    bounded('state bytes', part.dataLength(), 1, payload);
    const data = part.dataArray();
    if (!data) throw new CorruptDataError('state partition without data');
    return data;
  });
}

/** `n` entries of `size` bytes fit in `payload`, or the bytes are not a sound checkpoint. */
function bounded(what: string, n: number, size: number, payload: Uint8Array): number {
  if (!Number.isInteger(n) || n < 0 || n * size > payload.length) throw new CorruptDataError(`${what}: ${n} entries cannot fit in ${payload.length} bytes`);
  return n;
}

function present<T>(what: string, v: T | null | undefined): T {
  if (v === null || v === undefined) throw new CorruptDataError(`${what} missing`);
  return v;
}

/** Runs a decoder; whatever the runtime throws on hostile bytes becomes a coded error. */
function decoding<T>(what: string, body: () => T): T {
  try {
    return body();
  } catch (e) {
    if (e instanceof CorruptDataError) throw e;
    throw new CorruptDataError(`${what}: ${e instanceof Error ? e.message : String(e)}`);
  }
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
      OperatorState.createBatchTimesVector(b, (op.batches ?? []).map((x) => BigInt(x.time))),
      OperatorState.createBatchPartitionsVector(b, (op.batches ?? []).map((x) => x.blocks.length)),
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

/**
 * After checkpoint `written` is in place: removes checkpoints older than it beyond `keep` in all.
 * Newer ones (left by a run that was recovered from an older checkpoint because they are
 * damaged) are never counted or removed: the one just written, the last good one, always stays.
 */
function prune(dir: string, written: number, keep: number): void {
  const older = listCheckpoints(dir).filter((n) => Number(n.slice(PREFIX.length)) < written);
  for (const name of older.slice(Math.max(0, keep - 1))) rmSync(join(dir, name), { recursive: true, force: true });
  // Temporary directories of writes that a crash interrupted.
  for (const name of readdirSync(dir)) {
    if (name.startsWith(`.${PREFIX}`) && !name.includes(`.tmp-${process.pid}-`)) rmSync(join(dir, name), { recursive: true, force: true });
  }
}

function payloadOf(name: string, file: Buffer): Uint8Array {
  const r = unframe(file);
  if ('damaged' in r) throw new CorruptDataError(`${name}: ${r.damaged}`);
  return r.payload;
}


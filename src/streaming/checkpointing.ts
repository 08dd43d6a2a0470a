import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { writeCheckpoint, type LoadedCheckpoint, type SourceCheckpoint } from '../checkpoint/checkpoint-store.js';
import { IllegalStateError } from '../errors.js';
import { log } from '../log.js';
import type { InputDStream } from './input-dstream.js';
import type { StatefulStream } from './stateful-stream.js';

/** Options of recovery (`StreamingContext.getOrCreate`). */
export interface RecoveryOptions {
  /**
   * Ids of checkpointed stateful operators whose state is dropped: the program no longer has them,
   * has renamed them, or cannot take their state as it is (a window with another partition
   * count). Without this, such state is an error. The program's operators then start empty.
   */
  dropState?: readonly string[];
  /**
   * When the directory holds checkpoints but none can be read, start from empty state instead of
   * failing with `CHISPA_ERR_CHECKPOINT`; the damaged checkpoints are renamed
   * `damaged-checkpoint-<time>` and kept. Default false: a damaged directory is never silently
   * replaced by an empty state.
   */
  startFresh?: boolean;
}

/** A checkpoint that was written: for metrics. */
export interface CheckpointWrite {
  readonly batchTime: number;
  readonly durationMs: number;
  /** Bytes of its files. */
  readonly bytes: number;
}

/**
 * Checkpointing of one context: which streams' state and which inputs' positions go into a
 * checkpoint, under which stable ids, when it is written, and how a checkpoint maps back onto the
 * graph that today's code builds.
 */
export class Checkpointing {
  readonly #dir: string;
  readonly #batchMs: number;
  readonly #stateful: readonly StatefulStream[];
  readonly #inputs: readonly InputDStream<unknown>[];
  readonly #intervalMs: number;
  /** Input positions as of each generated batch, until that batch is checkpointed or forgotten. */
  readonly #positions = new Map<number, SourceCheckpoint[]>();
  /** The context's zero time, set at start: kept in every checkpoint, and the origin of its interval. */
  zeroTime = 0;
  readonly #onWritten: ((w: CheckpointWrite) => void) | undefined;

  constructor(
    dir: string,
    batchMs: number,
    stateful: readonly StatefulStream[],
    inputs: readonly InputDStream<unknown>[],
    onWritten?: (w: CheckpointWrite) => void,
  ) {
    this.#onWritten = onWritten;
    this.#dir = dir;
    this.#batchMs = batchMs;
    this.#stateful = stateful;
    this.#inputs = inputs;
    assignIds(stateful, (s) => s.kind);
    assignIds(inputs, (i) => i.kind);
    // Spark's default: the smallest multiple of the batch interval that is at least 10 s.
    const fallback = Math.ceil(10_000 / batchMs) * batchMs;
    this.#intervalMs = Math.min(...stateful.map((s) => s.checkpointIntervalMs ?? fallback), fallback);
  }

  /**
   * Records the inputs' positions right after batch `time` is generated: batches are generated
   * ahead of running, so the positions must be those of this batch, not of the newest one.
   */
  noteGenerated(time: number): void {
    if (this.#stateful.length === 0) return;
    this.#positions.set(time, this.#sourceStates());
  }

  /**
   * After batch `time` has run: writes a checkpoint when one is due, or when `final` (the last
   * batch of a graceful stop, so a restart continues exactly after it). A write that fails is the
   * batch's failure (returned, a CheckpointError with the errno); the previous checkpoint stays,
   * and so do the write-ahead logs it does not cover.
   */
  batchDone(time: number, final = false): Error | undefined {
    if (this.#stateful.length === 0) {
      // Nothing to restore, so nothing to keep logs for once the batch has run.
      for (const i of this.#inputs) i.checkpointed(time);
      return undefined;
    }
    const positions = this.#positions.get(time);
    for (const t of this.#positions.keys()) if (t <= time) this.#positions.delete(t);
    // As Spark's DStream: checkpoints at the multiples of the interval counted from the zero time.
    if (!positions || (!final && (time - this.zeroTime) % this.#intervalMs !== 0)) return undefined;
    const operators = this.#stateful.flatMap((s) => {
      const saved = s.snapshot();
      return saved ? [{ id: s.id, kind: s.kind, ...saved }] : [];
    });
    const started = performance.now();
    try {
      const path = writeCheckpoint(this.#dir, { batchTime: time, batchDurationMs: this.#batchMs, zeroTime: this.zeroTime, operators, sources: positions });
      const durationMs = performance.now() - started;
      log.debug(`checkpoint ${path} written in ${durationMs.toFixed(0)} ms`);
      if (this.#onWritten) this.#onWritten({ batchTime: time, durationMs, bytes: sizeOf(path) });
    } catch (e) {
      // The previous checkpoint stays; the stream goes on and the next due checkpoint tries again.
      return e instanceof Error ? e : new Error(String(e));
    }
    for (const i of this.#inputs) i.checkpointed(time);
    return undefined;
  }

  /** Puts a checkpoint's state and positions into today's graph, by stable id. */
  restore(cp: LoadedCheckpoint, opts: RecoveryOptions): void {
    const drop = new Set(opts.dropState ?? []);
    const byId = new Map(this.#stateful.map((s) => [s.id, s]));
    for (const op of cp.operators) {
      if (drop.has(op.id)) {
        log.warn(`dropping checkpointed state of '${op.id}' (${op.kind}) from ${cp.path}, as asked`);
        continue;
      }
      const stream = byId.get(op.id);
      if (!stream || stream.kind !== op.kind) {
        const why = stream
          ? `the program's operator '${op.id}' is now ${stream.kind}, which cannot take ${op.kind} state`
          : `the program has no stateful operator '${op.id}' any more (ids now: ${[...byId.keys()].map((k) => `'${k}'`).join(', ') || 'none'})`;
        throw new IllegalStateError(
          `Checkpoint ${cp.path} holds state of ${op.kind} operator '${op.id}', but ${why}. ` +
            `If it was renamed, name it back with .name('${op.id}'); to discard its state, pass ` +
            `{ dropState: ['${op.id}'] } to StreamingContext.getOrCreate.`,
        );
      }
      stream.restore(op);
    }
    const inputs = new Map(this.#inputs.map((i) => [i.id, i]));
    for (const src of cp.sources) inputs.get(src.id)?.restoreState(src.state);
  }

  #sourceStates(): SourceCheckpoint[] {
    return this.#inputs.flatMap((i) => {
      const state = i.checkpointState();
      return state === undefined ? [] : [{ id: i.id, kind: i.kind, state }];
    });
  }
}

/** Ids from `.name()`, else `<kind>#<n>`, n counting that kind in definition order. */
function assignIds<S extends { id: string; givenName: string | undefined }>(streams: readonly S[], kind: (s: S) => string): void {
  const seen = new Map<string, number>();
  const used = new Set<string>();
  for (const s of streams) {
    const k = kind(s);
    const n = seen.get(k) ?? 0;
    seen.set(k, n + 1);
    s.id = s.givenName ?? `${k}#${n}`;
    if (used.has(s.id)) throw new IllegalStateError(`two streams are named '${s.id}'; checkpoint ids must be unique`);
    used.add(s.id);
  }
}

/** Bytes of the files in a checkpoint directory. */
function sizeOf(dir: string): number {
  return readdirSync(dir).reduce((n, f) => n + statSync(join(dir, f)).size, 0);
}

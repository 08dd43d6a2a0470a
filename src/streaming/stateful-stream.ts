import type { OperatorCheckpoint } from '../checkpoint/checkpoint-store.js';
import type { StateOperatorProgress } from './listener.js';

/**
 * A stream that keeps state across batches (keyed state, an incremental window), or batches for
 * later ones (a window without an inverse, which only checkpoints them). The context
 * commits it every batch before the batch's outputs run, checkpoints what `snapshot` returns and
 * hands it back to `restore` on recovery, under the stable id the checkpointing assigns.
 */
export interface StatefulStream {
  id: string;
  /** The operator: a checkpoint's state must have been written by the same kind. */
  readonly kind: string;
  readonly givenName: string | undefined;
  readonly checkpointIntervalMs: number | undefined;
  /**
   * Binds batch `time`'s input now, when the batch is generated (an input's RDD must be cut at its
   * tick, not when the job runs), and returns the job that commits the batch's state; undefined
   * when the stream has nothing to do at `time`. The job reports the state's progress, or nothing
   * when the stream keeps no state (a window's remembered batches).
   */
  commitJob(time: number): (() => Promise<StateOperatorProgress | undefined>) | undefined;
  /** The committed state, or undefined before the first commit. */
  snapshot(): Omit<OperatorCheckpoint, 'id' | 'kind'> | undefined;
  /** Puts checkpointed state back, before start. */
  restore(saved: OperatorCheckpoint): void;
}

import type { RDD } from '../rdd/rdd.js';
import type { DStream, ForeachRDDFunction } from './dstream.js';
import type { InputDStream } from './input-dstream.js';
import type { StateOperatorProgress, StreamInputInfo } from './listener.js';
import { ReducedWindowedDStream, type ReducedWindowConfig } from './reduced-window-dstream.js';
import { MapWithStateDStream, StateDStream, type StateStreamConfig } from './state-dstream.js';
import type { StatefulStream } from './stateful-stream.js';
import type { StreamingContext } from './streaming-context.js';
import { TransformedDStream } from './transformed-dstream.js';
import { WindowedDStream } from './windowed-dstream.js';

/** One output operation's job of a batch; `id` is the operation's position in the graph. */
export interface OutputJob {
  readonly id: number;
  readonly name: string;
  readonly description: string;
  readonly run: () => Promise<void>;
}

/** One batch's work, bound to its RDDs: stateful commits first, then the outputs in order. */
export interface BatchJobs {
  /** The state commits. */
  readonly jobs: (() => Promise<void>)[];
  /** The output operations' jobs, in registration order. */
  readonly outputs: OutputJob[];
  /** Filled by the state commits as they run. */
  readonly stateOperators: StateOperatorProgress[];
}

/**
 * The graph of one streaming context, as Spark's DStreamGraph: its streams, inputs, stateful
 * streams and outputs; the jobs of a batch; how long each stream keeps its RDDs. Derived streams
 * are created here rather than in DStream because they extend DStream, which cannot import them.
 */
export class DStreamGraph {
  readonly #ssc: StreamingContext;
  /** Every stream, in definition order: a stream's parents always come before it. */
  readonly #streams: DStream<unknown>[] = [];
  readonly #inputs: InputDStream<unknown>[] = [];
  readonly #stateful: StatefulStream[] = [];
  /** Windows without an inverse: stateless, but their batches go into checkpoints. */
  readonly #windows: StatefulStream[] = [];
  readonly #outputs: { stream: DStream<unknown>; fn: ForeachRDDFunction<unknown>; name: string; description: string }[] = [];

  constructor(ssc: StreamingContext) {
    this.#ssc = ssc;
  }

  get inputs(): readonly InputDStream<unknown>[] {
    return this.#inputs;
  }

  get stateful(): readonly StatefulStream[] {
    return this.#stateful;
  }

  /** What a checkpoint holds: the stateful streams' state and the windows' remembered batches. */
  get checkpointed(): readonly StatefulStream[] {
    return [...this.#stateful, ...this.#windows];
  }

  /** The shortest checkpoint interval set on a stream derived from `stream`, if any. */
  checkpointIntervalBelow(stream: DStream<unknown>): number | undefined {
    const below = new Set([stream]);
    let min: number | undefined;
    // Parents come before their children: one pass finds every stream derived from `stream`.
    for (const s of this.#streams) {
      if (!s.parents.some((p) => below.has(p))) continue;
      below.add(s);
      const ms = s.checkpointIntervalMs;
      if (ms !== undefined) min = Math.min(min ?? ms, ms);
    }
    return min;
  }

  get hasOutputs(): boolean {
    return this.#outputs.length > 0;
  }

  /** Called by every DStream constructor. */
  register(stream: DStream<unknown>): void {
    this.#streams.push(stream);
  }

  addInput<S extends InputDStream<any>>(input: S): S {
    input.streamId = this.#inputs.length;
    this.#inputs.push(input);
    return input;
  }

  /** `name` is the output operation (`pprint`); where the program called it becomes its description. */
  addOutput(stream: DStream<unknown>, fn: ForeachRDDFunction<unknown>, name = 'foreachRDD'): void {
    this.#outputs.push({ stream, fn, name, description: callSite() });
  }

  // ---- derived streams ----

  transformed<T>(op: string, parents: readonly DStream<unknown>[], fn: (rdds: RDD<unknown>[], time: number) => RDD<T>): DStream<T> {
    return new TransformedDStream<T>(this.#ssc, op, parents, fn);
  }

  windowed<T>(parent: DStream<unknown>, windowMs: number, slideMs: number): DStream<T> {
    const window = new WindowedDStream<T>(this.#ssc, parent, windowMs, slideMs);
    this.#windows.push(window);
    return window;
  }

  /** A keyed state stream, committed every batch before the outputs run. */
  state<K, S>(parent: DStream<unknown>, config: StateStreamConfig<K, S>): StateDStream<K, S> {
    return this.#addStateful(new StateDStream<K, S>(this.#ssc, parent, config));
  }

  /** The stream of mapped records over a mapWithState state stream. */
  mappedState<K, S, U>(state: StateDStream<K, [S, number]>): MapWithStateDStream<K, S, U> {
    return new MapWithStateDStream<K, S, U>(this.#ssc, state);
  }

  /** An incremental window (reduceByKeyAndWindow with an inverse): state, like keyed state. */
  reducedWindow<K, V>(parent: DStream<unknown>, config: ReducedWindowConfig): ReducedWindowedDStream<K, V> {
    return this.#addStateful(new ReducedWindowedDStream<K, V>(this.#ssc, parent, config));
  }

  // Stateful streams satisfy StatefulStream here, not with `implements`: their members are
  // @internal, so the published .d.ts has no such members and could not claim the interface.
  #addStateful<S extends StatefulStream>(stream: S): S {
    this.#stateful.push(stream);
    return stream;
  }

  // ---- batches ----

  /**
   * Binds batch `time`'s RDDs now, so inputs are cut at the tick; the jobs run later. Throws what
   * generating an RDD threw (a `transform` function).
   */
  generateJobs(time: number): BatchJobs {
    const jobs: (() => Promise<void>)[] = [];
    const outputs: OutputJob[] = [];
    const stateOperators: StateOperatorProgress[] = [];
    for (const stream of this.checkpointed) {
      const commit = stream.commitJob(time);
      if (commit) {
        jobs.push(async () => {
          const progress = await commit();
          if (progress) stateOperators.push(progress);
        });
      }
    }
    this.#outputs.forEach(({ stream, fn, name, description }, id) => {
      // A windowed stream has RDDs, and runs its outputs, only at multiples of its slide.
      if (!stream.isTimeValid(time)) return;
      const rdd = stream.getOrCompute(time) ?? this.#ssc.sparkContext.emptyRDD();
      outputs.push({ id, name, description, run: async () => fn(rdd, time) });
    });
    return { jobs, outputs, stateOperators };
  }

  /** What each input contributed to batch `time`, by stream id. */
  inputInfos(time: number): Map<number, StreamInputInfo> {
    return new Map(this.#inputs.map((i) => [i.streamId, { inputStreamId: i.streamId, numRecords: i.numRecords(time), metadata: {} }]));
  }

  /**
   * Sets how long each stream keeps its RDDs: `rememberMs`, and for the parents of a window its
   * length on top of what the window itself keeps, as Spark's DStream.remember. One pass from the
   * last stream defined covers every child before its parents.
   */
  remember(rememberMs: number): void {
    for (const s of this.#streams) s.rememberMs = rememberMs;
    for (const s of [...this.#streams].reverse()) {
      for (const p of s.parents) p.rememberMs = Math.max(p.rememberMs, s.rememberMs + s.parentRememberMs);
    }
  }

  /** After batch `time`: frees what no later batch reads again. */
  forget(time: number): void {
    for (const s of this.#streams) s.clearBefore(time - s.rememberMs);
    for (const i of this.#inputs) i.release(time - i.rememberMs);
  }
}

/**
 * Where the user's program registered an output operation, as Spark's call site: the first stack
 * frame outside chispa's own sources (`examples/wordcount.ts:12:3`), or '' when there is none.
 */
function callSite(): string {
  const here = new URL('..', import.meta.url).pathname;
  const frames = (new Error().stack ?? '').split('\n').slice(1);
  for (const f of frames) {
    const m = /\(?((?:file:\/\/)?\/[^()]+?):(\d+):(\d+)\)?$/.exec(f.trim());
    if (!m) continue;
    const path = m[1].replace(/^file:\/\//, '');
    if (path.startsWith(here) || path.includes('/node_modules/')) continue;
    return `${path.split('/').slice(-2).join('/')}:${m[2]}`;
  }
  return '';
}

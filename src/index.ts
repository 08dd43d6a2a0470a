/**
 * chispa: Spark Streaming for Node.js. The public API, with PySpark's names in camelCase.
 *
 * @example
 * ```ts
 * import { SparkContext, StreamingContext, add } from 'chispa';
 * const sc = new SparkContext({ master: 'local[*]', appName: 'Mi app' });
 * const ssc = new StreamingContext(sc, 5);
 * ssc.socketTextStream('localhost', 9999)
 *   .flatMap((line) => line.split(' '))
 *   .map((word) => [word, 1])
 *   .reduceByKey(add)
 *   .pprint();
 * ssc.start();
 * await ssc.awaitTerminationOrTimeout(60);
 * await ssc.stop();
 * ```
 */
export { add, pairWith, words } from './functions.js';
export {
  AsyncFunctionError,
  CheckpointError,
  ChispaError,
  ClosureCaptureError,
  CorruptDataError,
  FunctionSourceError,
  IllegalArgumentError,
  IllegalStateError,
  KafkaError,
  NotAPairError,
  OutputError,
  TaskCancelledError,
  TaskTimeoutError,
  UserFunctionError,
  WorkerError,
  WorkerMemoryError,
} from './errors.js';
export type { State } from './exec/state.js';
export { setLogSink, stderrSink, type LogLevel, type LogRecord, type LogSink } from './log.js';
export type { TaskEndInfo } from './rdd/dag-scheduler.js';
export { KafkaRDD } from './rdd/kafka-rdd.js';
export { fromModule } from './plan/ship.js';
export { RDD, type AsyncOptions, type FnOptions, type PartitionsArg, type ShuffleOptions } from './rdd/rdd.js';
export { SparkContext, type SparkConf, type SparkListener } from './rdd/spark-context.js';
export type { ReceiverStats } from './sources/socket-receiver.js';
export { Receiver, DEFAULT_RESTART_DELAY_MS } from './sources/receiver.js';
export { ZeroMQReceiver, type ZeroMQStreamOptions } from './sources/zeromq-receiver.js';
export type { SocketTextReceiver } from './sources/socket-text-receiver.js';
export { ManualClock, SystemClock, type Clock } from './streaming/clock.js';
export { DStream, type ForeachRDDFunction } from './streaming/dstream.js';
export type { FileInputDStream, FileInputState, TextFileStreamOptions } from './streaming/file-input-dstream.js';
export {
  BatchInfo,
  OutputOperationInfo,
  type ReceiverInfo,
  type StateOperatorProgress,
  type StreamingListener,
  type StreamingStartedInfo,
  type StreamInputInfo,
} from './streaming/listener.js';
export type { QueueItem } from './streaming/queue-input-dstream.js';
export type { PushInputDStream, PushStreamOptions } from './streaming/push-input-dstream.js';
export type { ReadableFeedOptions } from './sources/push-feeders.js';
export type { ReceiverInputDStream, ReceiverStreamOptions } from './streaming/receiver-input-dstream.js';
export type { SocketInputDStream, SocketTextStreamOptions } from './streaming/socket-input-dstream.js';
export type { MapWithStateDStream, UpdateStateOptions } from './streaming/state-dstream.js';
export { StateSpec, type MappingFunction } from './streaming/state-spec.js';
export { StreamingContext, type StreamingContextOptions, type StreamingContextState } from './streaming/streaming-context.js';
export { attachStatusLine, startStreamingUI, type StatusLineOptions, type StatusStream, type StreamingUI, type StreamingUIOptions } from './ui/index.js';
export type { RecoveryOptions } from './streaming/checkpointing.js';
export type { DirectKafkaInputDStream, KafkaInputState } from './streaming/direct-kafka-input-dstream.js';
export { KafkaUtils } from './streaming/kafka-utils.js';
export type { DirectStreamOptions, KafkaParams } from './streaming/kafka-params.js';
export type { PerPartitionRate } from './streaming/kafka-rate.js';
export type { FromOffsets, OffsetRange, TopicAndPartition } from './plan/offset-range.js';
export type { KafkaDecoder } from './plan/task.js';

import { ValueWriter } from '../memory/value-codec.js';
import { h32 } from '../memory/xxhash.js';

/**
 * Hash partitioning. A key is hashed once per map task, after map-side combine has reduced the
 * stream to distinct keys, so the call overhead of WebAssembly is paid per distinct key, not per
 * record. The hash is over the key's encoded bytes, which are equal for equal keys on every thread.
 */
const scratch = new ValueWriter(256);

/** The reduce partition in [0, partitions) of `key`. */
export function partitionOf(key: unknown, partitions: number): number {
  if (partitions === 1) return 0;
  scratch.reset();
  scratch.write(key);
  return h32(scratch.buf.subarray(0, scratch.length)) % partitions;
}

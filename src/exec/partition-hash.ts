import type { ValueWriter } from '../memory/value-codec.js';
import { h32Range } from '../memory/xxhash.js';

/**
 * Hash partitioning. A key is hashed once per map task, after map-side combine has reduced the
 * stream to distinct keys. The hash is over the key's encoded bytes, which are equal for equal
 * keys on every thread; the caller encodes the key once and copies those bytes into the partition
 * it lands in.
 */
export function partitionOfEncoded(encoded: ValueWriter, partitions: number): number {
  return partitions === 1 ? 0 : h32Range(encoded.buf, 0, encoded.length) % partitions;
}

import { h32Range } from '../memory/xxhash.js';

/**
 * Hash partitioning. A key is hashed once per map task, after map-side combine has reduced the
 * stream to distinct keys. The hash is over the key's encoded bytes, which are equal for equal
 * keys on every thread; the caller encodes the key once (`bytes[start, end)`) and copies those
 * bytes into the partition it lands in.
 */
export function partitionOfEncoded(bytes: Uint8Array, start: number, end: number, partitions: number): number {
  return partitions === 1 ? 0 : h32Range(bytes, start, end) % partitions;
}

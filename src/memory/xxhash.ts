import xxhash from 'xxhash-wasm';

/**
 * The one xxhash-wasm instance of this thread (instantiating WebAssembly is async, so it happens
 * once, at module load). Used where bytes are hashed once per distinct key or per file: shuffle
 * partitioning and checkpoint checksums.
 */
const api = await xxhash();

/** xxHash32 of `bytes`, as an unsigned 32-bit integer. */
export function h32(bytes: Uint8Array): number {
  return api.h32Raw(bytes) >>> 0;
}

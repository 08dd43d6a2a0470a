import xxhash from 'xxhash-wasm';

/**
 * The one xxhash-wasm instance of this thread (instantiating WebAssembly is async, so it happens
 * once, at module load). Used where bytes are hashed once per distinct key or per file: shuffle
 * partitioning and checkpoint checksums.
 */
const api = await xxhash();

/** Above this, input is hashed in chunks: `h32Raw` copies its whole input into WebAssembly memory, which never shrinks. */
const CHUNK = 1 << 20;

/** xxHash32 of `bytes`, as an unsigned 32-bit integer. */
export function h32(bytes: Uint8Array): number {
  if (bytes.length <= CHUNK) return api.h32Raw(bytes) >>> 0;
  const h = api.create32();
  for (let off = 0; off < bytes.length; off += CHUNK) h.update(bytes.subarray(off, off + CHUNK));
  return h.digest() >>> 0;
}
